"""The test PKI: Taiwan-profile certificates that OpenSSL chains, CRLs, reload."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto import oids
from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, KeyAlgorithm, TestingError, TestPki

pytestmark = pytest.mark.openssl


def _openssl(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *arguments], capture_output=True, text=True, check=False)


def _directory_attributes(certificate: x509.Certificate) -> dict[str, object]:
    extension = certificate.extensions.get_extension_for_oid(
        x509.ObjectIdentifier(oids.SUBJECT_DIRECTORY_ATTRIBUTES)
    )
    assert isinstance(extension.value, x509.UnrecognizedExtension)
    parsed = asn1_x509.SubjectDirectoryAttributes.load(extension.value.value)
    return {attribute["type"].dotted: attribute["values"][0].native for attribute in parsed}


def test_every_card_authority_has_an_executive_yuan_intermediate(test_pki: TestPki) -> None:
    for authority in (Authority.XCA, Authority.GCA, Authority.MOICA, Authority.MOEACA):
        subject = test_pki.ca(authority).certificate.subject
        assert subject.rfc4514_string() == f"OU={authority.value},O=行政院,C=TW"
        assert test_pki.ca(authority).certificate.issuer == test_pki.root.certificate.subject


def test_card_certificates_chain_to_the_test_grca_with_openssl(test_pki: TestPki) -> None:
    card = test_pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name="鏈結測試事務所")
    )
    for issued in (card.signing, card.encryption):
        result = _openssl(
            "verify",
            "-CAfile",
            str(test_pki.root_certificate_path),
            "-untrusted",
            str(test_pki.ca(Authority.XCA).key.certificate_path),
            str(issued.certificate_path),
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith(": OK")


def test_signing_and_encryption_certificates_carry_their_key_usage(test_pki: TestPki) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="用途測試"))
    signing = card.signing.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    encryption = card.encryption.certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert signing.digital_signature
    assert not signing.key_encipherment
    assert encryption.value.key_encipherment
    assert encryption.value.data_encipherment
    assert not encryption.value.digital_signature


def test_identity_attributes_are_in_subject_directory_attributes(test_pki: TestPki) -> None:
    card = test_pki.issue_card(
        CardSpec(
            authority=Authority.GCA,
            organisation_name="測試局",
            unified_business_number="10203040",
            organisation_oid="2.16.886.101.20003",
            card_rank="正卡",
        )
    )
    attributes = _directory_attributes(card.signing.certificate)
    assert attributes == {
        oids.SUBJECT_CLASS: oids.SUBJECT_CLASS_GOVERNMENT_AGENCY,
        oids.CARD_RANK: "正卡",
        oids.UNIFIED_BUSINESS_NUMBER: "10203040",
        oids.ORGANISATION_OID: "2.16.886.101.20003",
        oids.CARD_SERIAL: card.card_serial,
    }
    assert len(card.card_serial) == 16


def test_certificates_name_loopback_ocsp_crl_and_policy(test_pki: TestPki) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.MOICA, organisation_name="林測試"))
    certificate = card.signing.certificate
    access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    urls = {description.access_location.value for description in access.value}
    assert test_pki.ca(Authority.MOICA).ocsp_url in urls
    points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    crl_urls = [point.full_name[0].value for point in points.value if point.full_name]
    assert crl_urls == [test_pki.ca(Authority.MOICA).crl_url]
    assert all(url.startswith("http://127.0.0.1:") for url in [*urls, *crl_urls])
    policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    assert [policy.policy_identifier.dotted_string for policy in policies] == [oids.GPKI_CLASS_3]


def test_expired_and_ec_variants(test_pki: TestPki) -> None:
    now = dt.datetime.now(dt.UTC)
    card = test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="過期",
            key_algorithm=KeyAlgorithm.EC_P384,
            not_before=now - dt.timedelta(days=10),
            not_after=now - dt.timedelta(days=1),
        )
    )
    result = _openssl(
        "verify",
        "-CAfile",
        str(test_pki.root_certificate_path),
        "-untrusted",
        str(test_pki.ca(Authority.XCA).key.certificate_path),
        str(card.signing.certificate_path),
    )
    assert result.returncode != 0
    assert "certificate has expired" in result.stdout + result.stderr
    assert card.signing.certificate.public_key().curve.name == "secp384r1"  # type: ignore[union-attr]


def test_revocation_reaches_the_crl(test_pki: TestPki) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="撤銷"))
    test_pki.revoke(card.signing.certificate)
    crl_path = test_pki.published_directory / "xca.crl"
    crl = x509.load_der_x509_crl(crl_path.read_bytes())
    revoked = crl.get_revoked_certificate_by_serial_number(card.signing.certificate.serial_number)
    assert revoked is not None
    assert (
        crl.get_revoked_certificate_by_serial_number(card.encryption.certificate.serial_number)
        is None
    )
    assert crl.is_signature_valid(test_pki.ca(Authority.XCA).key.private_key.public_key())


def test_reloaded_pki_keeps_keys_ports_and_revocations(test_pki: TestPki) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="重載"))
    reloaded = TestPki.load(test_pki.directory)
    assert reloaded.root.certificate == test_pki.root.certificate
    assert reloaded.ca(Authority.XCA).ocsp_url == test_pki.ca(Authority.XCA).ocsp_url
    assert reloaded.ca(Authority.XCA).index.knows(card.signing.certificate.serial_number)
    reloaded.revoke(card.encryption.certificate)
    assert any(
        entry.serial == card.encryption.certificate.serial_number
        for entry in TestPki.load(test_pki.directory).ca(Authority.XCA).index.revoked()
    )


def test_create_refuses_a_directory_in_use(test_pki: TestPki) -> None:
    with pytest.raises(TestingError, match="not empty"):
        TestPki.create(test_pki.directory)


def test_load_names_the_missing_pki(tmp_path: Path) -> None:
    with pytest.raises(TestingError, match="holds no test PKI"):
        TestPki.load(tmp_path)


def test_revoking_a_foreign_certificate_is_refused(test_pki: TestPki, tmp_path: Path) -> None:
    other = TestPki.create(tmp_path / "other")
    stranger = other.issue_card(CardSpec(authority=Authority.XCA, organisation_name="外來"))
    with pytest.raises(TestingError, match="not issued by this test PKI"):
        test_pki.revoke(stranger.signing.certificate)


@pytest.mark.parametrize(
    ("signature_hash", "expected"),
    [
        (HashAlgorithm.SHA1, "sha1"),
        (HashAlgorithm.SHA256, "sha256"),
        (HashAlgorithm.SHA384, "sha384"),
        (HashAlgorithm.SHA512, "sha512"),
    ],
)
def test_card_certificates_signed_with_each_hash(
    test_pki: TestPki, signature_hash: HashAlgorithm, expected: str
) -> None:
    card = test_pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name="雜湊", signature_hash=signature_hash)
    )
    certificate = card.signing.certificate
    assert certificate.signature_hash_algorithm is not None
    assert certificate.signature_hash_algorithm.name == expected
    issuer_key = test_pki.ca(Authority.XCA).certificate.public_key()
    assert isinstance(issuer_key, rsa.RSAPublicKey)
    issuer_key.verify(
        certificate.signature,
        certificate.tbs_certificate_bytes,
        padding.PKCS1v15(),
        certificate.signature_hash_algorithm,
    )
