"""Fixtures for the CMS tests: their signers on the session's test PKI."""

from __future__ import annotations

import pytest
from cms_pki import CmsTestPki, build_cms_pki

from xcapki.testing import TestPki


@pytest.fixture(scope="session")
def cms_pki(test_pki: TestPki) -> CmsTestPki:
    """Signers: rsa2048, rsa3072, rsa1024 (weak), p256, p384, p521 (curve not allowed),
    ``impostor`` (rsa2048's issuer and serial, another key) and ``outsider`` (untrusted CA)."""
    return build_cms_pki(test_pki)
