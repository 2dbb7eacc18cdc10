"""Reading GPKI identity out of certificates: typed fields, kept attributes, typed errors."""

from __future__ import annotations

import datetime as dt

import pytest
from asn1crypto import core
from cryptography.hazmat.primitives import hashes, serialization
from handmade_certificates import (
    ANCHOR_FOLDER,
    card_certificate,
    directory_attributes,
    key_usage,
    name,
)

from xcapki.crypto import oids
from xcapki.crypto.authority import Authority
from xcapki.crypto.errors import CertificateError
from xcapki.crypto.profile import (
    CardRank,
    CertificatePurpose,
    SubjectClass,
    TaiwanCertificate,
)
from xcapki.crypto.trust import TrustStore

XCA = Authority.XCA.value
MOICA = Authority.MOICA.value


def _xca_card(**overrides: object) -> TaiwanCertificate:
    attributes = directory_attributes(
        [
            (oids.SUBJECT_CLASS, [core.ObjectIdentifier("2.16.886.1.100.3.2.9.9")]),
            (oids.UNIFIED_BUSINESS_NUMBER, [core.PrintableString("12345675")]),
            (oids.ORGANISATION_OID, [core.ObjectIdentifier("2.16.886.101.20003.20065")]),
            (oids.CARD_SERIAL, [core.PrintableString("TP01234567890123")]),
            (oids.CARD_RANK, [core.UTF8String("正卡")]),
        ]
    )
    certificate = card_certificate(
        issuer=name(organisation_unit=XCA),
        subject=name(o="好帳會計師事務所", cn="好帳會計師事務所"),
        attributes=overrides.get("attributes", attributes),  # type: ignore[arg-type]
        usage=overrides.get("usage", key_usage(digital_signature=True)),  # type: ignore[arg-type]
    )
    return TaiwanCertificate.from_certificate(certificate)


