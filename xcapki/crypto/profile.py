"""The Taiwan GPKI certificate profile: who a card certificate says its holder is.

GPKI card certificates carry the holder's identity in subjectDirectoryAttributes
(統一編號, organisation OID, subject class, card rank, card serial, ...) rather
than in the subject DN alone. ``TaiwanCertificate`` reads all of it into typed
fields, and keeps every attribute, known or not, as raw DER so nothing a future
profile adds is silently dropped.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from xcapki.crypto import oids
from xcapki.crypto.authority import Authority, authority_of_ca_name
from xcapki.crypto.caches import PARSED_CERTIFICATES
from xcapki.crypto.directory_attributes import SubjectDirectoryAttributes
from xcapki.crypto.errors import CertificateError

if TYPE_CHECKING:
    from xcapki.crypto.trust import TrustStore

__all__ = [
    "CardRank",
    "CertificatePurpose",
    "DirectoryAttribute",
    "SubjectClass",
    "TaiwanCertificate",
    "load_certificate",
]

_UBN_LENGTH: Final = 8


class CertificatePurpose(enum.Enum):
    """What the certificate's key may do, from its keyUsage.

    A CA certificate (keyCertSign or basicConstraints CA) is always
    CERTIFICATE_AUTHORITY, whatever else its key usage allows.

    A HiCOS card holds a SIGNING certificate (digitalSignature, CKA_ID ``SIGN``)
    and an ENCRYPTION one (keyEncipherment/dataEncipherment, ``KEYX``); only the
    first may be used to log in.
    """

    SIGNING = "signing"
    ENCRYPTION = "encryption"
    SIGNING_AND_ENCRYPTION = "signing-and-encryption"
    CERTIFICATE_AUTHORITY = "certificate-authority"
    UNSPECIFIED = "unspecified"

    @property
    def allows_signing(self) -> bool:
        """Whether the key usage includes digitalSignature."""
        return self in (CertificatePurpose.SIGNING, CertificatePurpose.SIGNING_AND_ENCRYPTION)


class SubjectClass(enum.Enum):
    """The GPKI subject class (attribute 2.16.886.1.100.2.1); value is the OID.

    ``ABSENT`` when the certificate has no subject class, ``UNRECOGNISED`` when
    it names one this table does not know (the OID stays in
    ``TaiwanCertificate.subject_class_oid``).
    """

    NATURAL_PERSON = oids.SUBJECT_CLASS_NATURAL_PERSON
    GOVERNMENT_AGENCY = oids.SUBJECT_CLASS_GOVERNMENT_AGENCY
    GOVERNMENT_UNIT = oids.SUBJECT_CLASS_GOVERNMENT_UNIT
    COMPANY = oids.SUBJECT_CLASS_COMPANY
    BRANCH_COMPANY = oids.SUBJECT_CLASS_BRANCH_COMPANY
    SOLE_PROPRIETORSHIP = oids.SUBJECT_CLASS_SOLE_PROPRIETORSHIP
    SERVER = oids.SUBJECT_CLASS_SERVER
    UNRECOGNISED = "unrecognised"
    ABSENT = "absent"

    @classmethod
    def from_oid(cls, oid: str | None) -> SubjectClass:
        """The class for ``oid``; ``ABSENT`` for None, ``UNRECOGNISED`` if unknown."""
        if oid is None:
            return cls.ABSENT
        for member in cls:
            if member.value == oid:
                return member
        return cls.UNRECOGNISED


class CardRank(enum.Enum):
    """Primary card 正卡 or secondary card 附卡 (attribute 2.16.886.1.100.2.2).

    The encoding of the value is not published; the recognised spellings are in
    ``_CARD_RANK_SPELLINGS`` and anything else is ``UNRECOGNISED`` (raw value
    kept in ``TaiwanCertificate.directory_attributes``).
    """

    PRIMARY = "primary"
    SECONDARY = "secondary"
    UNRECOGNISED = "unrecognised"
    ABSENT = "absent"


_CARD_RANK_SPELLINGS: Final[Mapping[str, CardRank]] = {
    "正卡": CardRank.PRIMARY,
    "primary": CardRank.PRIMARY,
    "1": CardRank.PRIMARY,
    "附卡": CardRank.SECONDARY,
    "secondary": CardRank.SECONDARY,
    "2": CardRank.SECONDARY,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectoryAttribute:
    """One subjectDirectoryAttributes entry: its type and each value's raw DER."""

    oid: str
    values: tuple[bytes, ...]

    def texts(self) -> tuple[str, ...]:
        """Each value as text: strings as themselves, OIDs dotted.

        Raises ``CertificateError`` for a value that is neither.
        """
        return tuple(_value_text(self.oid, value) for value in self.values)


