"""xcapki signs, xcapki verifies: every shape, scheme and hash, and the results' fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms
from cms_pki import CmsTestPki
from cryptography.hazmat.primitives.asymmetric import rsa

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto import oids
from xcapki.crypto.cms import (
    HIPKI_ATTRIBUTES,
    LEGACY_SHA1_POLICY,
    NO_ATTRIBUTES,
    AlgorithmNotAllowedError,
    AlgorithmPolicy,
    CmsUsageError,
    ContentMismatchError,
    DetachedContentMissingError,
    MessageDigestMismatchError,
    SignatureInvalidError,
    SignedAttributes,
    SignerCertificateMissingError,
    SignerIdentifierType,
    SigningTimeSkewError,
    inspect_cms,
    sign_cms,
    sign_hipki,
    sign_smartpki,
    verify_cms,
)
from xcapki.crypto.key_signer import KeySigner, KeySignerError

CONTENT = "驗簽測試 challenge 0123456789".encode()

SCHEMES = [
    ("rsa2048", SignatureScheme.RSA_PKCS1V15),
    ("rsa2048", SignatureScheme.RSA_PSS),
    ("rsa3072", SignatureScheme.RSA_PSS),
    ("p256", SignatureScheme.ECDSA),
    ("p384", SignatureScheme.ECDSA),
]


@pytest.mark.parametrize(("name", "scheme"), SCHEMES)
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize("with_attributes", [True, False])
def test_every_shape_round_trips(
    cms_pki: CmsTestPki, name: str, scheme: SignatureScheme, detached: bool, with_attributes: bool
) -> None:
    signer = cms_pki.signer(name)
    der = sign_cms(
        CONTENT,
        signer,
        detached=detached,
        scheme=scheme,
        attributes=SignedAttributes() if with_attributes else NO_ATTRIBUTES,
    )
    result = verify_cms(der, content=CONTENT if detached else None)
    assert result.intact
    assert result.failure is None
    assert result.content == CONTENT
    assert result.detached is detached
    assert result.signature_scheme is scheme
    assert result.digest_algorithm is HashAlgorithm.SHA256
    assert result.signer_certificate == signer.certificate
    if with_attributes:
        assert result.attributes is not None
        assert result.attributes.has_signing_certificate
        assert result.attributes.has_algorithm_protection
        assert result.signing_time is not None
    else:
        assert result.attributes is None
        assert result.signing_time is None


@pytest.mark.parametrize("hash_algorithm", [HashAlgorithm.SHA384, HashAlgorithm.SHA512])
def test_stronger_hashes_round_trip(cms_pki: CmsTestPki, hash_algorithm: HashAlgorithm) -> None:
    der = sign_cms(
        CONTENT,
        cms_pki.signer("rsa2048"),
        hash_algorithm=hash_algorithm,
        scheme=SignatureScheme.RSA_PSS,
    )
    assert verify_cms(der).digest_algorithm is hash_algorithm


def test_hipki_shape_carries_nonce_card_serial_and_time(cms_pki: CmsTestPki) -> None:
    when = datetime(2026, 3, 1, 8, 30, 15, tzinfo=UTC)
    nonce = bytes(range(32))
    der = sign_hipki(
        CONTENT,
        cms_pki.signer("rsa2048"),
        nonce=nonce,
        card_serial="TP03000012345678",
        signing_time=when,
    )
    result = verify_cms(der)
    assert result.attributes is not None
    assert result.attributes.nonce == nonce
    assert result.attributes.card_serial == "TP03000012345678"
    assert result.signing_time == when
    assert not result.attributes.has_signing_certificate
    assert not result.attributes.has_algorithm_protection
    oids_seen = {attribute.oid for attribute in result.attributes.raw}
    assert oids_seen == {
        "1.2.840.113549.1.9.3",
        "1.2.840.113549.1.9.4",
        "1.2.840.113549.1.9.5",
        oids.CMS_NONCE,
        oids.CARD_SERIAL,
    }
    assert result.attributes.get(oids.CARD_SERIAL) is not None
    assert result.attributes.get("1.2.3.4") is None


def test_hipki_preset_is_the_hipki_attribute_set() -> None:
    assert (
        SignedAttributes(signing_certificate=False, algorithm_protection=False) == HIPKI_ATTRIBUTES
    )


def test_smartpki_shape_is_detached_without_attributes(cms_pki: CmsTestPki) -> None:
    der = sign_smartpki(CONTENT, cms_pki.signer("rsa2048"))
    with pytest.raises(DetachedContentMissingError):
        verify_cms(der)
    result = verify_cms(der, content=CONTENT)
    assert result.detached
    assert result.attributes is None


def test_subject_key_identifier_sid(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("p256")
    der = sign_cms(CONTENT, signer, signer_identifier=SignerIdentifierType.SUBJECT_KEY_IDENTIFIER)
    info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    assert info["sid"].name == "subject_key_identifier"
    assert verify_cms(der).signer_certificate == signer.certificate


def test_chain_certificates_are_carried(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("rsa2048")
    der = sign_cms(
        CONTENT, signer, include_chain=(cms_pki.intermediate, cms_pki.root, signer.certificate)
    )
    result = verify_cms(der)
    assert len(result.certificates) == 3
    assert set(result.certificates) == {signer.certificate, cms_pki.intermediate, cms_pki.root}


def test_signer_found_in_extra_certificates(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("rsa2048")
    der = sign_cms(CONTENT, signer)
    signed_data = cms.ContentInfo.load(der)
    del signed_data["content"]["certificates"]
    stripped = signed_data.dump(force=True)
    with pytest.raises(SignerCertificateMissingError):
        verify_cms(stripped)
    found = verify_cms(stripped, extra_certificates=[cms_pki.intermediate, signer.certificate])
    assert found.signer_certificate == signer.certificate
    assert found.certificates == ()


def test_signing_time_skew_is_checked_only_when_asked(cms_pki: CmsTestPki) -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), signing_time=when)
    assert verify_cms(der).signing_time == when
    assert verify_cms(der, now=when + timedelta(minutes=4)).intact
    with pytest.raises(SigningTimeSkewError):
        verify_cms(der, now=when + timedelta(minutes=6))
    with pytest.raises(SigningTimeSkewError):
        verify_cms(der, now=when - timedelta(minutes=1), max_clock_skew=timedelta(seconds=30))
    with pytest.raises(CmsUsageError):
        verify_cms(der, now=datetime(2026, 1, 1))


def test_sha1_needs_the_legacy_policy(cms_pki: CmsTestPki) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), hash_algorithm=HashAlgorithm.SHA1)
    with pytest.raises(AlgorithmNotAllowedError, match="SHA1"):
        verify_cms(der)
    assert verify_cms(der, policy=LEGACY_SHA1_POLICY).digest_algorithm is HashAlgorithm.SHA1


def test_policy_can_narrow_schemes(cms_pki: CmsTestPki) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("p256"))
    rsa_only = AlgorithmPolicy(
        schemes=frozenset({SignatureScheme.RSA_PKCS1V15, SignatureScheme.RSA_PSS})
    )
    with pytest.raises(AlgorithmNotAllowedError):
        verify_cms(der, policy=rsa_only)


def test_attached_content_must_equal_expected(cms_pki: CmsTestPki) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"))
    assert verify_cms(der, content=CONTENT).content == CONTENT
    with pytest.raises(ContentMismatchError):
        verify_cms(der, content=CONTENT + b"!")


def test_inspect_reports_broken_signature_without_raising(cms_pki: CmsTestPki) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), detached=True)
    broken = inspect_cms(der, content=b"other content")
    assert not broken.intact
    assert isinstance(broken.failure, MessageDigestMismatchError)
    assert broken.signer_certificate == cms_pki.signer("rsa2048").certificate
    raw = sign_smartpki(CONTENT, cms_pki.signer("p256"))
    broken_raw = inspect_cms(raw, content=b"other content")
    assert isinstance(broken_raw.failure, SignatureInvalidError)
    with pytest.raises(SignatureInvalidError):
        verify_cms(raw, content=b"other content")


def test_signing_options_that_contradict_are_refused(cms_pki: CmsTestPki) -> None:
    rsa_signer = cms_pki.signer("rsa2048")
    with pytest.raises(CmsUsageError):
        sign_cms(CONTENT, rsa_signer, attributes=NO_ATTRIBUTES, nonce=b"12345678")
    with pytest.raises(CmsUsageError):
        sign_cms(CONTENT, rsa_signer, scheme=SignatureScheme.ECDSA)
    with pytest.raises(CmsUsageError):
        sign_cms(CONTENT, cms_pki.signer("p256"), scheme=SignatureScheme.RSA_PSS)
    with pytest.raises(CmsUsageError):
        sign_cms(CONTENT, rsa_signer, signing_time=datetime(2026, 1, 1))
    with pytest.raises(CmsUsageError):
        sign_cms(
            CONTENT,
            rsa_signer,
            attributes=SignedAttributes(signing_time=False),
            signing_time=datetime.now(UTC),
        )
    with pytest.raises(CmsUsageError):
        sign_cms(CONTENT, rsa_signer, nonce=b"")


def test_signing_time_after_2049_uses_generalized_time(cms_pki: CmsTestPki) -> None:
    when = datetime(2051, 6, 1, tzinfo=UTC)
    der = sign_cms(CONTENT, cms_pki.signer("p256"), signing_time=when)
    assert verify_cms(der).signing_time == when


def test_key_signer_refuses_a_key_of_another_certificate(cms_pki: CmsTestPki) -> None:
    key = cms_pki.signer("rsa2048").private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    with pytest.raises(KeySignerError):
        KeySigner(private_key=key, certificate=cms_pki.signer("p256").certificate)
    with pytest.raises(KeySignerError):
        cms_pki.signer("p256").sign(
            b"x", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PSS
        )
