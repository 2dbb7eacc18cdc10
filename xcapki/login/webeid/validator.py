"""The Web eID authentication token validator, for Python portal backends.

``WebEidValidator`` checks a ``web-eid:1.0`` token in the order of Web eID's
own validators, raising one ``LoginError`` subclass per failed check:

1. size and JSON (``ResponseSizeError``, ``ResponseMalformedError``);
2. ``format`` (``TokenFormatError``) and the certificate's base64 and DER
   (``CertificateDecodingError``); then the challenge is taken from the
   store, used up whatever follows (``ChallengeUnknownError``,
   ``ChallengeExpiredError``, ``ChallengeSessionError``);
3. purpose: keyUsage present (``CertificatePurposeMissingError``) with
   digitalSignature and not a CA (``KeyUsageRejectedError``); an EKU, if
   any, includes clientAuth and none of the ``LoginPolicy``'s refused ones,
   OCSPSigning by default (``ExtendedKeyUsageRejectedError``);
4. policies: with ``WebEidRules.WEB_EID`` none on the disallowed list
   (``DisallowedPolicyError``); with ``WebEidRules.TAIWAN_PROFILE`` the GPKI
   profile read and the portal's ``LoginPolicy`` (``AuthorityNotAllowedError``,
   ``CertificatePolicyNotAllowedError``, ``IdentityMissingError``);
5. validity now (``CertificateExpiredError``, ``CertificateNotYetValidError``)
   and a path to the trust anchors (``UntrustedSignerError``);
6. revocation by OCSP or CRL, as the ``ChainValidator`` is configured
   (``CertificateRevokedError``, ``RevocationCheckError``);
7. the signature: an allowed algorithm that fits the key
   (``AlgorithmRejectedError``), over ``H(origin) || H(nonce)`` with the
   configured origin and the stored nonce (``SignatureRejectedError``).

As the CMS verifier does, a token that fails steps 1 and 2 leaves its
challenge alone; one that gets further uses it up.
"""

from __future__ import annotations

import base64
import binascii
import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.cms import AlgorithmPolicy, EcCurve
from xcapki.crypto.errors import CertificateError
from xcapki.crypto.profile import TaiwanCertificate, load_certificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    ChainValidator,
    RevocationMode,
    RevocationStatus,
    ValidatedPath,
)
from xcapki.login import errors
from xcapki.login._checks import (
    build_chain_validator,
    check_store,
    take_challenge,
    validated_path,
    validator_options,
)
from xcapki.login.challenge import Clock, normalise_origin, system_clock
from xcapki.login.checks import check_admitted, check_purpose
from xcapki.login.policy import DEFAULT_LOGIN_POLICY, LoginPolicy
from xcapki.login.stores import ChallengeStore
from xcapki.login.verifier import LoginIdentity
from xcapki.login.webeid.errors import (
    CertificateDecodingError,
    CertificatePurposeMissingError,
    DisallowedPolicyError,
    ExtendedKeyUsageRejectedError,
)
from xcapki.login.webeid.token import (
    AuthToken,
    WebEidAlgorithm,
    challenge_nonce,
    parse_token,
    signed_payload,
)

__all__ = [
    "DEFAULT_DISALLOWED_POLICIES",
    "WEB_EID_ALGORITHMS",
    "WebEidLogin",
    "WebEidRules",
    "WebEidValidator",
]

DEFAULT_DISALLOWED_POLICIES: Final = frozenset(
    {
        "1.3.6.1.4.1.10015.1.3",
        "1.3.6.1.4.1.10015.1.3.1",
        "1.3.6.1.4.1.10015.1.3.2",
        "1.3.6.1.4.1.10015.1.3.3",
    }
)
"""Web eID's default: the Estonian Mobile-ID policies, whose keys are not on a card."""

WEB_EID_ALGORITHMS: Final = AlgorithmPolicy(curves=frozenset(EcCurve))
"""Web eID's allow-list: SHA-256/384/512 with ECDSA (P-256/384/521) or RSA ≥ 2048 bits."""