@dataclass(frozen=True, slots=True, kw_only=True)
class TaiwanCertificate:
    """A certificate read through the Taiwan GPKI profile.

    Optional identity fields are ``None`` when the certificate does not carry
    them. ``directory_attributes`` holds every subjectDirectoryAttributes entry,
    including those with a typed field here.
    """

    certificate: x509.Certificate
    authority: Authority
    issuer_label: str | None
    issuer_key_identifier: bytes | None
    subject_key_identifier: bytes | None
    unified_business_number: str | None
    organisation_oid: str | None
    subject_class: SubjectClass
    subject_class_oid: str | None
    card_rank: CardRank
    moica_id_digits: str | None
    card_serial: str | None
    organisation_name: str | None
    common_name: str | None
    purpose: CertificatePurpose
    extended_key_usages: tuple[str, ...] | None
    """The extendedKeyUsage purposes (dotted OIDs); None when the extension is absent."""
    policy_oids: tuple[str, ...]
    not_before: datetime.datetime
    not_after: datetime.datetime
    serial_number: int
    fingerprint_sha256: bytes
    directory_attributes: tuple[DirectoryAttribute, ...]

    @classmethod
    def from_certificate(
        cls, certificate: x509.Certificate, *, trust_store: TrustStore | None = None
    ) -> TaiwanCertificate:
        """Read ``certificate``; with ``trust_store``, name its issuer by key identifier.

        The authority comes from the issuing CA's exact name
        (``authority_of_ca_name``): the trust store's CA certificate when the
        store identifies it by the certificate's authorityKeyIdentifier (MOICA
        G2 and G3 share one DN, so only the key tells which generation issued
        the card; ``issuer_label`` names it), else the certificate's issuer name.

        Identity is read strictly: a repeated identity attribute, a value that
        is not in its canonical form (surrounding whitespace, full-width
        digits, an empty value) or two different 統一編號 raise
        ``CertificateError`` instead of being resolved silently.
        """
        try:
            return _read(certificate, trust_store)
        except CertificateError:
            raise
        except Exception as exc:
            raise CertificateError(
                "the certificate's extensions cannot be read (one is malformed or repeated); "
                "the signer must use a well-formed X.509 certificate"
            ) from exc

    @classmethod
    def from_bytes(cls, data: bytes, *, trust_store: TrustStore | None = None) -> TaiwanCertificate:
        """Read a DER or PEM certificate; ``CertificateError`` if it is neither."""
        return cls.from_certificate(load_certificate(data), trust_store=trust_store)

    @property
    def unknown_attributes(self) -> tuple[DirectoryAttribute, ...]:
        """The directory attributes this profile has no typed field for."""
        return tuple(a for a in self.directory_attributes if a.oid not in _KNOWN_ATTRIBUTES)

    def attribute(self, oid: str) -> DirectoryAttribute | None:
        """The directory attribute of type ``oid``, if present."""
        for attribute in self.directory_attributes:
            if attribute.oid == oid:
                return attribute
        return None

    def is_valid_at(self, moment: datetime.datetime) -> bool:
        """Whether ``moment`` (timezone-aware) lies within the validity period."""
        return self.not_before <= moment <= self.not_after


