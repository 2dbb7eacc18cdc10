"""CMS SignedData signing through any ``Signer`` (a card, or a file key).

The signed attributes are DER-encoded and sorted here, so the bytes the
signer signs are exactly the bytes every verifier re-derives (OpenSSL
re-encodes the SET before checking it).
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto import oids
from xcapki.crypto._der import SEQUENCE, SET, tlv
from xcapki.crypto.cms import _parse
from xcapki.crypto.cms._algorithms import digest, digest_identifier, signature_identifier
from xcapki.crypto.cms._attributes import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    NO_ATTRIBUTES,
    NoAttributes,
    SignedAttributes,
)
from xcapki.crypto.cms.errors import CmsUsageError
from xcapki.signer import Signer

__all__ = [
    "SignerIdentifierType",
    "sign_cms",
    "sign_digest",
    "sign_hipki",
    "sign_smartpki",
    "signed_data_head",
]

_UTC_TIME_YEARS: Final = range(1950, 2050)


class SignerIdentifierType(enum.Enum):
    """How the SignerInfo names its certificate (RFC 5652 SignerIdentifier)."""

    ISSUER_AND_SERIAL = "issuer-and-serial"
    SUBJECT_KEY_IDENTIFIER = "subject-key-identifier"


def sign_cms(
    content: bytes,
    signer: Signer,
    *,
    detached: bool = False,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    scheme: SignatureScheme | None = None,
    attributes: SignedAttributes | NoAttributes = FULL_ATTRIBUTES,
    include_chain: Sequence[x509.Certificate] = (),
    signing_time: datetime | None = None,
    nonce: bytes | None = None,
    card_serial: str | None = None,
    signer_identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
) -> bytes:
    """Sign ``content`` into a DER CMS SignedData (id-data).

    ``scheme`` defaults to PKCS#1 v1.5 for RSA keys and ECDSA for EC keys.
    ``signing_time`` defaults to now when the attributes include it;
    ``nonce`` and ``card_serial`` add the HiPKI attributes. With
    ``NO_ATTRIBUTES`` the signature covers the content itself.
    """
    if isinstance(attributes, NoAttributes):
        if signing_time is not None or nonce is not None or card_serial is not None:
            raise CmsUsageError(
                "signing_time, nonce and card_serial are signed attributes; "
                "they cannot be used with NO_ATTRIBUTES"
            )
        to_sign: bytes | None = content
        content_digest = b""
    else:
        to_sign = None
        content_digest = digest(hash_algorithm, content)
    signed_data = _signed_data(
        signer,
        content_digest=content_digest,
        to_sign=to_sign,
        hash_algorithm=hash_algorithm,
        scheme=scheme,
        attributes=attributes,
        include_chain=include_chain,
        signing_time=signing_time,
        nonce=nonce,
        card_serial=card_serial,
        signer_identifier=signer_identifier,
    )
    if not detached:
        signed_data["encap_content_info"] = {"content_type": "data", "content": content}
    return _content_info(signed_data)


def sign_digest(
    content_digest: bytes,
    signer: Signer,
    *,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    scheme: SignatureScheme | None = None,
    attributes: SignedAttributes = FULL_ATTRIBUTES,
    include_chain: Sequence[x509.Certificate] = (),
    signing_time: datetime | None = None,
    signer_identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
) -> bytes:
    """A detached DER SignedData over content known only by its ``hash_algorithm`` digest.

    For content too large to hold (xcapki.crypto.cms._stream hashes it while
    reading). Signed attributes are required: they carry the digest, and a
    ``Signer`` signs bytes, not a digest.
    """
    if len(content_digest) != hash_algorithm.digest_size:
        raise CmsUsageError(
            f"the content digest has {len(content_digest)} bytes; "
            f"{hash_algorithm.value} digests have {hash_algorithm.digest_size}"
        )
    signed_data = _signed_data(
        signer,
        content_digest=content_digest,
        to_sign=None,
        hash_algorithm=hash_algorithm,
        scheme=scheme,
        attributes=attributes,
        include_chain=include_chain,
        signing_time=signing_time,
        nonce=None,
        card_serial=None,
        signer_identifier=signer_identifier,
    )
    return _content_info(signed_data)


def signed_data_head(
    hash_algorithm: HashAlgorithm, signer_identifier: SignerIdentifierType
) -> bytes:
    """The DER of SignedData's first two fields (version, digestAlgorithms).

    A streamed SignedData writes them before the content, long before the
    signature exists; ``sign_digest`` puts the same two fields in its output.
    """
    version = core.Integer(_version_number(signer_identifier)).dump()
    algorithms = cms.DigestAlgorithms([digest_identifier(hash_algorithm)]).dump()
    return bytes(version) + bytes(algorithms)


def _version_number(signer_identifier: SignerIdentifierType) -> int:
    return 3 if signer_identifier is SignerIdentifierType.SUBJECT_KEY_IDENTIFIER else 1


def _signed_data(
    signer: Signer,
    *,
    content_digest: bytes,
    to_sign: bytes | None,
    hash_algorithm: HashAlgorithm,
    scheme: SignatureScheme | None,
    attributes: SignedAttributes | NoAttributes,
    include_chain: Sequence[x509.Certificate],
    signing_time: datetime | None,
    nonce: bytes | None,
    card_serial: str | None,
    signer_identifier: SignerIdentifierType,
) -> cms.SignedData:
    """A detached SignedData; ``to_sign`` is the content itself for ``NO_ATTRIBUTES``."""
    certificate = signer.certificate
    chosen = _scheme_for(certificate, scheme)
    digest_id = digest_identifier(hash_algorithm)
    signature_id = signature_identifier(chosen, hash_algorithm)
    signer_der = certificate.public_bytes(Encoding.DER)
    signed_attrs = None
    if isinstance(attributes, SignedAttributes):
        signed_set = _signed_attributes(
            content_digest,
            attributes,
            digest_id=digest_id,
            signature_id=signature_id,
            signer_der=signer_der,
            signing_time=signing_time,
            nonce=nonce,
            card_serial=card_serial,
        )
        signed_attrs = cms.CMSAttributes.load(signed_set)
        to_sign = signed_set
    if to_sign is None:
        raise CmsUsageError("a signature without signed attributes needs the content itself")
    signature = signer.sign(to_sign, hash_algorithm=hash_algorithm, scheme=chosen)
    signer_cert = asn1_x509.Certificate.load(signer_der)
    with_key_id = signer_identifier is SignerIdentifierType.SUBJECT_KEY_IDENTIFIER
    version = "v3" if with_key_id else "v1"
    signer_info = {
        "version": version,
        "sid": _signer_identifier(signer_cert, certificate, with_key_id=with_key_id),
        "digest_algorithm": digest_id,
        "signature_algorithm": signature_id,
        "signature": signature,
    }
    if signed_attrs is not None:
        signer_info["signed_attrs"] = signed_attrs
    return cms.SignedData(
        {
            "version": version,
            "digest_algorithms": [digest_id],
            "encap_content_info": {"content_type": "data"},
            "certificates": _certificate_set(signer_der, include_chain),
            "signer_infos": [signer_info],
        }
    )


def _content_info(signed_data: cms.SignedData) -> bytes:
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def sign_hipki(
    content: bytes,
    signer: Signer,
    *,
    nonce: bytes | None = None,
    card_serial: str | None = None,
    signing_time: datetime | None = None,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    include_chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """The HiPKI local server's PKCS7 shape: attached, signingTime, nonce, card serial."""
    return sign_cms(
        content,
        signer,
        hash_algorithm=hash_algorithm,
        attributes=HIPKI_ATTRIBUTES,
        include_chain=include_chain,
        signing_time=signing_time,
        nonce=nonce,
        card_serial=card_serial,
    )


