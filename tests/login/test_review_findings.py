"""Hostile inputs and certificates the login validators once mishandled.

Each test builds its input independently of the code under test (JSON and
certificates made with ``cryptography`` and the test PKI directly).
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509
from login_helpers import SESSION
from test_webeid_validator import Desk, _with, reissued

from xcapki.crypto.trust import TrustStore
from xcapki.errors import XcapkiError
from xcapki.login import KeyUsageRejectedError, ResponseMalformedError
from xcapki.login.webeid import WebEidRules
from xcapki.testing import PkiServices, StandardCards, TestPki

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


@pytest.fixture
def desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust)


@pytest.fixture
def webeid_desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust, rules=WebEidRules.WEB_EID)


@pytest.mark.parametrize(
    "token",
    [
        {"format": "web-eid:1.0", "unverifiedCertificate": b"\x30\x82" * 60},
        {("format",): "web-eid:1.0", "pad": "x" * 200},
        {"format": "web-eid:1.0", "pad": "x" * 200, "set": {1, 2}},
    ],
    ids=["bytes-value", "tuple-key", "set-value"],
)
def test_a_token_dict_that_is_not_json_is_refused_as_malformed(
    desk: Desk, token: dict[Any, Any]
) -> None:
    challenge_id, _ = desk.challenge()
    with pytest.raises(ResponseMalformedError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_a_deeply_nested_token_dict_is_refused_as_malformed(desk: Desk) -> None:
    nested: dict[str, Any] = {"format": "web-eid:1.0", "pad": "x" * 200}
    inner = nested
    for _ in range(100_000):
        inner["n"] = {}
        inner = inner["n"]
    challenge_id, _ = desk.challenge()
    with pytest.raises(XcapkiError):
        desk.validator.validate(nested, challenge_id=challenge_id, session_id=SESSION)


def test_web_eid_rules_refuse_a_ca_certificate_without_key_cert_sign(
    webeid_desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    """basicConstraints cA=TRUE with keyUsage digitalSignature only: a CA, not a card."""
    template = _with(
        softhsm_cards.xca.card.signing.certificate,
        x509.BasicConstraints(ca=True, path_length=None),
    )
    ca_like = reissued(test_pki, template)
    assert ca_like.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(KeyUsageRejectedError):
        webeid_desk.login(ca_like)