def load_certificate(data: bytes, *, pem: bool = True) -> x509.Certificate:
    """Parse one DER or PEM certificate; ``CertificateError`` on anything else.

    DER (what a CMS, a card and a login response carry) is parsed strictly by
    ``cryptography`` through ``PARSED_CERTIFICATES``, so the same bytes give
    the same object without parsing them again; PEM is parsed each time.
    ``pem=False`` refuses PEM, for protocols whose field is DER.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CertificateError(
            f"expected certificate bytes, got {type(data).__name__}; pass DER or PEM bytes"
        )
    raw = bytes(data)
    try:
        if pem and not raw.startswith(_DER_SEQUENCE) and raw.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificate(raw)
        return PARSED_CERTIFICATES.parsed(raw)
    except ValueError as exc:
        raise CertificateError(
            "the data is not a readable X.509 certificate; pass one certificate in DER or PEM form"
        ) from exc


_DER_SEQUENCE: Final = b"\x30"

_KNOWN_ATTRIBUTES: Final = frozenset(
    {
        oids.SUBJECT_CLASS,
        oids.CARD_RANK,
        oids.MOICA_ID_DIGITS,
        oids.UNIFIED_BUSINESS_NUMBER,
        oids.ORGANISATION_OID,
        oids.CARD_SERIAL,
    }
)


def _read(certificate: x509.Certificate, trust_store: TrustStore | None) -> TaiwanCertificate:
    if not isinstance(certificate, x509.Certificate):
        raise CertificateError(
            f"expected a cryptography x509.Certificate, got {type(certificate).__name__}; "
            "use TaiwanCertificate.from_bytes for DER or PEM"
        )
    attributes = _directory_attributes(certificate)
    by_oid = {a.oid: a for a in attributes}
    aki = _authority_key_identifier(certificate)
    authority = authority_of_ca_name(certificate.issuer)
    issuer_label = None
    if trust_store is not None:
        known = trust_store.issuer_of(certificate)
        if known is not None:
            issuer_label = known.label
            authority = authority_of_ca_name(known.certificate.subject)
    subject_class_oid = _single_oid(by_oid.get(oids.SUBJECT_CLASS))
    subject_class = SubjectClass.from_oid(subject_class_oid)
    common_name = _first(certificate.subject, NameOID.COMMON_NAME)
    return TaiwanCertificate(
        certificate=certificate,
        authority=authority,
        issuer_label=issuer_label,
        issuer_key_identifier=aki,
        subject_key_identifier=subject_key_identifier(certificate),
        unified_business_number=_unified_business_number(
            certificate, by_oid.get(oids.UNIFIED_BUSINESS_NUMBER), authority, subject_class
        ),
        organisation_oid=_single_oid(by_oid.get(oids.ORGANISATION_OID)),
        subject_class=subject_class,
        subject_class_oid=subject_class_oid,
        card_rank=_card_rank(by_oid.get(oids.CARD_RANK)),
        moica_id_digits=_single_digits(by_oid.get(oids.MOICA_ID_DIGITS)),
        card_serial=_card_serial(by_oid.get(oids.CARD_SERIAL)),
        organisation_name=_first(certificate.subject, NameOID.ORGANIZATION_NAME) or common_name,
        common_name=common_name,
        purpose=_purpose(certificate),
        extended_key_usages=_extended_key_usages(certificate),
        policy_oids=_policy_oids(certificate),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        serial_number=certificate.serial_number,
        fingerprint_sha256=certificate.fingerprint(hashes.SHA256()),
        directory_attributes=attributes,
    )


def subject_key_identifier(certificate: x509.Certificate) -> bytes | None:
    """The subjectKeyIdentifier extension's value, if present."""
    try:
        ext = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return ext.value.digest


