"""CMS verification: is the signature intact, by which certificate, over what.

This module answers "intact" only (login-checks.md steps 1 and 4-7). Whether
the signer certificate is trusted and unrevoked is xcapki.crypto.validation's
question; ``verify_signed_data`` asks both and keeps the answers apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.cms import _algorithms
from xcapki.crypto.cms.attributes import CmsAttributes
from xcapki.crypto.cms.errors import (
    AlgorithmNotAllowedError,
    AlgorithmProtectionMismatchError,
    CmsError,
    CmsMalformedError,
    CmsUsageError,
    ContentMismatchError,
    ContentTypeAttributeError,
    DetachedContentMissingError,
    MessageDigestMismatchError,
    SignatureInvalidError,
    SignedAttributeError,
    SignerCertificateMissingError,
    SigningCertificateMismatchError,
    SigningTimeSkewError,
)
from xcapki.crypto.cms.parse import (
    DEFAULT_MAX_SIZE,
    ParsedAttributes,
    ParsedCms,
    ParsedSignerInfo,
    parse_cms,
)
from xcapki.crypto.cms.policy import DEFAULT_POLICY, AlgorithmPolicy

__all__ = ["DEFAULT_CLOCK_SKEW", "CmsSignature", "inspect_cms", "verify_cms"]

DEFAULT_CLOCK_SKEW: Final = timedelta(minutes=5)


@dataclass(frozen=True, slots=True, kw_only=True)
class CmsSignature:
    """A CMS signature that parsed and fits the policy.

    ``intact`` is True only when the message digest and the signature both
    verify; otherwise ``failure`` holds the reason. ``verify_cms`` never
    returns a signature that is not intact. ``attributes`` is None for the
    SmartPKI shape (signature directly over the content).
    """

    intact: bool
    failure: CmsError | None
    signer_certificate: x509.Certificate
    certificates: tuple[x509.Certificate, ...]
    content: bytes
    detached: bool
    digest_algorithm: HashAlgorithm
    signature_scheme: SignatureScheme
    signing_time: datetime | None
    attributes: CmsAttributes | None


def verify_cms(
    data: bytes,
    *,
    content: bytes | None = None,
    policy: AlgorithmPolicy = DEFAULT_POLICY,
    max_size: int = DEFAULT_MAX_SIZE,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    extra_certificates: Sequence[x509.Certificate] = (),
) -> CmsSignature:
    """Verify a DER CMS SignedData, or raise the ``CmsError`` naming the first failure.

    ``content`` is required for a detached signature and, for an attached
    one, must equal the content carried. ``now`` turns on the signingTime
    check (within ``max_clock_skew``). ``extra_certificates`` are searched
    for the signer when the CMS does not carry it.
    """
    signature = inspect_cms(
        data,
        content=content,
        policy=policy,
        max_size=max_size,
        now=now,
        max_clock_skew=max_clock_skew,
        extra_certificates=extra_certificates,
    )
    if signature.failure is not None:
        raise signature.failure
    return signature


def inspect_cms(
    data: bytes,
    *,
    content: bytes | None = None,
    policy: AlgorithmPolicy = DEFAULT_POLICY,
    max_size: int = DEFAULT_MAX_SIZE,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    extra_certificates: Sequence[x509.Certificate] = (),
) -> CmsSignature:
    """Like ``verify_cms``, but a broken digest or signature comes back as ``intact=False``.

    Structural and policy failures still raise: without them there is no
    signature to describe. A self-test screen uses this to show *why* a
    signature failed next to what it claimed.
    """
    parsed = parse_cms(data, max_size=max_size)
    signed_content = _content(parsed, content)
    signer = parsed.signer
    certificate = _find_signer(signer, (*parsed.certificates, *extra_certificates))
    digest_algorithm = _algorithms.read_digest_algorithm(signer.digest_oid, policy)
    algorithm = _algorithms.read_signature_algorithm(
        signer.signature_oid, signer.signature_params, digest_algorithm, policy
    )
    public_key = _public_key(certificate)
    _algorithms.check_public_key(public_key, algorithm.scheme, policy)
    attributes = signer.attributes
    failure: CmsError | None
    if attributes is None:
        failure = None
        signed_bytes = signed_content
    else:
        _check_attributes(attributes, signer, certificate, now, max_clock_skew)
        signed_bytes = attributes.signed_der
        failure = _digest_failure(attributes, digest_algorithm, signed_content)
    if failure is None:
        failure = _signature_failure(
            public_key, algorithm, digest_algorithm, signer.signature, signed_bytes
        )
    return CmsSignature(
        intact=failure is None,
        failure=failure,
        signer_certificate=certificate,
        certificates=parsed.certificates,
        content=signed_content,
        detached=parsed.content is None,
        digest_algorithm=digest_algorithm,
        signature_scheme=algorithm.scheme,
        signing_time=None if attributes is None else attributes.signing_time,
        attributes=None if attributes is None else _public_attributes(attributes),
    )


def _content(parsed: ParsedCms, expected: bytes | None) -> bytes:
    if parsed.content is None:
        if expected is None:
            raise DetachedContentMissingError(
                "the signature is detached; pass the signed bytes as content="
            )
        return bytes(expected)
    if expected is not None and bytes(expected) != parsed.content:
        raise ContentMismatchError(
            "the attached content differs from the expected content; the signer signed "
            "something else"
        )
    return parsed.content


def _find_signer(
    signer: ParsedSignerInfo, candidates: Sequence[x509.Certificate]
) -> x509.Certificate:
    matches: list[x509.Certificate] = []
    for certificate in candidates:
        try:
            found = _matches(signer, certificate)
        except (ValueError, UnsupportedAlgorithm):
            found = False
        if found and certificate not in matches:
            matches.append(certificate)
    if not matches:
        raise SignerCertificateMissingError(
            "no certificate matches the SignerInfo's signer identifier; the signer must "
            "include its certificate, or pass it as extra_certificates"
        )
    if len(matches) > 1:
        raise CmsMalformedError(
            "two different certificates match the signer identifier; refuse the ambiguity"
        )
    return matches[0]


def _matches(signer: ParsedSignerInfo, certificate: x509.Certificate) -> bool:
    if signer.sid_key_id is not None:
        try:
            extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
            key_id = extension.value.digest
        except x509.ExtensionNotFound:
            key_id = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
        return key_id == signer.sid_key_id
    if certificate.serial_number != signer.sid_serial or signer.sid_issuer is None:
        return False
    issuer = certificate.issuer.public_bytes()
    if issuer == signer.sid_issuer:
        return True
    return bool(asn1_x509.Name.load(issuer) == asn1_x509.Name.load(signer.sid_issuer))


def _public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise AlgorithmNotAllowedError(
            f"the signer certificate's public key cannot be used ({exc}); "
            "the signer needs an RSA or EC P-256/P-384 certificate"
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise AlgorithmNotAllowedError(
            f"the signer certificate holds a {type(key).__name__}; only RSA and EC are accepted"
        )
    return key


def _check_attributes(
    attributes: ParsedAttributes,
    signer: ParsedSignerInfo,
    certificate: x509.Certificate,
    now: datetime | None,
    max_clock_skew: timedelta,
) -> None:
    if attributes.content_type != "1.2.840.113549.1.7.1":
        raise ContentTypeAttributeError(
            f"the contentType attribute says {attributes.content_type} but the content is "
            "id-data; the signed attributes belong to another message"
        )
    protection = attributes.algorithm_protection
    if protection is not None:
        digest_id, signature_id = protection
        signer_signature = _algorithms.normalised_identifier(
            signer.signature_oid, signer.signature_params
        )
        if _algorithms.normalised_identifier(*digest_id) != _algorithms.normalised_identifier(
            *signer.digest_identifier
        ) or (
            signature_id is None
            or _algorithms.normalised_identifier(*signature_id) != signer_signature
        ):
            raise AlgorithmProtectionMismatchError(
                "CMSAlgorithmProtection names other algorithms than the SignerInfo; "
                "the algorithms were changed after signing"
            )
    if attributes.signing_certificate is not None:
        _check_signing_certificate(attributes.signing_certificate, certificate)
    if now is not None and attributes.signing_time is not None:
        if now.tzinfo is None:
            raise CmsUsageError("now must be timezone-aware; pass e.g. datetime.now(UTC)")
        if abs(attributes.signing_time - now) > max_clock_skew:
            raise SigningTimeSkewError(
                f"signingTime {attributes.signing_time.isoformat()} is more than "
                f"{max_clock_skew} from now ({now.isoformat()}); check the signer's clock"
            )


def _check_signing_certificate(reference: tuple[str, bytes], certificate: x509.Certificate) -> None:
    hash_oid, expected = reference
    algorithm = _algorithms.hash_from_oid(hash_oid)
    if algorithm is None:
        raise SignedAttributeError(
            f"the signingCertificate attribute hashes with unknown algorithm {hash_oid}"
        )
    actual = _algorithms.digest(algorithm, certificate.public_bytes(Encoding.DER))
    if actual != expected:
        raise SigningCertificateMismatchError(
            "the signingCertificate attribute names a different certificate than the one "
            "found by the signer identifier; the certificate was substituted"
        )


def _digest_failure(
    attributes: ParsedAttributes, algorithm: HashAlgorithm, content: bytes
) -> CmsError | None:
    if _algorithms.digest(algorithm, content) == attributes.message_digest:
        return None
    return MessageDigestMismatchError(
        "the messageDigest attribute does not match the content; the content or the "
        "attributes were changed after signing"
    )


def _signature_failure(
    key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey,
    algorithm: _algorithms.SignatureAlgorithm,
    digest_algorithm: HashAlgorithm,
    signature: bytes,
    signed: bytes,
) -> CmsError | None:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(digest_algorithm.new()))
        else:
            key.verify(
                signature,
                signed,
                _algorithms.verify_padding(algorithm, digest_algorithm),
                digest_algorithm.new(),
            )
    except (InvalidSignature, ValueError):
        return SignatureInvalidError(
            "the signature does not verify with the signer certificate's key; the "
            "signature, its attributes or the content were changed, or the wrong "
            "certificate was attached"
        )
    return None


def _public_attributes(attributes: ParsedAttributes) -> CmsAttributes:
    return CmsAttributes(
        content_type=attributes.content_type,
        message_digest=attributes.message_digest,
        signing_time=attributes.signing_time,
        nonce=attributes.nonce,
        card_serial=attributes.card_serial,
        has_signing_certificate=attributes.signing_certificate is not None,
        has_algorithm_protection=attributes.algorithm_protection is not None,
        raw=attributes.raw,
    )
