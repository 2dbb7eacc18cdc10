"""Checks both login verifiers run alike: the challenge, the path validator, the path.

``LoginVerifier`` (CMS) and ``WebEidValidator`` (Web eID tokens) take
challenges from the same stores and validate paths the same way; these
functions are the one copy of those steps. Neither keeps a cache of its own:
certificates come from the parser's cache and profiles and paths from the
``ChainValidator``'s.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from cryptography import x509

from xcapki.crypto.defaults import with_given
from xcapki.crypto.errors import CertificateError, PathValidationError, RevocationError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    DEFAULT_VALIDATOR_OPTIONS,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    ChainValidator,
    RevocationMode,
    RevocationSource,
    RevocationState,
    RevocationStatus,
    RevocationUnknownError,
    ValidatedPath,
    ValidatorOptions,
    ValidatorUsageError,
    WeakAlgorithmError,
)
from xcapki.login import errors
from xcapki.login.challenge import CHALLENGE_ID_PATTERN, ChallengeRecord, Clock
from xcapki.login.stores import ChallengeStore

__all__ = [
    "build_chain_validator",
    "check_store",
    "path_failure",
    "take_challenge",
    "usage_failure",
    "validated_path",
    "validator_options",
]


def check_store(store: object) -> None:
    """Refuse anything that is not a ``ChallengeStore``."""
    if not isinstance(store, ChallengeStore):
        raise errors.LoginConfigurationError(
            "store must be a ChallengeStore (MemoryChallengeStore or RedisChallengeStore)"
        )


def validator_options(
    *,
    revocation_mode: RevocationMode | None,
    fetch_timeout: timedelta | None,
    clock_skew: timedelta | None,
    cache_capacity: int | None,
) -> ValidatorOptions:
    """The verifier's keyword arguments over ``DEFAULT_VALIDATOR_OPTIONS``, checked."""
    options = with_given(
        DEFAULT_VALIDATOR_OPTIONS,
        revocation_mode=revocation_mode,
        fetch_timeout=fetch_timeout,
        clock_skew=clock_skew,
        cache_capacity=cache_capacity,
    )
    if options.clock_skew < timedelta(0):
        raise errors.LoginConfigurationError("clock_skew must not be negative")
    if options.cache_capacity < 1:
        raise errors.LoginConfigurationError("cache_capacity must be at least 1")
    return options


def build_chain_validator(
    trust_store: TrustStore, options: ValidatorOptions, clock: Clock
) -> ChainValidator:
    """The path validator, holder of the verifier's caches; its usage errors as
    ``LoginConfigurationError``."""
    try:
        return ChainValidator(trust_store, clock=clock, options=options)
    except ValidatorUsageError as exc:
        raise errors.LoginConfigurationError(str(exc)) from exc


def take_challenge(
    store: ChallengeStore, challenge_id: str, session_id: str, now: datetime
) -> ChallengeRecord:
    """Take the challenge (single use), then refuse it if expired or another session's."""
    if not isinstance(challenge_id, str) or CHALLENGE_ID_PATTERN.fullmatch(challenge_id) is None:
        raise errors.ChallengeUnknownError(
            "the challenge id is not one this portal issues (16 to 64 letters, digits, - or _)"
        )
    record = store.take(challenge_id)
    if record is None:
        raise errors.ChallengeUnknownError(
            f"challenge {challenge_id} is unknown: never issued, already used, or expired long ago"
        )
    if now > record.challenge.expires_at:
        raise errors.ChallengeExpiredError(
            f"challenge {challenge_id} expired at {record.challenge.expires_at.isoformat()}"
        )
    if not record.belongs_to(session_id):
        raise errors.ChallengeSessionError(
            f"challenge {challenge_id} was issued to another browser session"
        )
    return record


def validated_path(
    validator: ChainValidator,
    certificate: x509.Certificate,
    now: datetime,
    *,
    intermediates: list[x509.Certificate] | None = None,
) -> ValidatedPath:
    """The certificate's path to the anchors with revocation (a known card: from the caches)."""
    try:
        return validator.validate(certificate, intermediates=intermediates or (), moment=now)
    except (PathValidationError, CertificateError) as exc:
        raise path_failure(exc) from exc
    except ValidatorUsageError as exc:
        raise usage_failure(exc) from exc


def usage_failure(exc: ValidatorUsageError) -> errors.LoginConfigurationError:
    """A validator refusing its use, most often a verify call inside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return errors.LoginConfigurationError(str(exc))
    return errors.LoginConfigurationError(
        "a login was verified inside a running event loop; verify from a worker thread"
        " (Starlette: a sync endpoint or run_in_threadpool)"
    )


def path_failure(exc: PathValidationError | CertificateError) -> errors.LoginError:
    """The login error for a path the validator refused, keeping what the validator found."""
    message = str(exc)
    if isinstance(exc, RevocationUnknownError):
        unknown = RevocationStatus(state=RevocationState.UNKNOWN, source=RevocationSource.OCSP)
        return errors.RevocationUnknownError(message, certificate=exc.certificate, status=unknown)
    if isinstance(exc, CertificateRevokedError):
        return errors.CertificateRevokedError(
            message, certificate=exc.certificate, status=exc.status
        )
    if isinstance(exc, RevocationError):
        return errors.RevocationCheckError(message)
    if isinstance(exc, CertificateExpiredError):
        return errors.CertificateExpiredError(message, expired_at=exc.expired_at)
    if isinstance(exc, CertificateNotYetValidError):
        return errors.CertificateNotYetValidError(message, valid_from=exc.valid_from)
    if isinstance(exc, WeakAlgorithmError):
        return errors.AlgorithmRejectedError(message)
    return errors.UntrustedSignerError(message)
