"""verify_signed_data on the Taiwan-profile test PKI, with its loopback OCSP and CRLs.

Intact, trusted and revocation are asserted separately: a good signature by
a revoked card is intact but not trusted; a forged one is not intact and no
path is built for it.
"""

from __future__ import annotations

import pytest
from cms_pki import CmsTestPki

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    MessageDigestMismatchError,
    sign_cms,
    sign_hipki,
    sign_smartpki,
    verify_signed_data,
)
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    CertificateRevokedError,
    ChainValidator,
    PathBuildingError,
    RevocationMode,
    RevocationState,
)
from xcapki.testing import CardSpec, IssuedCard, PkiServices, TestPki

pytestmark = pytest.mark.ocsp

CHALLENGE = b"https://portal.example.tw|login|0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def validator(test_pki: TestPki, pki_services: PkiServices) -> ChainValidator:
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    return ChainValidator(store, revocation_mode=RevocationMode.HARD_FAIL)


def _card(test_pki: TestPki) -> IssuedCard:
    return test_pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name="測試會計師事務所")
    )


def _signer(card: IssuedCard) -> KeySigner:
    key = card.signing.private_key
    return KeySigner(private_key=key, certificate=card.signing.certificate)  # type: ignore[arg-type]


def test_good_card_is_intact_trusted_and_not_revoked(
    test_pki: TestPki, validator: ChainValidator
) -> None:
    card = _card(test_pki)
    der = sign_hipki(
        CHALLENGE, _signer(card), nonce=b"\x11" * 32, card_serial=card.card_serial,
        include_chain=(card.issuer,),
    )  # fmt: skip
    result = verify_signed_data(der, validator=validator)
    assert result.intact
    assert result.trusted
    assert result.revocation.state is RevocationState.GOOD
    assert result.failure is None
    assert result.require_valid() is result
    assert result.path is not None
    assert result.path.trust_anchor == test_pki.root.certificate
    assert result.signature.attributes is not None
    assert result.signature.attributes.card_serial == card.card_serial


def test_smartpki_shape_validates_with_the_issuer_from_the_cms(
    test_pki: TestPki, validator: ChainValidator
) -> None:
    card = _card(test_pki)
    der = sign_smartpki(CHALLENGE, _signer(card), include_chain=(card.issuer,))
    result = verify_signed_data(der, validator=validator, content=CHALLENGE)
    assert result.intact
    assert result.trusted


def test_revoked_card_is_intact_but_not_trusted(
    test_pki: TestPki, validator: ChainValidator
) -> None:
    card = _card(test_pki)
    der = sign_cms(CHALLENGE, _signer(card), include_chain=(card.issuer,))
    test_pki.revoke(card.signing.certificate)
    result = verify_signed_data(der, validator=validator)
    assert result.intact
    assert not result.trusted
    assert isinstance(result.path_failure, CertificateRevokedError)
    assert result.revocation.state is RevocationState.REVOKED
    with pytest.raises(CertificateRevokedError):
        result.require_valid()


def test_forged_signature_is_not_intact_and_builds_no_path(
    test_pki: TestPki, validator: ChainValidator
) -> None:
    card = _card(test_pki)
    der = sign_cms(CHALLENGE, _signer(card), detached=True, include_chain=(card.issuer,))
    before = validator.statistics()
    result = verify_signed_data(der, validator=validator, content=CHALLENGE + b"x")
    assert not result.intact
    assert not result.trusted
    assert result.path is None
    assert result.path_failure is None
    assert result.revocation.state is RevocationState.NOT_CHECKED
    assert isinstance(result.failure, MessageDigestMismatchError)
    after = validator.statistics()
    assert (after.ocsp_requests, after.crl_requests) == (before.ocsp_requests, before.crl_requests)


def test_signer_outside_the_trust_store_is_intact_but_untrusted(
    cms_pki: CmsTestPki, validator: ChainValidator
) -> None:
    der = sign_cms(CHALLENGE, cms_pki.signer("outsider"))
    result = verify_signed_data(der, validator=validator)
    assert result.intact
    assert not result.trusted
    assert isinstance(result.path_failure, PathBuildingError)