def key_identifier(certificate: x509.Certificate) -> bytes:
    """The subjectKeyIdentifier, else the SHA-1 of the public key (RFC 5280 method 1)."""
    ski = subject_key_identifier(certificate)
    if ski is not None:
        return ski
    return x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest


def _authority_key_identifier(certificate: x509.Certificate) -> bytes | None:
    try:
        ext = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    except x509.ExtensionNotFound:
        return None
    return ext.value.key_identifier


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    for attribute in name.get_attributes_for_oid(oid):
        value = attribute.value
        text = value if isinstance(value, str) else value.decode("utf-8", "replace")
        text = text.strip()
        if text:
            return text
    return None


def _directory_attributes(certificate: x509.Certificate) -> tuple[DirectoryAttribute, ...]:
    try:
        ext = certificate.extensions.get_extension_for_oid(
            x509.ObjectIdentifier(oids.SUBJECT_DIRECTORY_ATTRIBUTES)
        )
    except x509.ExtensionNotFound:
        return ()
    value = ext.value
    raw = value.value if isinstance(value, x509.UnrecognizedExtension) else value.public_bytes()
    try:
        parsed = SubjectDirectoryAttributes.load(raw, strict=True)
        attributes = tuple(
            DirectoryAttribute(
                oid=item["type"].dotted,
                values=tuple(v.dump() for v in item["values"]),
            )
            for item in parsed
        )
    except (ValueError, TypeError) as exc:
        raise CertificateError(
            "the subjectDirectoryAttributes extension is not a DER SEQUENCE OF Attribute; "
            "the certificate does not follow the GPKI profile"
        ) from exc
    seen: set[str] = set()
    for attribute in attributes:
        if attribute.oid in _KNOWN_ATTRIBUTES and attribute.oid in seen:
            raise CertificateError(
                f"directory attribute {attribute.oid} appears twice, so the holder's identity "
                "is ambiguous; the certificate does not follow the GPKI profile"
            )
        seen.add(attribute.oid)
    return attributes


def _value_text(oid: str, value: bytes) -> str:
    """The value exactly as encoded: nothing is trimmed, so a padded value stays visible."""
    try:
        parsed = core.load(value, strict=True)
        if isinstance(parsed, core.ObjectIdentifier):
            return str(parsed.dotted)
        if isinstance(parsed, core.AbstractString):
            return str(parsed.native)
    except Exception as exc:
        raise CertificateError(
            f"directory attribute {oid} holds a value that is not DER; "
            "the certificate does not follow the GPKI profile"
        ) from exc
    raise CertificateError(
        f"directory attribute {oid} holds neither a string nor an OID; "
        "the certificate does not follow the GPKI profile"
    )


def _single_text(attribute: DirectoryAttribute | None) -> str | None:
    """The one value of ``attribute``, in canonical form (not empty, no surrounding space)."""
    if attribute is None:
        return None
    texts = attribute.texts()
    if len(texts) != 1:
        raise CertificateError(
            f"directory attribute {attribute.oid} has {len(texts)} values, expected one; "
            "the certificate does not follow the GPKI profile"
        )
    text = texts[0]
    if not text or text != text.strip():
        raise CertificateError(
            f"directory attribute {attribute.oid} holds {text!r}, which is empty or padded "
            "with whitespace; the certificate does not follow the GPKI profile"
        )
    return text


def _card_serial(attribute: DirectoryAttribute | None) -> str | None:
    """The card number: ASCII letters and digits only, as the card's token serial."""
    text = _single_text(attribute)
    if text is not None and not (text.isascii() and text.isalnum()):
        assert attribute is not None
        raise CertificateError(
            f"directory attribute {attribute.oid} should hold a card number of ASCII letters "
            f"and digits, found {text!r}; the certificate does not follow the GPKI profile"
        )
    return text


