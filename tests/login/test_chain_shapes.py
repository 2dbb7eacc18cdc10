"""Genuine card certificates in legal but less common shapes log in.

A card certificate without authorityKeyIdentifier, or with one that names
the issuer by name and serial only, and a chain whose CA carries a
subjectUniqueID with a leaf carrying the matching issuerUniqueID (RFC 5280
4.1.2.8) are all valid; the verifier must admit them on a fresh portal and
again once its caches are warm (the fast path). The certificates are built
with asn1crypto and ``cryptography`` directly (tests/hostile_pki.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import hostile_pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from login_helpers import SESSION

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.login import LoginResponse, PortalLogin, ResponseFormat
from xcapki.testing import CardSpec, IssuedCard, PkiServices, TestPki

pytestmark = [pytest.mark.ocsp]


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="鏈形測試事務所",
        unified_business_number="24681357",
    )
    return test_pki.issue_card(spec)


def _ca_key(pki: TestPki) -> rsa.RSAPrivateKey:
    key = pki.ca(Authority.XCA).key.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _log_in_twice(
    portal: PortalLogin, certificate_der: bytes, key: object, extra: tuple[bytes, ...] = ()
) -> None:
    """Two logins on one portal: the first fills its caches, the second meets them."""
    assert isinstance(key, rsa.RSAPrivateKey)
    for _ in range(2):
        challenge = portal.issue_challenge(SESSION)
        der = hostile_pki.sign_attached(
            challenge.message, certificate_der, key, extra_certificates=extra
        )
        response = LoginResponse(
            format=ResponseFormat.XCAPKI, challenge_id=challenge.challenge_id, cms=der
        )
        login = portal.verify_response(SESSION, response.to_json())
        assert login.identity.authority is Authority.XCA
        assert login.identity.unified_business_number == "24681357"
        assert login.chain[0].public_bytes(hostile_pki.DER) == certificate_der


def _without_aki(parts: hostile_pki.CertificateParts) -> hostile_pki.CertificateParts:
    return hostile_pki.replace_extension(parts, hostile_pki.AUTHORITY_KEY_IDENTIFIER, None)


def _issuer_and_serial_aki(pki: TestPki) -> Callable[[hostile_pki.CertificateParts], object]:
    ca = pki.ca(Authority.XCA).certificate
    value = x509.AuthorityKeyIdentifier(
        key_identifier=None,
        authority_cert_issuer=[x509.DirectoryName(ca.issuer)],
        authority_cert_serial_number=ca.serial_number,
    ).public_bytes()

    def edit(parts: hostile_pki.CertificateParts) -> hostile_pki.CertificateParts:
        return hostile_pki.replace_extension(parts, hostile_pki.AUTHORITY_KEY_IDENTIFIER, value)

    return edit


@pytest.mark.parametrize("shape", ["no authorityKeyIdentifier", "issuer and serial only"])
def test_card_certificate_without_a_key_identifier_logs_in(
    make_portal: Callable[..., PortalLogin],
    test_pki: TestPki,
    pki_services: PkiServices,
    card: IssuedCard,
    shape: str,
) -> None:
    template = card.signing.certificate
    parts = hostile_pki.parts_of(template)
    edited = (
        _without_aki(parts)
        if shape == "no authorityKeyIdentifier"
        else _issuer_and_serial_aki(test_pki)(parts)
    )
    assert isinstance(edited, hostile_pki.CertificateParts)
    der = hostile_pki.rebuild(template, edited, _ca_key(test_pki))
    _log_in_twice(make_portal(), der, card.signing.private_key)


@pytest.mark.parametrize("ca_in_store", [True, False], ids=["CA also in store", "root only"])
def test_unique_identifiers_chain_logs_in(
    make_portal: Callable[..., PortalLogin],
    test_pki: TestPki,
    pki_services: PkiServices,
    card: IssuedCard,
    ca_in_store: bool,
) -> None:
    """The XCA CA reissued by the root with a subjectUniqueID, the card with the matching
    issuerUniqueID; the reissued CA travels in the CMS (beside the trust store's own, or
    as the only copy)."""
    root_key = test_pki.root.key.private_key
    assert isinstance(root_key, rsa.RSAPrivateKey)
    ca_certificate = test_pki.ca(Authority.XCA).certificate
    unique = b"\x03\x5a\xc3\x08"
    ca_parts = dataclasses.replace(hostile_pki.parts_of(ca_certificate), subject_unique_id=unique)
    ca_der = hostile_pki.rebuild(ca_certificate, ca_parts, root_key)
    leaf_parts = dataclasses.replace(
        hostile_pki.parts_of(card.signing.certificate), issuer_unique_id=unique
    )
    leaf_der = hostile_pki.rebuild(card.signing.certificate, leaf_parts, _ca_key(test_pki))
    portal = make_portal() if ca_in_store else make_portal(trust_store=_root_only(test_pki))
    _log_in_twice(portal, leaf_der, card.signing.private_key, extra=(ca_der,))


def _root_only(pki: TestPki) -> TrustStore:
    return TrustStore.empty().with_roots(pki.root.certificate)
