"""The login checks as plain functions, called on their own as another validator would."""

from __future__ import annotations

import datetime as dt

import pytest

from xcapki.crypto.authority import Authority
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.login import (
    CARD_LOGIN_PURPOSE,
    CPA_FILING_POLICY,
    AuthorityNotAllowedError,
    CertificateExpiredError,
    CertificatePurposeError,
    KeyUsageRejectedError,
    PurposeRule,
    SignedAttributeRejectedError,
)
from xcapki.login.checks import (
    check_admitted,
    check_purpose,
    check_signed_card_serial,
    check_validity,
)
from xcapki.testing import CardSpec, IssuedCard, TestPki


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    spec = CardSpec(authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="1234")
    return test_pki.issue_card(spec)


def test_a_signing_certificate_passes_and_its_encryption_twin_does_not(card: IssuedCard) -> None:
    check_purpose(TaiwanCertificate.from_certificate(card.signing.certificate), CARD_LOGIN_PURPOSE)
    encryption = TaiwanCertificate.from_certificate(card.encryption.certificate)
    with pytest.raises(KeyUsageRejectedError):
        check_purpose(encryption, CARD_LOGIN_PURPOSE)


def test_an_ocsp_responder_certificate_is_not_a_login_certificate(test_pki: TestPki) -> None:
    responder = TaiwanCertificate.from_certificate(
        test_pki.ca(Authority.XCA).ocsp_signer.certificate
    )
    with pytest.raises(CertificatePurposeError, match=r"1\.3\.6\.1\.5\.5\.7\.3\.9"):
        check_purpose(responder, CARD_LOGIN_PURPOSE)
    lenient = PurposeRule(
        extended_key_usages=frozenset({"1.3.6.1.5.5.7.3.9"}),
        refused_extended_key_usages=frozenset(),
    )
    check_purpose(responder, lenient)


def test_a_ca_certificate_is_not_a_login_certificate(test_pki: TestPki) -> None:
    ca = TaiwanCertificate.from_certificate(test_pki.ca(Authority.XCA).certificate)
    with pytest.raises(CertificatePurposeError, match="CA certificate"):
        check_purpose(ca, CARD_LOGIN_PURPOSE)


def test_validity_serial_and_admission(card: IssuedCard) -> None:
    profile = TaiwanCertificate.from_certificate(card.signing.certificate)
    skew = dt.timedelta(minutes=5)
    check_validity(profile, profile.not_after + skew, skew)
    with pytest.raises(CertificateExpiredError):
        check_validity(profile, profile.not_after + skew + dt.timedelta(seconds=1), skew)
    check_signed_card_serial(profile, profile.card_serial)
    check_signed_card_serial(profile, None)
    with pytest.raises(SignedAttributeRejectedError):
        check_signed_card_serial(profile, "TP0000000000XXXX")
    with pytest.raises(AuthorityNotAllowedError, match="MOICA"):
        check_admitted(profile, CPA_FILING_POLICY)