def test_xca_signing_card_fields() -> None:
    card = _xca_card()
    assert card.authority is Authority.XCA
    assert card.unified_business_number == "12345675"
    assert card.organisation_oid == "2.16.886.101.20003.20065"
    assert card.card_serial == "TP01234567890123"
    assert card.card_rank is CardRank.PRIMARY
    assert card.organisation_name == "好帳會計師事務所"
    assert card.purpose is CertificatePurpose.SIGNING
    assert card.purpose.allows_signing
    assert card.policy_oids == (oids.GPKI_CLASS_3,)
    assert card.is_valid_at(dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    assert not card.is_valid_at(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert card.fingerprint_sha256 == card.certificate.fingerprint(hashes.SHA256())


def test_unrecognised_subject_class_keeps_its_oid() -> None:
    card = _xca_card()
    assert card.subject_class is SubjectClass.UNRECOGNISED
    assert card.subject_class_oid == "2.16.886.1.100.3.2.9.9"


def test_encryption_certificate_is_not_a_signing_one() -> None:
    card = _xca_card(usage=key_usage(key_encipherment=True, data_encipherment=True))
    assert card.purpose is CertificatePurpose.ENCRYPTION
    assert not card.purpose.allows_signing


@pytest.mark.parametrize(
    ("flags", "purpose"),
    [
        ({"digital_signature": True, "key_encipherment": True}, "SIGNING_AND_ENCRYPTION"),
        ({"data_encipherment": True}, "ENCRYPTION"),
        ({"key_cert_sign": True, "digital_signature": True}, "CERTIFICATE_AUTHORITY"),
        ({"crl_sign": True}, "UNSPECIFIED"),
    ],
)
def test_purpose_follows_key_usage(flags: dict[str, bool], purpose: str) -> None:
    assert _xca_card(usage=key_usage(**flags)).purpose is CertificatePurpose[purpose]


def test_unknown_attributes_are_kept_as_raw_der() -> None:
    odd_value = core.Integer(42)
    attributes = directory_attributes(
        [
            (oids.UNIFIED_BUSINESS_NUMBER, [core.UTF8String("87654321")]),
            ("2.16.886.1.100.2.999", [core.UTF8String("新屬性"), odd_value]),
        ]
    )
    card = _xca_card(attributes=attributes)
    assert card.unified_business_number == "87654321"
    (unknown,) = card.unknown_attributes
    assert unknown.oid == "2.16.886.1.100.2.999"
    assert set(unknown.values) == {core.UTF8String("新屬性").dump(), odd_value.dump()}
    assert card.attribute("2.16.886.1.100.2.999") == unknown
    assert len(card.directory_attributes) == 2
    with pytest.raises(CertificateError, match="neither a string nor an OID"):
        unknown.texts()


def test_moica_card_has_id_digits_and_no_business_number() -> None:
    attributes = directory_attributes(
        [
            (oids.SUBJECT_CLASS, [core.ObjectIdentifier(oids.SUBJECT_CLASS_NATURAL_PERSON)]),
            (oids.MOICA_ID_DIGITS, [core.PrintableString("6789")]),
        ]
    )
    certificate = card_certificate(
        issuer=name(organisation_unit=MOICA),
        subject=name(cn="王小明", serial="12345678"),
        attributes=attributes,
        usage=key_usage(digital_signature=True),
    )
    card = TaiwanCertificate.from_certificate(certificate)
    assert card.authority is Authority.MOICA
    assert card.subject_class is SubjectClass.NATURAL_PERSON
    assert card.moica_id_digits == "6789"
    assert card.unified_business_number is None
    assert card.card_rank is CardRank.ABSENT


def test_moeaca_business_number_falls_back_to_subject_serial_number() -> None:
    certificate = card_certificate(
        issuer=name(organisation_unit=Authority.MOEACA.value),
        subject=name(o="大同股份有限公司", cn="大同股份有限公司", serial="03712302"),
        attributes=directory_attributes(
            [(oids.SUBJECT_CLASS, [core.ObjectIdentifier(oids.SUBJECT_CLASS_COMPANY)])]
        ),
    )
    card = TaiwanCertificate.from_certificate(certificate)
    assert card.authority is Authority.MOEACA
    assert card.subject_class is SubjectClass.COMPANY
    assert card.unified_business_number == "03712302"
    assert card.purpose is CertificatePurpose.UNSPECIFIED


def test_issuer_outside_gpki_is_other() -> None:
    certificate = card_certificate(issuer=name(o="Example CA"), subject=name(cn="x"))
    card = TaiwanCertificate.from_certificate(certificate)
    assert card.authority is Authority.OTHER
    assert card.directory_attributes == ()
    assert card.subject_class is SubjectClass.ABSENT


def test_moica_generation_is_told_apart_by_key_identifier() -> None:
    store = TrustStore.bundled()
    g2, g3 = store.intermediates
    for generation in (g2, g3):
        certificate = card_certificate(
            issuer=generation.certificate.subject,
            subject=name(cn="王小明"),
            authority_key_id=generation.key_identifier,
        )
        card = TaiwanCertificate.from_certificate(certificate, trust_store=store)
        assert card.authority is Authority.MOICA
        assert card.issuer_label == generation.label
        assert card.issuer_key_identifier == generation.key_identifier


def test_real_moica_intermediates_read_as_ca_certificates() -> None:
    store = TrustStore.bundled()
    for entry in store.intermediates:
        card = TaiwanCertificate.from_certificate(entry.certificate, trust_store=store)
        assert card.purpose is CertificatePurpose.CERTIFICATE_AUTHORITY
        assert card.policy_oids == (oids.GPKI_CLASS_3,)
        assert card.issuer_label in ("GRCA G2", "GRCA G3")


def test_from_bytes_reads_pem_and_der() -> None:
    pem = (ANCHOR_FOLDER / "MOICA-G3.pem").read_bytes()
    from_pem = TaiwanCertificate.from_bytes(pem)
    der = from_pem.certificate.public_bytes(serialization.Encoding.DER)
    assert TaiwanCertificate.from_bytes(der) == from_pem


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00", b"-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n", b"\x30\x00"],
)
def test_garbage_raises_certificate_error(data: bytes) -> None:
    with pytest.raises(CertificateError):
        TaiwanCertificate.from_bytes(data)


def test_non_bytes_raise_certificate_error() -> None:
    with pytest.raises(CertificateError):
        TaiwanCertificate.from_bytes("not bytes")  # type: ignore[arg-type]
    with pytest.raises(CertificateError):
        TaiwanCertificate.from_certificate(b"raw")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        ([(oids.UNIFIED_BUSINESS_NUMBER, [core.PrintableString("1234")])], "8"),
        ([(oids.UNIFIED_BUSINESS_NUMBER, [core.PrintableString("ABCDEFGH")])], "digits"),
        ([(oids.SUBJECT_CLASS, [core.UTF8String("not an oid")])], "OID"),
        ([(oids.CARD_SERIAL, [core.PrintableString("A"), core.PrintableString("B")])], "2 values"),
        ([(oids.CARD_SERIAL, [core.OctetString(b"x")])], "neither a string nor an OID"),
    ],
)
def test_malformed_known_attributes_raise_certificate_error(
    entries: list[tuple[str, list[core.Asn1Value]]], match: str
) -> None:
    with pytest.raises(CertificateError, match=match):
        _xca_card(attributes=directory_attributes(entries))


def test_malformed_extension_raises_certificate_error() -> None:
    with pytest.raises(CertificateError, match="not a DER SEQUENCE OF Attribute"):
        _xca_card(attributes=b"\x30\x05\x06\x03\x55\x04")