def _single_oid(attribute: DirectoryAttribute | None) -> str | None:
    text = _single_text(attribute)
    if text is None:
        return None
    parts = text.split(".")
    if len(parts) < 2 or not all(p.isascii() and p.isdigit() for p in parts):
        assert attribute is not None
        raise CertificateError(
            f"directory attribute {attribute.oid} should hold an OID, found {text!r}; "
            "the certificate does not follow the GPKI profile"
        )
    return text


def _single_digits(attribute: DirectoryAttribute | None) -> str | None:
    text = _single_text(attribute)
    if text is not None and not (text.isascii() and text.isdigit()):
        assert attribute is not None
        raise CertificateError(
            f"directory attribute {attribute.oid} should hold digits, found {text!r}; "
            "the certificate does not follow the GPKI profile"
        )
    return text


def _unified_business_number(
    certificate: x509.Certificate,
    attribute: DirectoryAttribute | None,
    authority: Authority,
    subject_class: SubjectClass,
) -> str | None:
    number = _single_digits(attribute)
    if number is not None and len(number) != _UBN_LENGTH:
        raise CertificateError(
            f"the 統一編號 attribute holds {len(number)} digits, expected 8; "
            "the certificate does not follow the GPKI profile"
        )
    if authority is Authority.MOICA or subject_class is SubjectClass.NATURAL_PERSON:
        return number
    serial = _subject_serial_number(certificate)
    if number is not None and serial is not None and serial != number:
        raise CertificateError(
            f"the certificate names two 統一編號, {number} in its directory attributes and "
            f"{serial} in its subject serialNumber; the certificate does not follow the GPKI "
            "profile"
        )
    return number or serial


def _subject_serial_number(certificate: x509.Certificate) -> str | None:
    """The subject serialNumber when it is a 統一編號 (exactly 8 ASCII digits).

    A repeated serialNumber, or one that is a 統一編號 only once trimmed or
    read with other digit forms, is ambiguous and raises ``CertificateError``.
    """
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values:
        return None
    if len(values) > 1:
        raise CertificateError(
            "the subject names serialNumber twice, so the holder's 統一編號 is ambiguous; "
            "the certificate does not follow the GPKI profile"
        )
    value = values[0].value
    if not isinstance(value, str):
        return None
    if value.isascii() and value.isdigit() and len(value) == _UBN_LENGTH:
        return value
    trimmed = value.strip()
    if len(trimmed) == _UBN_LENGTH and trimmed.isdigit():
        raise CertificateError(
            f"the subject serialNumber {value!r} is a 統一編號 only once trimmed or read with "
            "other digit forms; the certificate does not follow the GPKI profile"
        )
    return None


def _card_rank(attribute: DirectoryAttribute | None) -> CardRank:
    text = _single_text(attribute)
    if text is None:
        return CardRank.ABSENT
    return _CARD_RANK_SPELLINGS.get(text.lower(), CardRank.UNRECOGNISED)


def _purpose(certificate: x509.Certificate) -> CertificatePurpose:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return CertificatePurpose.UNSPECIFIED
    if usage.key_cert_sign or _is_ca(certificate):
        return CertificatePurpose.CERTIFICATE_AUTHORITY
    signs = usage.digital_signature
    encrypts = usage.key_encipherment or usage.data_encipherment
    if signs and encrypts:
        return CertificatePurpose.SIGNING_AND_ENCRYPTION
    if signs:
        return CertificatePurpose.SIGNING
    if encrypts:
        return CertificatePurpose.ENCRYPTION
    return CertificatePurpose.UNSPECIFIED


def _extended_key_usages(certificate: x509.Certificate) -> tuple[str, ...] | None:
    try:
        usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None
    return tuple(usage.dotted_string for usage in usages)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _policy_oids(certificate: x509.Certificate) -> tuple[str, ...]:
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(p.policy_identifier.dotted_string for p in policies)


def certificate_der(certificate: x509.Certificate) -> bytes:
    """The DER encoding of ``certificate``."""
    return certificate.public_bytes(serialization.Encoding.DER)
