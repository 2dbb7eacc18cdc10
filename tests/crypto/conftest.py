"""Fixtures for the CMS tests: the test hierarchy of cms_pki.py and the openssl tool."""

from __future__ import annotations

import shutil

import pytest
from cms_pki import CmsTestPki, build_cms_pki


@pytest.fixture(scope="session")
def cms_pki(tmp_path_factory: pytest.TempPathFactory) -> CmsTestPki:
    """Signers: rsa2048, rsa3072, rsa1024 (weak), p256, p384, p521 (curve not allowed),
    and ``impostor``: same issuer and serial as rsa2048, another key."""
    return build_cms_pki(tmp_path_factory.mktemp("cms-pki"))


@pytest.fixture(scope="session")
def openssl() -> str:
    """The openssl command, or a skip naming the package to install."""
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    return path