def sign_smartpki(
    content: bytes,
    signer: Signer,
    *,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    include_chain: Sequence[x509.Certificate] = (),
) -> bytes:
    """The SmartPKI extension's shape: detached, no signed attributes."""
    return sign_cms(
        content,
        signer,
        detached=True,
        hash_algorithm=hash_algorithm,
        attributes=NO_ATTRIBUTES,
        include_chain=include_chain,
    )


def _scheme_for(certificate: x509.Certificate, scheme: SignatureScheme | None) -> SignatureScheme:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if scheme is None:
            return SignatureScheme.RSA_PKCS1V15
        if scheme is not SignatureScheme.ECDSA:
            return scheme
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if scheme in (None, SignatureScheme.ECDSA):
            return SignatureScheme.ECDSA
    else:
        raise CmsUsageError(
            f"the signer certificate holds a {type(key).__name__}; CMS signing needs RSA or EC"
        )
    raise CmsUsageError(
        f"scheme {scheme.value if scheme else None} does not fit the signer's "
        f"{type(key).__name__}; leave scheme unset to pick the key's own"
    )


def _signed_attributes(
    content_digest: bytes,
    wanted: SignedAttributes,
    *,
    digest_id: object,
    signature_id: object,
    signer_der: bytes,
    signing_time: datetime | None,
    nonce: bytes | None,
    card_serial: str | None,
) -> bytes:
    encoded = [
        _attribute(_parse.CONTENT_TYPE, core.ObjectIdentifier(_parse.ID_DATA).dump()),
        _attribute(_parse.MESSAGE_DIGEST, core.OctetString(content_digest).dump()),
    ]
    if wanted.signing_time:
        encoded.append(_attribute(_parse.SIGNING_TIME, _time(signing_time)))
    elif signing_time is not None:
        raise CmsUsageError(
            "signing_time was given but the attributes exclude it; "
            "use SignedAttributes(signing_time=True)"
        )
    if wanted.signing_certificate:
        encoded.append(_attribute(_parse.SIGNING_CERTIFICATE_V2, _signing_certificate(signer_der)))
    if wanted.algorithm_protection:
        protection = cms.CMSAlgorithmProtection(
            {"digest_algorithm": digest_id, "signature_algorithm": signature_id}
        )
        encoded.append(_attribute(_parse.ALGORITHM_PROTECTION, protection.dump()))
    if nonce is not None:
        if not nonce:
            raise CmsUsageError("the nonce is empty; pass the challenge's random bytes")
        encoded.append(_attribute(oids.CMS_NONCE, core.OctetString(nonce).dump()))
    if card_serial is not None:
        encoded.append(_attribute(oids.CARD_SERIAL, _card_serial(card_serial)))
    return tlv(SET, b"".join(sorted(encoded)))