class WebEidRules(enum.Enum):
    """Which rules decide whether a genuine certificate may log in."""

    WEB_EID = "web-eid"
    """Web eID's own: the disallowed-policy list, any trusted issuer."""
    TAIWAN_PROFILE = "taiwan-profile"
    """The GPKI profile and the portal's ``LoginPolicy`` (authority, policies, 統一編號)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WebEidLogin:
    """A token that passed every check.

    ``profile`` and ``identity`` are set under ``WebEidRules.TAIWAN_PROFILE``
    (under ``WEB_EID`` the certificate need not follow the GPKI profile).
    ``chain`` runs from the certificate to the trust anchor.
    """

    certificate: x509.Certificate
    algorithm: WebEidAlgorithm
    chain: tuple[x509.Certificate, ...]
    revocation: RevocationStatus
    profile: TaiwanCertificate | None
    identity: LoginIdentity | None
    challenge_id: str
    origin: str
    app_version: str | None
    verified_at: datetime


class WebEidValidator:
    """Validates ``web-eid:1.0`` tokens for one https origin; immutable and thread-safe.

    The nonce is a challenge from ``store`` (issue it with ``ChallengeIssuer``
    for the same origin and store, and give the page ``challenge_nonce`` of
    it); the page posts the token with the challenge id. Call ``validate``
    from a worker thread, not inside a running event loop.
    """

    __slots__ = (
        "_algorithms",
        "_clock",
        "_disallowed",
        "_origin",
        "_policy",
        "_rules",
        "_skew",
        "_store",
        "_validator",
    )

    def __init__(
        self,
        *,
        origin: str,
        store: ChallengeStore,
        trust_store: TrustStore,
        rules: WebEidRules = WebEidRules.TAIWAN_PROFILE,
        policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
        disallowed_policies: frozenset[str] = DEFAULT_DISALLOWED_POLICIES,
        algorithms: AlgorithmPolicy | None = None,
        revocation_mode: RevocationMode | None = None,
        clock_skew: timedelta | None = None,
        clock: Clock = system_clock,
        fetch_timeout: timedelta | None = None,
        cache_capacity: int | None = None,
    ) -> None:
        normalised = normalise_origin(origin)
        if not normalised.startswith("https://"):
            raise errors.LoginConfigurationError(
                f"Web eID origins are https only, not {normalised!r}: serve the portal over https"
            )
        check_store(store)
        if not isinstance(rules, WebEidRules) or not isinstance(policy, LoginPolicy):
            raise errors.LoginConfigurationError(
                "rules must be a WebEidRules and policy a LoginPolicy"
            )
        options = validator_options(
            revocation_mode=revocation_mode,
            fetch_timeout=fetch_timeout,
            clock_skew=clock_skew,
            cache_capacity=cache_capacity,
        )
        self._origin = normalised
        self._store = store
        self._rules = rules
        self._policy = policy
        self._disallowed = frozenset(disallowed_policies)
        self._algorithms = algorithms or (
            policy.algorithms if rules is WebEidRules.TAIWAN_PROFILE else WEB_EID_ALGORITHMS
        )
        self._skew = options.clock_skew
        self._clock = clock
        self._validator = build_chain_validator(trust_store, options, clock)

    @property
    def origin(self) -> str:
        """The origin whose hash the card must have signed."""
        return self._origin

    @property
    def rules(self) -> WebEidRules:
        return self._rules

    @property
    def validator(self) -> ChainValidator:
        """The path validator (for its statistics)."""
        return self._validator

    def validate(
        self, token: str | bytes | dict[str, Any], *, challenge_id: str, session_id: str
    ) -> WebEidLogin:
        """Run every check on ``token``, answering challenge ``challenge_id`` of ``session_id``."""
        now = self._clock()
        parsed = parse_token(token)
        certificate = _certificate(parsed)
        record = take_challenge(self._store, challenge_id, session_id, now)
        _check_purpose(certificate, self._policy.purpose.refused_extended_key_usages)
        profile = self._admit(certificate)
        path = self._path(certificate, now)
        algorithm = self._signature(parsed, certificate, challenge_nonce(record.challenge))
        return WebEidLogin(
            certificate=certificate,
            algorithm=algorithm,
            chain=path.chain,
            revocation=path.leaf_revocation,
            profile=profile,
            identity=LoginIdentity.from_profile(profile) if profile is not None else None,
            challenge_id=record.challenge.challenge_id,
            origin=self._origin,
            app_version=parsed.app_version,
            verified_at=now,
        )

    # step 4
    def _admit(self, certificate: x509.Certificate) -> TaiwanCertificate | None:
        if self._rules is WebEidRules.WEB_EID:
            carried = _policy_oids(certificate)
            refused = sorted(self._disallowed & carried)
            if refused:
                raise DisallowedPolicyError(
                    f"the certificate carries the disallowed policies {refused}"
                )
            return None
        try:
            profile = self._validator.profile(certificate)
        except CertificateError as exc:
            raise errors.PolicyRejectedError(
                f"the certificate does not follow the GPKI profile: {exc}"
            ) from exc
        check_purpose(profile, self._policy.purpose)
        check_admitted(profile, self._policy)
        return profile

    # steps 5 and 6
    def _path(self, certificate: x509.Certificate, now: datetime) -> ValidatedPath:
        if now > certificate.not_valid_after_utc + self._skew:
            raise errors.CertificateExpiredError(
                f"the certificate expired at {certificate.not_valid_after_utc.isoformat()}",
                expired_at=certificate.not_valid_after_utc,
            )
        if now < certificate.not_valid_before_utc - self._skew:
            raise errors.CertificateNotYetValidError(
                f"the certificate is valid from {certificate.not_valid_before_utc.isoformat()}",
                valid_from=certificate.not_valid_before_utc,
            )
        return validated_path(self._validator, certificate, now)

    # step 7
    def _signature(
        self, token: AuthToken, certificate: x509.Certificate, nonce: str
    ) -> WebEidAlgorithm:
        if not token.algorithm or not token.signature:
            raise errors.SignatureRejectedError("the token's algorithm or signature is empty")
        try:
            algorithm = WebEidAlgorithm(token.algorithm)
        except ValueError:
            raise errors.AlgorithmRejectedError(
                f"unsupported signature algorithm {token.algorithm[:16]!r}"
            ) from None
        key = certificate.public_key()
        _check_algorithm(self._algorithms, algorithm, key)
        try:
            signature = base64.b64decode(token.signature, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise errors.SignatureRejectedError(f"the signature is not base64 ({exc})") from exc
        payload = signed_payload(self._origin, nonce, algorithm.hash_algorithm)
        digest = algorithm.hash_algorithm.new()
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(_der_from_raw(signature, key), payload, ec.ECDSA(digest))
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, payload, _rsa_padding(algorithm), digest)
        except InvalidSignature:
            raise errors.SignatureRejectedError(
                "the signature does not verify over this origin and the stored nonce: the token "
                "was made for another site or another challenge, or altered"
            ) from None
        return algorithm


_CLIENT_AUTH: Final = ExtendedKeyUsageOID.CLIENT_AUTH


def _certificate(token: AuthToken) -> x509.Certificate:
    """The certificate, its extensions read now: ``cryptography`` parses them lazily, so a
    malformed or repeated one would otherwise raise its own error in a later step."""
    try:
        certificate = load_certificate(token.certificate_der, pem=False)
        certificate.extensions  # noqa: B018
    except (
        CertificateError,
        ValueError,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        raise CertificateDecodingError(
            f"the token's unverifiedCertificate is not a well-formed X.509 certificate ({exc})"
        ) from exc
    return certificate


# step 3
def _check_purpose(certificate: x509.Certificate, refused: frozenset[str]) -> None:
    """Web eID's purpose check, plus the ``refused`` EKUs of the portal's ``PurposeRule``
    in both rule sets: an OCSP responder's certificate never logs in, clientAuth or not."""
    extensions = certificate.extensions
    try:
        usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise CertificatePurposeMissingError("the certificate has no keyUsage extension") from None
    if not usage.digital_signature or usage.key_cert_sign or _is_ca(extensions):
        raise errors.KeyUsageRejectedError(
            "the certificate's keyUsage does not allow digitalSignature for an end entity; "
            "a login needs the card's signing or authentication certificate"
        )
    try:
        purposes = extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return
    named = sorted(refused & {purpose.dotted_string for purpose in purposes})
    if named:
        raise ExtendedKeyUsageRejectedError(
            f"the certificate's extended key usage names {', '.join(named)}, which no login "
            "certificate carries (an OCSP responder's certificate)"
        )
    if _CLIENT_AUTH not in purposes:
        raise ExtendedKeyUsageRejectedError(
            "the certificate's extended key usage does not include clientAuth "
            f"({_CLIENT_AUTH.dotted_string})"
        )


