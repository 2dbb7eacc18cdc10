"""Certificates the test PKI deliberately does not make, built by hand for the crypto tests.

``xcapki.testing.TestPki.issue_card`` makes well-formed Taiwan card
certificates; the tests here also need what a correct CA never issues: odd
subjectDirectoryAttributes encodings for the profile parser (``card_certificate``).
Card certificates issued again with one thing changed come from
``TestPki.reissue``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import xcapki.crypto
from xcapki.crypto import oids

ANCHOR_FOLDER = Path(xcapki.crypto.__file__).parent / "anchors"
PUBLISHED_HASHES = ANCHOR_FOLDER / "README.md"
FIXED_MOMENT = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)

_KEY = ec.generate_private_key(ec.SECP256R1())


class _Attribute(core.Sequence):  # type: ignore[misc]
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]  # noqa: RUF012


class _Attributes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Attribute


def directory_attributes(entries: list[tuple[str, list[core.Asn1Value]]]) -> bytes:
    """DER of a subjectDirectoryAttributes value: (type OID, values) pairs, any value types."""
    return _Attributes(
        [
            {"type": oid, "values": [core.Any.load(v.dump()) for v in values]}
            for oid, values in entries
        ]
    ).dump()


def name(*, organisation_unit: str | None = None, **attributes: str) -> x509.Name:
    """C=TW, O=行政院 (unless given), optional OU, then CN/serialNumber/O as given."""
    parts = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW")]
    parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, attributes.get("o", "行政院")))
    if organisation_unit is not None:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, organisation_unit))
    if "cn" in attributes:
        parts.append(x509.NameAttribute(NameOID.COMMON_NAME, attributes["cn"]))
    if "serial" in attributes:
        parts.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, attributes["serial"]))
    return x509.Name(parts)


def key_usage(**flags: bool) -> x509.KeyUsage:
    """A KeyUsage with only the named flags set."""
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{n: flags.get(n, False) for n in names})


def card_certificate(
    *,
    issuer: x509.Name,
    subject: x509.Name,
    attributes: bytes | None = None,
    usage: x509.KeyUsage | None = None,
    policies: tuple[str, ...] = (oids.GPKI_CLASS_3,),
    authority_key_id: bytes | None = None,
) -> x509.Certificate:
    """A self-made card certificate carrying exactly the given extensions."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(_KEY.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(FIXED_MOMENT - dt.timedelta(days=30))
        .not_valid_after(FIXED_MOMENT + dt.timedelta(days=365))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(_KEY.public_key()), False)
    )
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier(p), None) for p in policies]
            ),
            critical=False,
        )
    if attributes is not None:
        builder = builder.add_extension(
            x509.UnrecognizedExtension(
                x509.ObjectIdentifier(oids.SUBJECT_DIRECTORY_ATTRIBUTES), attributes
            ),
            critical=False,
        )
    if authority_key_id is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier(authority_key_id, None, None), critical=False
        )
    return builder.sign(_KEY, hashes.SHA256())
