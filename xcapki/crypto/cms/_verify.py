"""CMS verification: is the signature intact, by which certificate, over what.

This module answers "intact" only (docs/login-checks.md steps 1 and 3-7), from the
bytes or from a ``ParsedCms`` the caller parsed once with ``parse_cms``. Whether
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
from cryptography.hazmat.primitives.asymmetric import ec, utils

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.cms import _algorithms
from xcapki.crypto.cms._attributes import CmsAttributes
from xcapki.crypto.cms._certificates import SignerKey, certificate_digest, sid_facts, signer_key
from xcapki.crypto.cms._parse import (
    DEFAULT_MAX_SIZE,
    ID_DATA,
    ParsedAttributes,
    ParsedCms,
    ParsedSignerInfo,
    decode_attributes,
    parse_cms,
)
from xcapki.crypto.cms._policy import DEFAULT_POLICY, AlgorithmPolicy
from xcapki.crypto.cms.errors import (
    AlgorithmProtectionMismatchError,
    CmsError,
    CmsMalformedError,
    CmsUsageError,
    ContentMismatchError,
    ContentTypeAttributeError,
    DetachedContentMissingError,
    MessageDigestMismatchError,
    NonceAttributeMismatchError,
    SignatureInvalidError,
    SignedAttributeError,
    SignerCertificateMissingError,
    SigningCertificateMismatchError,
    SigningTimeSkewError,
    UnexpectedSignerError,
)
from xcapki.crypto.defaults import DEFAULT_CLOCK_SKEW, with_given

__all__ = [
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_VERIFY_OPTIONS",
    "CmsSignature",
    "CmsVerifyOptions",
    "inspect_cms",
    "resolve_options",
    "verify_cms",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CmsVerifyOptions:
    """How a CMS signature is judged, whatever it says: the options ``verify_cms``,
    ``inspect_cms``, ``verify_signed_data``, ``verify_stream`` and the login verifier
    share, each default defined here once.

    ``policy`` is the algorithm allow-list; ``max_size`` bounds the DER (a
    ``ParsedCms`` was bounded by its parse); ``max_clock_skew`` is tolerated
    between a signingTime and ``now``.
    """

    policy: AlgorithmPolicy = DEFAULT_POLICY
    max_size: int = DEFAULT_MAX_SIZE
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW


DEFAULT_VERIFY_OPTIONS: Final = CmsVerifyOptions()


def resolve_options(
    options: CmsVerifyOptions | None,
    *,
    policy: AlgorithmPolicy | None,
    max_size: int | None,
    max_clock_skew: timedelta | None,
) -> CmsVerifyOptions:
    """``options`` (default: ``DEFAULT_VERIFY_OPTIONS``) with each keyword given in its place."""
    base = DEFAULT_VERIFY_OPTIONS if options is None else options
    if not isinstance(base, CmsVerifyOptions):
        raise CmsUsageError("options must be a CmsVerifyOptions")
    chosen = with_given(base, policy=policy, max_size=max_size, max_clock_skew=max_clock_skew)
    for name, kind in (
        ("policy", AlgorithmPolicy),
        ("max_size", int),
        ("max_clock_skew", timedelta),
    ):
        value = getattr(chosen, name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            # None means "the default" only as a keyword argument; in the options it
            # would fail later, reported as a malformed CMS.
            raise CmsUsageError(
                f"{name} must be a {kind.__name__}, not {type(value).__name__} "
                "(leave the field out of CmsVerifyOptions for the default)"
            )
    return chosen


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
    data: bytes | ParsedCms,
    *,
    content: bytes | None = None,
    policy: AlgorithmPolicy | None = None,
    max_size: int | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta | None = None,
    extra_certificates: Sequence[x509.Certificate] = (),
    nonce: bytes | None = None,
    signer_certificate: x509.Certificate | None = None,
    options: CmsVerifyOptions | None = None,
) -> CmsSignature:
    """Verify a DER CMS SignedData, or raise the ``CmsError`` naming the first failure.

    ``data`` is the DER, or what ``parse_cms`` made of it (then ``max_size``
    was applied by that parse and is ignored here). ``content`` is required
    for a detached signature and, for an attached one, must equal the
    content carried. ``nonce``, when given, must equal a signed nonce
    attribute if there is one. ``signer_certificate``, when given, must be
    the certificate the signer identifier names; it is also searched for
    the signer, like ``extra_certificates``. ``now`` turns on the
    signingTime check (within ``max_clock_skew``).

    ``policy``, ``max_size`` and ``max_clock_skew`` are those of ``options``
    (default ``DEFAULT_VERIFY_OPTIONS``: ``DEFAULT_POLICY``, 1 MiB, 5 minutes)
    unless given here.
    """
    signature = inspect_cms(
        data,
        content=content,
        now=now,
        extra_certificates=extra_certificates,
        nonce=nonce,
        signer_certificate=signer_certificate,
        options=resolve_options(
            options, policy=policy, max_size=max_size, max_clock_skew=max_clock_skew
        ),
    )
    if signature.failure is not None:
        raise signature.failure
    return signature


def inspect_cms(
    data: bytes | ParsedCms,
    *,
    content: bytes | None = None,
    content_digest: bytes | None = None,
    policy: AlgorithmPolicy | None = None,
    max_size: int | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta | None = None,
    extra_certificates: Sequence[x509.Certificate] = (),
    nonce: bytes | None = None,
    signer_certificate: x509.Certificate | None = None,
    options: CmsVerifyOptions | None = None,
) -> CmsSignature:
    """Like ``verify_cms``, but a broken digest or signature comes back as ``intact=False``.

    Structural and policy failures still raise: without them there is no
    signature to describe. A self-test screen uses this to show *why* a
    signature failed next to what it claimed. The checks run in the order
    of docs/login-checks.md: the parse (1), content and nonce (3), the signer
    certificate (4), algorithms (5), signed attributes (6), the signature (7).
    Whatever ``cryptography`` or asn1crypto raise on hostile input becomes a
    ``CmsMalformedError`` here; no exception of a dependency leaves.

    ``content_digest`` stands in for a detached content too large to hold: its
    digest with the SignerInfo's digest algorithm (xcapki.crypto.cms._stream
    hashes the content while reading it); the result's ``content`` is then empty.
    The options are ``verify_cms``'s.
    """
    chosen = resolve_options(
        options, policy=policy, max_size=max_size, max_clock_skew=max_clock_skew
    )
    try:
        return _inspect(
            data,
            chosen,
            content=content,
            content_digest=content_digest,
            now=now,
            extra_certificates=extra_certificates,
            nonce=nonce,
            signer_certificate=signer_certificate,
        )
    except CmsError:
        raise
    except Exception as exc:
        raise CmsMalformedError(
            "the CMS or its signer certificate holds a value that cannot be processed; "
            "the signer must send a DER-encoded CMS SignedData with a well-formed certificate"
        ) from exc


def _inspect(
    data: bytes | ParsedCms,
    options: CmsVerifyOptions,
    *,
    content: bytes | None,
    content_digest: bytes | None,
    now: datetime | None,
    extra_certificates: Sequence[x509.Certificate],
    nonce: bytes | None,
    signer_certificate: x509.Certificate | None,
) -> CmsSignature:
    policy = options.policy
    parsed = data if isinstance(data, ParsedCms) else parse_cms(data, max_size=options.max_size)
    signer = parsed.signer
    if content_digest is not None and (content is not None or parsed.content is not None):
        raise CmsUsageError("content_digest stands for a detached content; pass one or the other")
    signed_content = b"" if content_digest is not None else _content(parsed, content)
    attributes = decode_attributes(signer)
    if nonce is not None and attributes is not None:
        _check_nonce(attributes, nonce)
    certificate = _signer_certificate(parsed, extra_certificates, signer_certificate)
    if attributes is not None and attributes.signing_certificate is not None:
        _check_signing_certificate(attributes.signing_certificate, certificate)
    digest_algorithm = _algorithms.read_digest_algorithm(signer.digest_oid, policy)
    algorithm = _algorithms.read_signature_algorithm(
        signer.signature_oid, signer.signature_params, digest_algorithm, policy
    )
    public_key = signer_key(certificate)
    _algorithms.check_public_key(public_key, algorithm.scheme, policy)
    failure: CmsError | None
    if attributes is None:
        failure = None
        signed_bytes = signed_content if content_digest is None else content_digest
    else:
        _check_algorithm_protection(attributes, signer)
        _check_attributes(attributes, now, options.max_clock_skew)
        signed_bytes = attributes.signed_der
        failure = _digest_failure(
            attributes, digest_algorithm, signed_content, content_digest=content_digest
        )
    if failure is None:
        failure = _signature_failure(
            public_key,
            algorithm,
            digest_algorithm,
            signer.signature,
            signed_bytes,
            prehashed=attributes is None and content_digest is not None,
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


def _check_nonce(attributes: ParsedAttributes, nonce: bytes) -> None:
    if attributes.nonce is not None and attributes.nonce != bytes(nonce):
        raise NonceAttributeMismatchError(
            "the signed nonce attribute is not the expected nonce; the signature answers "
            "another challenge"
        )


def _signer_certificate(
    parsed: ParsedCms,
    extra_certificates: Sequence[x509.Certificate],
    expected: x509.Certificate | None,
) -> x509.Certificate:
    candidates = (*parsed.certificates, *extra_certificates)
    if expected is not None:
        candidates = (*candidates, expected)
    certificate = _find_signer(parsed.signer, candidates)
    if expected is not None and certificate != expected:
        raise UnexpectedSignerError(
            "the CMS was signed by another certificate than the one expected; the "
            "certificate sent beside the signature is not the signer's"
        )
    return certificate


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
    facts = sid_facts(certificate)
    if signer.sid_key_id is not None:
        return facts.key_id == signer.sid_key_id
    if facts.serial != signer.sid_serial or signer.sid_issuer is None:
        return False
    if facts.issuer_der == signer.sid_issuer:
        return True
    return bool(asn1_x509.Name.load(facts.issuer_der) == asn1_x509.Name.load(signer.sid_issuer))


def _check_algorithm_protection(attributes: ParsedAttributes, signer: ParsedSignerInfo) -> None:
    protection = attributes.algorithm_protection
    if protection is None:
        return
    digest_id, signature_id = protection
    signer_signature = _algorithms.normalised_identifier(
        signer.signature_oid, signer.signature_params
    )
    if _algorithms.normalised_identifier(*digest_id) != _algorithms.normalised_identifier(
        *signer.digest_identifier
    ) or (
        signature_id is None or _algorithms.normalised_identifier(*signature_id) != signer_signature
    ):
        raise AlgorithmProtectionMismatchError(
            "CMSAlgorithmProtection names other algorithms than the SignerInfo; "
            "the algorithms were changed after signing"
        )


def _check_attributes(
    attributes: ParsedAttributes,
    now: datetime | None,
    max_clock_skew: timedelta,
) -> None:
    if attributes.content_type != ID_DATA:
        raise ContentTypeAttributeError(
            f"the contentType attribute says {attributes.content_type} but the content is "
            "id-data; the signed attributes belong to another message"
        )
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
    if certificate_digest(certificate, algorithm) != expected:
        raise SigningCertificateMismatchError(
            "the signingCertificate attribute names a different certificate than the one "
            "found by the signer identifier; the certificate was substituted"
        )


def _digest_failure(
    attributes: ParsedAttributes,
    algorithm: HashAlgorithm,
    content: bytes,
    *,
    content_digest: bytes | None = None,
) -> CmsError | None:
    computed = _algorithms.digest(algorithm, content) if content_digest is None else content_digest
    if computed == attributes.message_digest:
        return None
    return MessageDigestMismatchError(
        "the messageDigest attribute does not match the content; the content or the "
        "attributes were changed after signing"
    )


def _signature_failure(
    key: SignerKey,
    algorithm: _algorithms.SignatureAlgorithm,
    digest_algorithm: HashAlgorithm,
    signature: bytes,
    signed: bytes,
    *,
    prehashed: bool = False,
) -> CmsError | None:
    hashing = utils.Prehashed(digest_algorithm.new()) if prehashed else digest_algorithm.new()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(hashing))
        else:
            key.verify(
                signature,
                signed,
                _algorithms.verify_padding(algorithm, digest_algorithm),
                hashing,
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
