"""Checks both login verifiers run alike: the challenge, the path validator, the cached path.

``LoginVerifier`` (CMS) and ``WebEidValidator`` (Web eID tokens) take
challenges from the same stores and validate paths the same way; these
functions are the one copy of those steps.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509

from xcapki.crypto.errors import CertificateError, PathValidationError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    ChainValidator,
    RevocationMode,
    ValidatedPath,
    ValidatorUsageError,
)
from xcapki.login import errors
from xcapki.login._caches import PathCache
from xcapki.login.challenge import CHALLENGE_ID_PATTERN, ChallengeRecord, Clock
from xcapki.login.stores import ChallengeStore
from xcapki.login.verifier import _path_failure

__all__ = ["build_chain_validator", "check_store", "take_challenge", "validated_path"]


def check_store(store: object) -> None:
    """Refuse anything that is not a ``ChallengeStore``."""
    if not isinstance(store, ChallengeStore):
        raise errors.LoginConfigurationError(
            "store must be a ChallengeStore (MemoryChallengeStore or RedisChallengeStore)"
        )


def build_chain_validator(
    trust_store: TrustStore,
    *,
    revocation_mode: RevocationMode,
    fetch_timeout: timedelta,
    clock_skew: timedelta,
    clock: Clock,
) -> ChainValidator:
    """The path validator, its usage errors as ``LoginConfigurationError``."""
    try:
        return ChainValidator(
            trust_store,
            revocation_mode=revocation_mode,
            fetch_timeout=fetch_timeout,
            clock_skew=clock_skew,
            clock=clock,
        )
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
    paths: PathCache,
    certificate: x509.Certificate,
    fingerprint: bytes,
    now: datetime,
    *,
    intermediates: list[x509.Certificate] | None = None,
) -> ValidatedPath:
    """The certificate's path to the anchors with revocation, from ``paths`` while it holds."""
    path = paths.get(fingerprint, now)
    if path is not None:
        return path
    try:
        path = validator.validate(certificate, intermediates=intermediates or (), moment=now)
    except (PathValidationError, CertificateError) as exc:
        raise _path_failure(exc) from exc
    except ValidatorUsageError as exc:
        raise errors.LoginConfigurationError(
            f"{exc}; verify from a worker thread, not inside a running event loop"
        ) from exc
    paths.put(fingerprint, path, checking=validator.revocation_mode is not RevocationMode.OFF)
    return path
