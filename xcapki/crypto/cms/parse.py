"""Strict parsing of a CMS SignedData into plain values, in one pass.

Everything asn1crypto and ``cryptography`` can throw on hostile input is
caught here and becomes a ``CmsMalformedError``; the checks that follow
(verify.py) work on the plain values and never touch a parser again.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from asn1crypto import cms, core, tsp
from cryptography import x509

from xcapki.crypto import oids
from xcapki.crypto.cms._der import check_der, encode_header, split_elements
from xcapki.crypto.cms.attributes import RawAttribute
from xcapki.crypto.cms.errors import (
    CmsContentTypeError,
    CmsError,
    CmsMalformedError,
    CmsSignerCountError,
    CmsTooLargeError,
    SignedAttributeError,
)

__all__ = ["DEFAULT_MAX_SIZE", "ParsedAttributes", "ParsedCms", "ParsedSignerInfo", "parse_cms"]

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

_SEQUENCE: Final = 0x30
_SET: Final = 0x31
_OID: Final = 0x06
_SIGNED_DATA_VERSIONS: Final = frozenset({"v1", "v3", "v4", "v5"})

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class ParsedSignerInfo:
    """One SignerInfo as plain values."""

    sid_issuer: bytes | None
    sid_serial: int | None
    sid_key_id: bytes | None
    digest_oid: str
    signature_oid: str
    signature_params: bytes
    digest_identifier: tuple[str, bytes]
    signature: bytes
    attributes: ParsedAttributes | None


@dataclass(frozen=True, slots=True)
class ParsedCms:
    """A SignedData that passed the structural checks."""

    content_type: str
    content: bytes | None
    certificates: tuple[x509.Certificate, ...]
    signer: ParsedSignerInfo


def parse_cms(data: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> ParsedCms:
    """Parse ``data`` strictly, or raise the ``CmsError`` that names what is wrong."""
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
    check_der(data)
    try:
        return _parse(data)
    except CmsError:
        raise
    except Exception as exc:
        raise CmsMalformedError(
            f"the CMS does not parse as SignedData ({type(exc).__name__}: {exc}); "
            "the signer must send a DER-encoded CMS SignedData"
        ) from exc


def _parse(data: bytes) -> ParsedCms:
    info = cms.ContentInfo.load(data, strict=True)
    outer_type = info["content_type"].dotted
    if outer_type != SIGNED_DATA:
        raise CmsContentTypeError(
            f"the ContentInfo holds {outer_type}, not signedData; the signer must send SignedData"
        )
    signed_data = info["content"]
    signer_infos = signed_data["signer_infos"]
    if len(signer_infos) != 1:
        raise CmsSignerCountError(
            f"the SignedData has {len(signer_infos)} SignerInfos, exactly one is required"
        )
    encap = signed_data["encap_content_info"]
    content_type = encap["content_type"].dotted
    if content_type != ID_DATA:
        raise CmsContentTypeError(
            f"the signed content type is {content_type}, only id-data is accepted"
        )
    econtent = encap["content"]
    content = None if isinstance(econtent, core.Void) else bytes(econtent.contents or b"")
    signer = _signer_info(signer_infos[0])
    if signed_data["version"].native not in _SIGNED_DATA_VERSIONS:
        raise CmsMalformedError(
            f"SignedData version {signed_data['version'].native} is not 1, 3, 4 or 5 (RFC 5652)"
        )
    listed = {algorithm["algorithm"].dotted for algorithm in signed_data["digest_algorithms"]}
    if signer.digest_oid not in listed:
        raise CmsMalformedError(
            "the SignerInfo's digest algorithm is missing from SignedData.digestAlgorithms; "
            "the SignedData was assembled inconsistently"
        )
    return ParsedCms(
        content_type=content_type,
        content=content,
        certificates=_certificates(signed_data),
        signer=signer,
    )


def _certificates(signed_data: cms.SignedData) -> tuple[x509.Certificate, ...]:
    """X.509 certificates of the CertificateSet; other choices (tagged [0]-[3]) are skipped.

    The raw SET content is split here and handed to ``cryptography``, which
    parses strict DER; going through asn1crypto would re-encode each one.
    """
    choices = signed_data["certificates"]
    if isinstance(choices, core.Void):
        return ()
    return tuple(
        x509.load_der_x509_certificate(encoding)
        for tag, encoding, _ in split_elements(choices.contents)
        if tag == _SEQUENCE
    )


def _signer_info(info: cms.SignerInfo) -> ParsedSignerInfo:
    sid = info["sid"]
    issuer = serial = key_id = None
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = int(sid.chosen["serial_number"].native)
        expected_version = "v1"
    else:
        key_id = bytes(sid.chosen.native)
        expected_version = "v3"
    if info["version"].native != expected_version:
        raise CmsMalformedError(
            f"SignerInfo version {info['version'].native} does not fit its signer identifier "
            f"(RFC 5652 requires {expected_version})"
        )
    digest = info["digest_algorithm"]
    signature_algorithm = info["signature_algorithm"]
    signed_attrs = info["signed_attrs"]
    return ParsedSignerInfo(
        sid_issuer=issuer,
        sid_serial=serial,
        sid_key_id=key_id,
        digest_oid=digest["algorithm"].dotted,
        digest_identifier=(digest["algorithm"].dotted, digest["parameters"].dump()),
        signature_oid=signature_algorithm["algorithm"].dotted,
        signature_params=signature_algorithm["parameters"].dump(),
        signature=bytes(info["signature"].native),
        attributes=None if isinstance(signed_attrs, core.Void) else _attributes(signed_attrs),
    )


def _attributes(signed_attrs: cms.CMSAttributes) -> ParsedAttributes:
    """Read the attributes from the raw SET: asn1crypto only sees the few typed values."""
    contents = bytes(signed_attrs.contents or b"")
    elements = split_elements(contents)
    encodings = [encoding for _, encoding, _ in elements]
    if encodings != sorted(encodings):
        raise CmsMalformedError(
            "the signed attributes are not in DER SET OF order; "
            "the signer must DER-encode the attributes it signs"
        )
    raw: list[RawAttribute] = []
    by_type: dict[str, tuple[bytes, ...]] = {}
    for tag, _, inner in elements:
        parts = split_elements(inner) if tag == _SEQUENCE else []
        if len(parts) != 2 or parts[0][0] != _OID or parts[1][0] != _SET:
            raise SignedAttributeError(
                "a signed attribute is not SEQUENCE { OID, SET OF value }; the CMS is malformed"
            )
        oid = _dotted(parts[0][1])
        if oid in by_type:
            raise SignedAttributeError(
                f"signed attribute {oid} appears twice; each attribute may appear once"
            )
        values = tuple(encoding for _, encoding, _ in split_elements(parts[1][2]))
        by_type[oid] = values
        raw.append(RawAttribute(oid=oid, values=values))
    content_type = _required(by_type, CONTENT_TYPE, "contentType")
    message_digest = _required(by_type, MESSAGE_DIGEST, "messageDigest")
    return ParsedAttributes(
        signed_der=encode_header(_SET, len(contents)) + contents,
        content_type=_dotted(content_type),
        message_digest=bytes(core.OctetString.load(message_digest, strict=True).native),
        signing_time=_optional(by_type, SIGNING_TIME, _signing_time),
        nonce=_optional(by_type, oids.CMS_NONCE, _nonce),
        card_serial=_optional(by_type, oids.CARD_SERIAL, _text),
        signing_certificate=_signing_certificate(by_type),
        algorithm_protection=_optional(by_type, ALGORITHM_PROTECTION, _algorithm_protection),
        raw=tuple(raw),
    )


@functools.lru_cache(maxsize=256)
def _dotted(encoding: bytes) -> str:
    """The dotted form of a DER OBJECT IDENTIFIER; the same few recur in every CMS."""
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


def _signing_time(der: bytes) -> datetime:
    value = cms.Time.load(der, strict=True).native
    if not isinstance(value, datetime):
        raise SignedAttributeError("signingTime is not a time; the signer must send UTCTime")
    return value


def _nonce(der: bytes) -> bytes:
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
