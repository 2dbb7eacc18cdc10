"""The server-side login verifier: the steps of docs/login-checks.md, in their order.

``LoginVerifier`` is configured once (origin, challenge store, trust store,
``LoginPolicy``, revocation mode, clock skew, clock) and is then immutable;
one instance serves every request thread at once. ``verify`` returns a
frozen ``VerifiedLogin`` or raises the ``LoginError`` subclass of the first
check that failed; the crypto layer's own errors never escape.

Order: 1 size and shape (the envelope's size, JSON and base64, the
certificate field, and the strict CMS parse), 2 the challenge, then 3 to 7
on the CMS parsed in step 1 (never parsed again), then 8 to 12. A response
that fails step 1 never looks its challenge up, so the challenge stays
live until it expires: no check that could tell an attacker anything about
it has run (docs/login-checks.md deletes a challenge on lookup; there was no
lookup). A response that reaches step 2 uses its challenge up, whatever
fails after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography import x509

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import CmsSignature, CmsVerifyOptions, ParsedCms, inspect_cms, parse_cms
from xcapki.crypto.cms import errors as cms_errors
from xcapki.crypto.defaults import DEFAULT_CACHE_CAPACITY, DEFAULT_CLOCK_SKEW
from xcapki.crypto.errors import CertificateError, CmsError
from xcapki.crypto.profile import SubjectClass, TaiwanCertificate, load_certificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    ChainValidator,
    RevocationMode,
    RevocationStatus,
    ValidatedPath,
)
from xcapki.login import checks, errors
from xcapki.login._checks import (
    build_chain_validator,
    check_store,
    take_challenge,
    validated_path,
    validator_options,
)
from xcapki.login.challenge import (
    ChallengeRecord,
    Clock,
    compose_message,
    normalise_origin,
    system_clock,
)
from xcapki.login.policy import DEFAULT_LOGIN_POLICY, LoginPolicy
from xcapki.login.stores import ChallengeStore
from xcapki.login.wire import MAX_CMS_BYTES, LoginResponse, ResponseFormat, parse_response

__all__ = [
    "DEFAULT_CACHE_CAPACITY",
    "DEFAULT_CLOCK_SKEW",
    "LoginIdentity",
    "LoginVerifier",
    "VerifiedLogin",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginIdentity:
    """Who logged in, as the card's signing certificate says.

    ``unified_business_number`` is the 統一編號 (directory attribute .101 or,
    for MOEACA, the subject serialNumber); ``card_serial`` the card number the
    certificate carries (directory attribute .204), else ``None``: only what
    the CA signed fills the identity (``VerifiedLogin.claimed_card_serial``
    holds the number the signing software claimed).
    """

    authority: Authority
    organisation_name: str | None
    unified_business_number: str | None
    organisation_oid: str | None
    subject_class: SubjectClass
    card_serial: str | None
    certificate_serial: int
    certificate_fingerprint: bytes
    """SHA-256 of the certificate's DER."""
    not_after: datetime

    @classmethod
    def from_profile(cls, profile: TaiwanCertificate) -> LoginIdentity:
        """The identity the certificate ``profile`` states, and nothing the holder claimed."""
        return cls(
            authority=profile.authority,
            organisation_name=profile.organisation_name,
            unified_business_number=profile.unified_business_number,
            organisation_oid=profile.organisation_oid,
            subject_class=profile.subject_class,
            card_serial=profile.card_serial,
            certificate_serial=profile.serial_number,
            certificate_fingerprint=profile.fingerprint_sha256,
            not_after=profile.not_after,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedLogin:
    """A login that passed every check; what the portal may rely on.

    ``chain`` runs from the signer certificate to the trust anchor;
    ``revocation`` is the signer's verdict (GOOD with its source and update
    times, or NOT_CHECKED with revocation off). ``signing_time`` and
    ``claimed_card_serial`` are the signed attributes the holder's software
    chose: the card signs whatever it is given, so they are claims, for logs
    and display, never for keying accounts. A claimed card serial that
    differs from the certificate's is refused (``SignedAttributeRejectedError``).
    """

    identity: LoginIdentity
    certificate: TaiwanCertificate
    chain: tuple[x509.Certificate, ...]
    revocation: RevocationStatus
    signing_time: datetime | None
    claimed_card_serial: str | None
    challenge_id: str
    origin: str
    response_format: ResponseFormat
    verified_at: datetime


class LoginVerifier:
    """Checks a login response against the challenge this portal issued to this session.

    Immutable once built and safe to share between threads. Call ``verify``
    from a worker thread, not inside a running event loop (revocation
    checking runs its own loop).
    """

    __slots__ = (
        "_clock",
        "_cms_options",
        "_origin",
        "_policy",
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
        policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
        revocation_mode: RevocationMode | None = None,
        clock_skew: timedelta | None = None,
        clock: Clock = system_clock,
        fetch_timeout: timedelta | None = None,
        cache_capacity: int | None = None,
    ) -> None:
        check_store(store)
        if not isinstance(policy, LoginPolicy):
            raise errors.LoginConfigurationError("policy must be a LoginPolicy")
        options = validator_options(
            revocation_mode=revocation_mode,
            fetch_timeout=fetch_timeout,
            clock_skew=clock_skew,
            cache_capacity=cache_capacity,
        )
        self._origin = normalise_origin(origin)
        self._store = store
        self._policy = policy
        self._skew = options.clock_skew
        self._clock = clock
        self._cms_options = CmsVerifyOptions(
            policy=policy.algorithms, max_size=MAX_CMS_BYTES, max_clock_skew=options.clock_skew
        )
        self._validator = build_chain_validator(trust_store, options, clock)

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, "_validator"):
            raise AttributeError("a LoginVerifier cannot be changed once built; build a new one")
        object.__setattr__(self, name, value)

    @property
    def origin(self) -> str:
        """The portal's own origin, from which the signed bytes are derived."""
        return self._origin

    @property
    def policy(self) -> LoginPolicy:
        return self._policy

    @property
    def validator(self) -> ChainValidator:
        """The path validator (for its statistics)."""
        return self._validator

    def verify(self, response: bytes | str | LoginResponse, *, session_id: str) -> VerifiedLogin:
        """Run every check on ``response`` for the browser session ``session_id``.

        A response that passes step 1 uses up the challenge it names,
        whether the login then succeeds or fails at any later check.
        """
        now = self._clock()
        answer = response if isinstance(response, LoginResponse) else parse_response(response)
        field_certificate = _field_certificate(answer)
        parsed = _parse_cms(answer)
        _check_shape(answer.format, parsed)
        record = take_challenge(self._store, answer.challenge_id, session_id, now)
        signature = self._signature(parsed, field_certificate, record, now)
        profile = self._certificate(signature, now)
        checks.check_admitted(profile, self._policy)
        path = self._path(signature, now)
        return VerifiedLogin(
            identity=LoginIdentity.from_profile(profile),
            certificate=profile,
            chain=path.chain,
            revocation=path.leaf_revocation,
            signing_time=signature.signing_time,
            claimed_card_serial=signature.attributes.card_serial if signature.attributes else None,
            challenge_id=record.challenge.challenge_id,
            origin=self._origin,
            response_format=answer.format,
            verified_at=now,
        )

    # steps 3 to 7
    def _signature(
        self,
        parsed: ParsedCms,
        field_certificate: x509.Certificate | None,
        record: ChallengeRecord,
        now: datetime,
    ) -> CmsSignature:
        """Steps 3 to 7 on the CMS parsed in step 1, in the crypto layer's one pass.

        ``inspect_cms`` checks the content against the bytes derived from
        the stored challenge and this portal's origin, and the signed nonce
        against the challenge's (3), finds the signer and holds it to the
        certificate field (4), applies the algorithm policy (5), checks the
        signed attributes (6) and the signature (7).
        """
        try:
            signature = inspect_cms(
                parsed,
                content=compose_message(record.challenge, self._origin),
                now=now,
                nonce=record.challenge.nonce,
                signer_certificate=field_certificate,
                options=self._cms_options,
            )
        except CmsError as exc:
            raise _cms_failure(exc) from exc
        if signature.failure is not None:
            raise _cms_failure(signature.failure) from signature.failure
        return signature

    # step 8
    def _certificate(self, signature: CmsSignature, now: datetime) -> TaiwanCertificate:
        try:
            profile = self._validator.profile(signature.signer_certificate)
        except CertificateError as exc:
            raise errors.CertificateProfileError(f"signer certificate refused: {exc}") from exc
        checks.check_purpose(profile, self._policy.purpose)
        checks.check_validity(profile, now, self._skew)
        checks.check_signed_card_serial(profile, _signed_card_serial(signature))
        return profile

    # steps 10 and 11
    def _path(self, signature: CmsSignature, now: datetime) -> ValidatedPath:
        helpers = [c for c in signature.certificates if c != signature.signer_certificate]
        return validated_path(
            self._validator, signature.signer_certificate, now, intermediates=helpers
        )


