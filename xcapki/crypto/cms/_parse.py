"""The strict parse of a CMS SignedData (docs/login-checks.md step 1), done once.

``parse_cms`` checks size and strict DER, then walks the SignedData skeleton
by tag and position over the original bytes (both with ``_der``): one SignedData, one
SignerInfo, id-data content, consistent versions. Nothing is re-encoded:
the signed attributes' SET OF, the content and each certificate are slices
of the input (certificates go to ``cryptography``, cached by their bytes).
The values of the signed attributes are only decoded when a check first
needs them (``decode_attributes``), as their meaning is step 6's business.

Everything asn1crypto and ``cryptography`` can throw on hostile input is
caught here and becomes a ``CmsMalformedError``; the checks that follow
(verify.py) work on the plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from asn1crypto import cms, core, tsp
from cryptography import x509

from xcapki.crypto import _der, oids
from xcapki.crypto._der import Element, children
from xcapki.crypto.cms import _algorithms
from xcapki.crypto.cms._attributes import RawAttribute
from xcapki.crypto.cms._certificates import load_certificate
from xcapki.crypto.cms.errors import (
    CmsContentTypeError,
    CmsError,
    CmsMalformedError,
    CmsSignerCountError,
    CmsTooLargeError,
    SignedAttributeError,
)

__all__ = [
    "DEFAULT_MAX_SIZE",
    "ParsedAttributes",
    "ParsedCms",
    "ParsedSignerInfo",
    "decode_attributes",
    "parse_cms",
]

DEFAULT_MAX_SIZE: Final = 1024 * 1024
"""Largest CMS accepted by default; a login verifier passes its own, smaller bound."""

SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
ID_DATA: Final = "1.2.840.113549.1.7.1"
CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
SIGNING_CERTIFICATE: Final = "1.2.840.113549.1.9.16.2.12"
SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"
ALGORITHM_PROTECTION: Final = "1.2.840.113549.1.9.52"

_SHA1: Final = "1.3.14.3.2.26"

_UTC_TIME: Final = b"\x17"
"""The tag of the UTCTime cards write as signingTime; read without the CHOICE around it."""
_IMPLICIT_0: Final = 0x80
_EXPLICIT_0: Final = 0xA0
_IMPLICIT_1: Final = 0xA1
_SIGNED_DATA_VERSIONS: Final = frozenset({1, 3, 4, 5})
_ISSUER_AND_SERIAL_VERSION: Final = 1
_KEY_ID_VERSION: Final = 3
_CERTIFICATES_FIELD: Final = (_EXPLICIT_0, 3)
"""SignedData.certificates (tag, depth): ``cryptography`` parses them as strict DER anyway."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedAttributes:
    """Signed attributes: the DER the signature covers, typed values, and all raw."""

    signed_der: bytes
    content_type: str
    message_digest: bytes
    signing_time: datetime | None
    nonce: bytes | None
    card_serial: str | None
    signing_certificate: tuple[str, bytes] | None
    """(hash algorithm OID, hash) of the first ESSCertID(v2)."""
    algorithm_protection: tuple[tuple[str, bytes], tuple[str, bytes] | None] | None
    """((digest OID, params DER), (signature OID, params DER) or None)."""
    raw: tuple[RawAttribute, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedSignerInfo:
    """One SignerInfo as plain values; ``signed_attributes`` is None for the SmartPKI shape."""

    sid_issuer: bytes | None
    sid_serial: int | None
    sid_key_id: bytes | None
    digest_oid: str
    signature_oid: str
    signature_params: bytes
    digest_identifier: tuple[str, bytes]
    signature: bytes
    signed_der: bytes | None
    """The signed attributes re-tagged as the DER SET OF the signature covers."""
    signed_attributes: tuple[RawAttribute, ...] | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedCms:
    """A SignedData that passed docs/login-checks.md step 1, ready for ``verify_cms``.

    Parse once with ``parse_cms`` and hand this to ``verify_cms``,
    ``inspect_cms`` or ``verify_signed_data`` instead of the bytes. The
    certificates are only carried, never trusted.
    """

    size: int
    content_type: str
    content: bytes | None
    """The attached content, or None for a detached signature."""
    certificates: tuple[x509.Certificate, ...]
    signer: ParsedSignerInfo


def parse_cms(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> ParsedCms:
    """Parse ``data`` strictly, or raise the ``CmsError`` that names what is wrong.

    The checks are those of docs/login-checks.md step 1: at most ``max_size``
    bytes, strict DER, a ContentInfo holding one SignedData with exactly one
    SignerInfo and id-data content, and a certificate set ``cryptography``
    reads.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CmsMalformedError(
            f"the CMS must be bytes, not {type(data).__name__}; decode base64 or PEM first"
        )
    data = bytes(data)
    if len(data) > max_size:
        raise CmsTooLargeError(
            f"the CMS is {len(data)} bytes, above the limit of {max_size}; "
            "refuse it, or raise max_size if such signatures are expected"
        )
    if not data:
        raise CmsMalformedError("the CMS is empty; the signer sent no signature")
    try:
        _der.check_strict(data, opaque=_CERTIFICATES_FIELD)
    except _der.DerError as exc:
        raise _not_der(exc) from None
    try:
        return _parse(data)
    except CmsError:
        raise
    except Exception as exc:
        raise CmsMalformedError(
            "the CMS does not parse as SignedData (a field has the wrong type, length or "
            "value); the signer must send a DER-encoded CMS SignedData"
        ) from exc


def _malformed(what: str) -> CmsMalformedError:
    return CmsMalformedError(
        f"the CMS is not a SignedData as RFC 5652 defines it ({what}); "
        "the signer must send a DER-encoded CMS SignedData"
    )


def _not_der(error: _der.DerError) -> CmsMalformedError:
    return CmsMalformedError(
        f"the CMS is not strict DER ({error}); the signer must send a DER-encoded SignedData"
    )


def _expect(elements: list[Element], index: int, tag: int, what: str) -> Element:
    if index >= len(elements) or elements[index].tag != tag:
        raise _malformed(f"{what} missing or of the wrong type")
    return elements[index]


def _integer(data: bytes, element: Element, what: str) -> int:
    if element.content == element.end:
        raise _malformed(f"{what} is an empty INTEGER")
    return int.from_bytes(element.value(data), "big", signed=True)


def _oid(data: bytes, element: Element) -> str:
    return _dotted(element.encoding(data))


def _algorithm(data: bytes, element: Element, what: str) -> tuple[str, bytes]:
    """(OID, parameters DER or b"") of an AlgorithmIdentifier."""
    parts = children(data, element)
    if not parts or parts[0].tag != _der.OID or len(parts) > 2:
        raise _malformed(f"{what} is not an AlgorithmIdentifier")
    params = b"" if len(parts) == 1 else parts[1].encoding(data)
    return _oid(data, parts[0]), params


def _only(data: bytes, element: Element, tag: int, what: str) -> Element:
    """The single element inside an EXPLICIT wrapper."""
    inner = children(data, element)
    if len(inner) != 1 or inner[0].tag != tag:
        raise _malformed(f"{what} does not hold exactly one element of the expected type")
    return inner[0]


def _parse(data: bytes) -> ParsedCms:
    content_info = _der.read_element(data, 0, len(data))
    if content_info.tag != _der.SEQUENCE:
        raise _malformed("the ContentInfo is not a SEQUENCE")
    info = children(data, content_info)
    outer_type = _oid(data, _expect(info, 0, _der.OID, "the ContentInfo's contentType"))
    if outer_type != SIGNED_DATA:
        raise CmsContentTypeError(
            f"the ContentInfo holds {outer_type}, not signedData; the signer must send SignedData"
        )
    if len(info) != 2:
        raise _malformed("the ContentInfo has no content or extra fields")
    signed_data = _only(data, _expect(info, 1, _EXPLICIT_0, "content"), _der.SEQUENCE, "content")
    fields = children(data, signed_data)
    version = _integer(data, _expect(fields, 0, _der.INTEGER, "version"), "version")
    digest_algorithms = _expect(fields, 1, _der.SET, "digestAlgorithms")
    encap = _expect(fields, 2, _der.SEQUENCE, "encapContentInfo")
    position = 3
    certificates: tuple[x509.Certificate, ...] = ()
    if position < len(fields) and fields[position].tag == _EXPLICIT_0:
        certificates = _certificates(data, fields[position])
        position += 1
    if position < len(fields) and fields[position].tag == _IMPLICIT_1:
        position += 1
    signer_infos = _expect(fields, position, _der.SET, "signerInfos")
    if position + 1 != len(fields):
        raise _malformed("fields after signerInfos")
    infos = children(data, signer_infos)
    if len(infos) != 1:
        raise CmsSignerCountError(
            f"the SignedData has {len(infos)} SignerInfos, exactly one is required"
        )
    content_type, content = _encapsulated(data, encap)
    signer = _signer_info(data, _expect(infos, 0, _der.SEQUENCE, "the SignerInfo"))
    if version not in _SIGNED_DATA_VERSIONS:
        raise CmsMalformedError(f"SignedData version {version} is not 1, 3, 4 or 5 (RFC 5652)")
    listed = {
        _algorithm(data, element, "a digestAlgorithms entry")[0]
        for element in children(data, digest_algorithms)
    }
    if signer.digest_oid not in listed:
        raise CmsMalformedError(
            "the SignerInfo's digest algorithm is missing from SignedData.digestAlgorithms; "
            "the SignedData was assembled inconsistently"
        )
    return ParsedCms(
        size=len(data),
        content_type=content_type,
        content=content,
        certificates=certificates,
        signer=signer,
    )


def _encapsulated(data: bytes, encap: Element) -> tuple[str, bytes | None]:
    parts = children(data, encap)
    content_type = _oid(data, _expect(parts, 0, _der.OID, "eContentType"))
    if content_type != ID_DATA:
        raise CmsContentTypeError(
            f"the signed content type is {content_type}, only id-data is accepted"
        )
    if len(parts) == 1:
        return content_type, None
    if len(parts) != 2 or parts[1].tag != _EXPLICIT_0:
        raise _malformed("the encapContentInfo has extra fields")
    return content_type, _only(data, parts[1], _der.OCTET_STRING, "eContent").value(data)


def _certificates(data: bytes, choices: Element) -> tuple[x509.Certificate, ...]:
    """X.509 certificates of the CertificateSet; other choices (tagged [0]-[3]) are skipped.

    Each certificate's original bytes go to ``cryptography``, which parses
    strict DER, through a cache: the card and CA certificates recur.
    """
    return tuple(
        load_certificate(choice.encoding(data))
        for choice in children(data, choices)
        if choice.tag == _der.SEQUENCE
    )


def _signer_info(data: bytes, info: Element) -> ParsedSignerInfo:
    fields = children(data, info)
    version = _integer(data, _expect(fields, 0, _der.INTEGER, "SignerInfo version"), "version")
    if len(fields) < 2:
        raise _malformed("the SignerInfo has no signer identifier")
    sid = fields[1]
    issuer = serial = key_id = None
    if sid.tag == _der.SEQUENCE:
        parts = children(data, sid)
        name = _expect(parts, 0, _der.SEQUENCE, "the issuer name")
        serial_element = _expect(parts, 1, _der.INTEGER, "the serial number")
        if len(parts) != 2:
            raise _malformed("issuerAndSerialNumber has extra fields")
        issuer = name.encoding(data)
        serial = _integer(data, serial_element, "serialNumber")
        expected_version = _ISSUER_AND_SERIAL_VERSION
    elif sid.tag == _IMPLICIT_0:
        key_id = sid.value(data)
        expected_version = _KEY_ID_VERSION
    else:
        raise _malformed("the signer identifier is neither issuerAndSerialNumber nor a key id")
    if version != expected_version:
        raise CmsMalformedError(
            f"SignerInfo version {version} does not fit its signer identifier "
            f"(RFC 5652 requires v{expected_version})"
        )
    digest = _algorithm(
        data, _expect(fields, 2, _der.SEQUENCE, "digestAlgorithm"), "digestAlgorithm"
    )
    position = 3
    signed_der = signed_attributes = None
    if position < len(fields) and fields[position].tag == _EXPLICIT_0:
        attributes = fields[position]
        # The signature covers the attributes re-tagged as the SET OF they are.
        signed_der = bytes((_der.SET,)) + data[attributes.start + 1 : attributes.end]
        signed_attributes = _raw_attributes(data, attributes)
        position += 1
    signature_oid, signature_params = _algorithm(
        data, _expect(fields, position, _der.SEQUENCE, "signatureAlgorithm"), "signatureAlgorithm"
    )
    signature = _expect(fields, position + 1, _der.OCTET_STRING, "signature")
    position += 2
    if position < len(fields) and fields[position].tag == _IMPLICIT_1:
        position += 1
    if position != len(fields):
        raise _malformed("the SignerInfo has extra fields")
    return ParsedSignerInfo(
        sid_issuer=issuer,
        sid_serial=serial,
        sid_key_id=key_id,
        digest_oid=digest[0],
        digest_identifier=digest,
        signature_oid=signature_oid,
        signature_params=signature_params,
        signature=signature.value(data),
        signed_der=signed_der,
        signed_attributes=signed_attributes,
    )


def _raw_attributes(data: bytes, attributes: Element) -> tuple[RawAttribute, ...]:
    """Each Attribute's type and value encodings, in DER SET OF order or refused."""
    found = children(data, attributes)
    encodings = [attribute.encoding(data) for attribute in found]
    if encodings != sorted(encodings):
        raise CmsMalformedError(
            "the signed attributes are not in DER SET OF order; "
            "the signer must DER-encode the attributes it signs"
        )
    raw = []
    for attribute in found:
        parts = children(data, attribute) if attribute.tag == _der.SEQUENCE else []
        if len(parts) != 2 or parts[0].tag != _der.OID or parts[1].tag != _der.SET:
            raise CmsMalformedError(
                "a signed attribute is not SEQUENCE { OID, SET OF value }; the CMS is malformed"
            )
        values = tuple(value.encoding(data) for value in children(data, parts[1]))
        raw.append(RawAttribute(oid=_oid(data, parts[0]), values=values))
    return tuple(raw)


def decode_attributes(signer: ParsedSignerInfo) -> ParsedAttributes | None:
    """The typed signed attributes (docs/login-checks.md step 6), or None when there are none.

    Raises ``SignedAttributeError`` for a missing, repeated or many-valued
    attribute and ``CmsMalformedError`` for a value that does not decode.
    """
    if signer.signed_attributes is None or signer.signed_der is None:
        return None
    try:
        return _decode(signer.signed_der, signer.signed_attributes)
    except CmsError:
        raise
    except Exception as exc:
        raise CmsMalformedError(
            "a signed attribute's value does not decode as its type; "
            "the signer must DER-encode the attributes it signs"
        ) from exc


def _decode(signed_der: bytes, raw: tuple[RawAttribute, ...]) -> ParsedAttributes:
    by_type: dict[str, tuple[bytes, ...]] = {}
    for attribute in raw:
        if attribute.oid in by_type:
            raise SignedAttributeError(
                f"signed attribute {attribute.oid} appears twice; each attribute may appear once"
            )
        by_type[attribute.oid] = attribute.values
    content_type = _required(by_type, CONTENT_TYPE, "contentType")
    message_digest = _required(by_type, MESSAGE_DIGEST, "messageDigest")
    return ParsedAttributes(
        signed_der=signed_der,
        content_type=_dotted(content_type),
        message_digest=_octet_string(message_digest, "messageDigest"),
        signing_time=_optional(by_type, SIGNING_TIME, _signing_time),
        nonce=_optional(by_type, oids.CMS_NONCE, _nonce),
        card_serial=_optional(by_type, oids.CARD_SERIAL, _text),
        signing_certificate=_signing_certificate(by_type),
        algorithm_protection=_optional(by_type, ALGORITHM_PROTECTION, _algorithm_protection),
        raw=raw,
    )


_COMMON_OIDS: Final = {
    core.ObjectIdentifier(dotted).dump(): dotted
    for dotted in (
        *_algorithms.NAMED_OIDS,
        SIGNED_DATA,
        ID_DATA,
        CONTENT_TYPE,
        MESSAGE_DIGEST,
        SIGNING_TIME,
        SIGNING_CERTIFICATE,
        SIGNING_CERTIFICATE_V2,
        ALGORITHM_PROTECTION,
        oids.CMS_NONCE,
        oids.CARD_SERIAL,
    )
}
"""The DER of the OIDs every CMS carries (types, algorithms, attributes), fixed at import."""


def _dotted(encoding: bytes) -> str:
    """The dotted form of a DER OBJECT IDENTIFIER; the common ones from a fixed table."""
    known = _COMMON_OIDS.get(encoding)
    if known is not None:
        return known
    return str(core.ObjectIdentifier.load(encoding, strict=True).dotted)


def _single(by_type: dict[str, tuple[bytes, ...]], oid: str) -> bytes | None:
    values = by_type.get(oid)
    if values is None:
        return None
    if len(values) != 1:
        raise SignedAttributeError(
            f"signed attribute {oid} has {len(values)} values, exactly one is required"
        )
    return values[0]


def _required(by_type: dict[str, tuple[bytes, ...]], oid: str, name: str) -> bytes:
    value = _single(by_type, oid)
    if value is None:
        raise SignedAttributeError(
            f"the signed attributes lack {name}, which RFC 5652 requires whenever "
            "signed attributes are present"
        )
    return value


def _optional(
    by_type: dict[str, tuple[bytes, ...]], oid: str, read: Callable[[bytes], _T]
) -> _T | None:
    value = _single(by_type, oid)
    return None if value is None else read(value)


def _octet_string(der: bytes, name: str) -> bytes:
    """The content of a value that must be one DER OCTET STRING."""
    value = _der.read_element(der, 0, len(der))
    if value.tag != _der.OCTET_STRING or value.end != len(der):
        raise CmsMalformedError(f"{name} is not an OCTET STRING; the CMS is malformed")
    return value.value(der)


def _signing_time(der: bytes) -> datetime:
    """signingTime, a UTCTime or GeneralizedTime read by asn1crypto; it must name UTC."""
    kind = core.UTCTime if der[:1] == _UTC_TIME else cms.Time
    value = kind.load(der, strict=True).native
    if not isinstance(value, datetime):
        raise SignedAttributeError("signingTime is not a time; the signer must send UTCTime")
    if value.utcoffset() is None:
        # asn1crypto reads a GeneralizedTime without "Z" as a naive local time.
        raise SignedAttributeError(
            "signingTime has no time zone; the signer must send UTC time ending in Z"
        )
    return value


def _nonce(der: bytes) -> bytes:
    if der[:1] == bytes((_der.OCTET_STRING,)):
        return _octet_string(der, "the nonce")
    value = core.load(der, strict=True).native
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    raise SignedAttributeError("the nonce attribute is neither an OCTET STRING nor a string")


def _text(der: bytes) -> str:
    value = core.load(der, strict=True).native
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("ascii")
    raise SignedAttributeError("the card serial attribute is not a string")


def _signing_certificate(by_type: dict[str, tuple[bytes, ...]]) -> tuple[str, bytes] | None:
    v2 = _single(by_type, SIGNING_CERTIFICATE_V2)
    if v2 is not None:
        first = tsp.SigningCertificateV2.load(v2, strict=True)["certs"][0]
        return first["hash_algorithm"]["algorithm"].dotted, bytes(first["cert_hash"].native)
    v1 = _single(by_type, SIGNING_CERTIFICATE)
    if v1 is not None:
        first = tsp.SigningCertificate.load(v1, strict=True)["certs"][0]
        return _SHA1, bytes(first["cert_hash"].native)
    return None


def _algorithm_protection(
    der: bytes,
) -> tuple[tuple[str, bytes], tuple[str, bytes] | None]:
    value = cms.CMSAlgorithmProtection.load(der, strict=True)
    digest = value["digest_algorithm"]
    signature = value["signature_algorithm"]
    signature_id = (
        None
        if isinstance(signature, core.Void)
        else (signature["algorithm"].dotted, signature["parameters"].dump())
    )
    return (digest["algorithm"].dotted, digest["parameters"].dump()), signature_id
