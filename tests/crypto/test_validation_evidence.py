"""The validator hands back the signed answers behind its verdicts, as the responders sent them.

Each answer is read back with ``cryptography`` (not asn1crypto, which the
validator parses with) and checked against the certificate it speaks for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509 import ocsp

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    ChainValidator,
    RevocationData,
    RevocationMode,
    RevocationSource,
    ValidatedPath,
)
from xcapki.testing import CardSpec, IssuedCard, PkiServices, TestPki

pytestmark = pytest.mark.ocsp


@pytest.fixture
def services(pki_services: PkiServices) -> Iterator[PkiServices]:
    try:
        yield pki_services
    finally:
        pki_services.restore()


@pytest.fixture
def store(test_pki: TestPki) -> TrustStore:
    return TrustStore.empty().with_roots(test_pki.root.certificate)


def _card(test_pki: TestPki) -> IssuedCard:
    return test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="好帳會計師事務所",
            unified_business_number="12345675",
        )
    )


def _validate(validator: ChainValidator, card: IssuedCard) -> ValidatedPath:
    return validator.validate(card.signing.certificate, intermediates=[card.issuer])


def _check_ocsp_answer(der: bytes, certificate: x509.Certificate) -> None:
    """``der`` is a successful, GOOD answer about ``certificate`` whose signature verifies."""
    response = ocsp.load_der_ocsp_response(der)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.serial_number == certificate.serial_number
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    signer = response.certificates[0]
    key = signer.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    assert response.signature_hash_algorithm is not None
    key.verify(
        response.signature,
        response.tbs_response_bytes,
        padding.PKCS1v15(),
        response.signature_hash_algorithm,
    )
    assert signer.issuer == certificate.issuer


def test_each_certificate_carries_the_ocsp_answer_that_decided(
    test_pki: TestPki, services: PkiServices, store: TrustStore
) -> None:
    card = _card(test_pki)
    path = _validate(ChainValidator(store), card)
    assert [s.certificate for s in path.statuses] == [card.signing.certificate, card.issuer]
    for status in path.statuses:
        data = status.revocation.data
        assert status.revocation.source is RevocationSource.OCSP
        assert len(data.ocsp_responses) == 1
        assert data.crls == ()
        _check_ocsp_answer(data.ocsp_responses[0], status.certificate)
    whole = path.revocation_data
    assert whole.ocsp_responses == tuple(s.revocation.data.ocsp_responses[0] for s in path.statuses)
    assert whole.crls == ()


def test_cached_verdicts_keep_their_answers_and_ask_nobody(
    test_pki: TestPki, services: PkiServices, store: TrustStore
) -> None:
    validator = ChainValidator(store)
    first_card, second_card = _card(test_pki), _card(test_pki)
    first = _validate(validator, first_card)
    xca = services.responder(test_pki.ca(Authority.XCA))
    root = services.responder(test_pki.root)
    asked = (xca.request_count, root.request_count)

    again = _validate(validator, first_card)
    assert (xca.request_count, root.request_count) == asked
    assert again.revocation_data == first.revocation_data

    second = _validate(validator, second_card)
    assert (xca.request_count, root.request_count) == (asked[0] + 1, asked[1])
    assert second.reused_intermediates
    assert second.statuses[1].revocation.data == first.statuses[1].revocation.data
    _check_ocsp_answer(
        second.leaf_revocation.data.ocsp_responses[0], second_card.signing.certificate
    )


def test_a_crl_verdict_carries_the_crl(
    test_pki: TestPki, services: PkiServices, store: TrustStore
) -> None:
    services.stop_responder(test_pki.ca(Authority.XCA))
    card = _card(test_pki)
    test_pki.publish_crl(test_pki.ca(Authority.XCA))
    path = _validate(ChainValidator(store), card)
    leaf = path.leaf_revocation
    assert leaf.source is RevocationSource.CRL
    assert leaf.data.ocsp_responses == ()
    assert len(leaf.data.crls) >= 1
    issuer_key = card.issuer.public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)
    for der in leaf.data.crls:
        revocation_list = x509.load_der_x509_crl(der)
        assert revocation_list.issuer == card.issuer.subject
        assert revocation_list.is_signature_valid(issuer_key)
        assert (
            revocation_list.get_revoked_certificate_by_serial_number(
                card.signing.certificate.serial_number
            )
            is None
        )
    assert path.revocation_data.crls == leaf.data.crls


def test_nothing_is_kept_when_revocation_is_off(test_pki: TestPki, store: TrustStore) -> None:
    path = _validate(ChainValidator(store, revocation_mode=RevocationMode.OFF), _card(test_pki))
    assert path.revocation_data == RevocationData()
    assert all(s.revocation.data == RevocationData() for s in path.statuses)


def test_the_data_is_frozen() -> None:
    data = RevocationData(ocsp_responses=(b"\x30",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.crls = (b"\x30",)  # type: ignore[misc]