def _signed_card_serial(signature: CmsSignature) -> str | None:
    """The card number in the signed attributes, if the signer sent one."""
    return signature.attributes.card_serial if signature.attributes else None


def _field_certificate(answer: LoginResponse) -> x509.Certificate | None:
    """The response's separate certificate (HiPKI certb64, SmartPKI certificate), parsed."""
    if answer.certificate is None:
        return None
    try:
        return load_certificate(answer.certificate, pem=False)
    except CertificateError as exc:
        raise errors.ResponseMalformedError(
            "the response's certificate field is not a DER X.509 certificate"
        ) from exc


def _parse_cms(answer: LoginResponse) -> ParsedCms:
    """The strict CMS parse of step 1: size, DER, one SignedData and SignerInfo, id-data."""
    try:
        return parse_cms(answer.cms, max_size=MAX_CMS_BYTES)
    except CmsError as exc:
        raise _cms_failure(exc) from exc


_DETACHED_FORMATS: Final = frozenset({ResponseFormat.SMARTPKI})


def _check_shape(response_format: ResponseFormat, parsed: ParsedCms) -> None:
    """Step 1: each format carries the CMS shape docs/login.md gives it."""
    detached = parsed.content is None
    if detached != (response_format in _DETACHED_FORMATS):
        carried, expected = ("detached", "attached") if detached else ("attached", "detached")
        raise errors.ResponseMalformedError(
            f"the {response_format.value} response carries a {carried} CMS; that format is "
            f"{expected} (docs/login.md, wire format)"
        )