def _attribute(oid: str, value_der: bytes) -> bytes:
    return tlv(SEQUENCE, core.ObjectIdentifier(oid).dump() + tlv(SET, value_der))


def _time(signing_time: datetime | None) -> bytes:
    moment = datetime.now(UTC) if signing_time is None else signing_time
    if moment.tzinfo is None:
        raise CmsUsageError("signing_time must be timezone-aware; pass e.g. datetime.now(UTC)")
    moment = moment.astimezone(UTC).replace(microsecond=0)
    kind = "utc_time" if moment.year in _UTC_TIME_YEARS else "generalized_time"
    return bytes(cms.Time({kind: moment}).dump())


def _card_serial(serial: str) -> bytes:
    if not serial:
        raise CmsUsageError("the card serial is empty; pass the token's serial number")
    printable = core.PrintableString
    try:
        return bytes(printable(serial).dump())
    except ValueError:
        return bytes(core.UTF8String(serial).dump())


def _signing_certificate(signer_der: bytes) -> bytes:
    certificate = asn1_x509.Certificate.load(signer_der)
    value = tsp.SigningCertificateV2(
        {
            "certs": [
                {
                    "cert_hash": hashlib.sha256(signer_der).digest(),
                    "issuer_serial": {
                        "issuer": [asn1_x509.GeneralName({"directory_name": certificate.issuer})],
                        "serial_number": certificate.serial_number,
                    },
                }
            ]
        }
    )
    return bytes(value.dump())


def _signer_identifier(
    asn1_cert: asn1_x509.Certificate, certificate: x509.Certificate, *, with_key_id: bool
) -> cms.SignerIdentifier:
    if not with_key_id:
        return cms.SignerIdentifier(
            {
                "issuer_and_serial_number": {
                    "issuer": asn1_cert.issuer,
                    "serial_number": asn1_cert.serial_number,
                }
            }
        )
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound as exc:
        raise CmsUsageError(
            "the signer certificate has no subjectKeyIdentifier; "
            "use SignerIdentifierType.ISSUER_AND_SERIAL"
        ) from exc
    return cms.SignerIdentifier({"subject_key_identifier": extension.value.digest})


def _certificate_set(signer_der: bytes, chain: Sequence[x509.Certificate]) -> cms.CertificateSet:
    ders = [signer_der]
    for certificate in chain:
        der = certificate.public_bytes(Encoding.DER)
        if der not in ders:
            ders.append(der)
    return cms.CertificateSet(
        [cms.CertificateChoices({"certificate": asn1_x509.Certificate.load(der)}) for der in ders]
    )
