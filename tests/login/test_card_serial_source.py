"""Where ``LoginIdentity.card_serial`` comes from: the certificate only, never the response.

The card signs whatever the holder's software hands it, so a card-serial
signed attribute is a claim. The certificates here are the XCA card's
certificate reissued by the test XCA with and without its card-number
directory attribute (decoded and re-encoded with asn1crypto), and the
responses are what a client makes with the card's key.
"""

from __future__ import annotations

from collections.abc import Callable

import hostile_pki
import pytest
from cryptography import x509
from login_helpers import SESSION

from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.validation import RevocationMode
from xcapki.login import PortalLogin, SignedAttributeRejectedError, VerifiedLogin, respond
from xcapki.testing import StandardCards, TestPki

CARD_SERIAL_OID = "2.16.886.1.100.2.204"
CLAIM = "TP0000000000CLAM"

pytestmark = pytest.mark.softhsm


def _reissued_without_card_serial(pki: TestPki, certificate: x509.Certificate) -> x509.Certificate:
    sda = certificate.extensions.get_extension_for_oid(
        x509.ObjectIdentifier(hostile_pki.SUBJECT_DIRECTORY_ATTRIBUTES)
    ).value
    assert isinstance(sda, x509.UnrecognizedExtension)
    entries = hostile_pki.directory_attributes(sda.value)
    assert any(oid == CARD_SERIAL_OID for oid, _ in entries)
    kept = hostile_pki.encode_directory_attributes(
        [(oid, values) for oid, values in entries if oid != CARD_SERIAL_OID]
    )
    replacement = x509.UnrecognizedExtension(sda.oid, kept)
    return pki.reissue(certificate, Authority.XCA, replaced=(replacement,), record=True)


def _login(
    make_portal: Callable[..., PortalLogin], signer: KeySigner, card_serial: str | None
) -> VerifiedLogin:
    portal = make_portal(revocation_mode=RevocationMode.OFF)
    challenge = portal.issue_challenge(SESSION)
    response = respond(challenge, signer, card_serial=card_serial)
    return portal.verify_response(SESSION, response.to_json())


def test_a_claimed_serial_never_fills_the_identity(
    make_portal: Callable[..., PortalLogin], test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca.card.signing
    bare = _reissued_without_card_serial(test_pki, card.certificate)
    signer = KeySigner(private_key=card.private_key, certificate=bare)
    login = _login(make_portal, signer, CLAIM)
    assert login.identity.card_serial is None
    assert login.claimed_card_serial == CLAIM


def test_the_certificate_serial_fills_the_identity(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca.card.signing
    signer = KeySigner(private_key=card.private_key, certificate=card.certificate)
    login = _login(make_portal, signer, None)
    assert login.identity.card_serial == softhsm_cards.xca.serial
    assert login.claimed_card_serial is None
    echoed = _login(make_portal, signer, softhsm_cards.xca.serial)
    assert echoed.claimed_card_serial == softhsm_cards.xca.serial


def test_a_claim_against_the_certificate_is_refused(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca.card.signing
    signer = KeySigner(private_key=card.private_key, certificate=card.certificate)
    with pytest.raises(SignedAttributeRejectedError):
        _login(make_portal, signer, CLAIM)