_CMS_FAILURES: Final[tuple[tuple[type[CmsError], type[errors.LoginError]], ...]] = (
    (cms_errors.CmsTooLargeError, errors.ResponseSizeError),
    (cms_errors.SignedAttributeError, errors.SignedAttributeRejectedError),
    (cms_errors.CmsMalformedError, errors.ResponseMalformedError),
    (cms_errors.CmsContentTypeError, errors.ResponseMalformedError),
    (cms_errors.DetachedContentMissingError, errors.ResponseMalformedError),
    (cms_errors.NonceAttributeMismatchError, errors.NonceAttributeMismatchError),
    (cms_errors.ContentMismatchError, errors.ContentBindingError),
    (cms_errors.SignerCertificateMissingError, errors.SignerCertificateError),
    (cms_errors.SigningCertificateMismatchError, errors.SignerCertificateError),
    (cms_errors.UnexpectedSignerError, errors.UnexpectedSignerError),
    (cms_errors.AlgorithmNotAllowedError, errors.AlgorithmRejectedError),
    (cms_errors.AlgorithmProtectionMismatchError, errors.AlgorithmRejectedError),
    (cms_errors.ContentTypeAttributeError, errors.SignedAttributeRejectedError),
    (cms_errors.SigningTimeSkewError, errors.SigningTimeSkewError),
    (cms_errors.MessageDigestMismatchError, errors.SignedAttributeRejectedError),
    (cms_errors.SignatureInvalidError, errors.SignatureRejectedError),
    (cms_errors.CmsUsageError, errors.LoginConfigurationError),
)


def _cms_failure(exc: CmsError) -> errors.LoginError:
    for source, target in _CMS_FAILURES:
        if isinstance(exc, source):
            return target(str(exc))
    return errors.ResponseMalformedError(str(exc))