def _is_ca(extensions: x509.Extensions) -> bool:
    try:
        return extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _policy_oids(certificate: x509.Certificate) -> frozenset[str]:
    try:
        policies = certificate.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(p.policy_identifier.dotted_string for p in policies)


def _check_algorithm(policy: AlgorithmPolicy, algorithm: WebEidAlgorithm, key: object) -> None:
    if algorithm.hash_algorithm not in policy.hashes or algorithm.scheme not in policy.schemes:
        raise errors.AlgorithmRejectedError(f"{algorithm.value} is not allowed by this portal")
    if isinstance(key, ec.EllipticCurvePublicKey):
        curves = {curve.value for curve in policy.curves}
        if algorithm.scheme is not SignatureScheme.ECDSA or key.curve.name not in curves:
            raise errors.AlgorithmRejectedError(
                f"{algorithm.value} does not fit the certificate's {key.curve.name} key, or the "
                "curve is not allowed"
            )
        return
    if isinstance(key, rsa.RSAPublicKey):
        if algorithm.scheme is SignatureScheme.ECDSA or key.key_size < policy.min_rsa_bits:
            raise errors.AlgorithmRejectedError(
                f"{algorithm.value} does not fit the certificate's {key.key_size}-bit RSA key, "
                f"or the key is under {policy.min_rsa_bits} bits"
            )
        return
    raise errors.AlgorithmRejectedError("the certificate's key is neither RSA nor EC")


def _der_from_raw(signature: bytes, key: ec.EllipticCurvePublicKey) -> bytes:
    size = (key.curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise errors.SignatureRejectedError(
            f"an ECDSA signature on {key.curve.name} is r || s of {2 * size} bytes, "
            f"not {len(signature)}"
        )
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return encode_dss_signature(r, s)


def _rsa_padding(algorithm: WebEidAlgorithm) -> padding.AsymmetricPadding:
    if algorithm.scheme is SignatureScheme.RSA_PSS:
        digest = algorithm.hash_algorithm.new()
        return padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    return padding.PKCS1v15()
