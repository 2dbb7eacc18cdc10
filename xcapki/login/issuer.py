"""Issuing challenges: one per login attempt, stored for its verifier, bound to a session."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from xcapki.login.challenge import (
    DEFAULT_CHALLENGE_TTL,
    STORE_GRACE,
    Challenge,
    ChallengeRecord,
    Clock,
    normalise_origin,
    session_digest,
    system_clock,
)
from xcapki.login.errors import LoginConfigurationError
from xcapki.login.stores import ChallengeStore

__all__ = ["MAX_CHALLENGE_TTL", "ChallengeIssuer"]

MAX_CHALLENGE_TTL: Final = timedelta(hours=1)


class ChallengeIssuer:
    """Makes challenges for one origin and puts them in a store; immutable, thread-safe.

    ``ttl`` is how long the user has to sign (default 5 minutes); the store
    keeps each challenge ``STORE_GRACE`` longer so a late answer is reported
    as expired, not unknown.
    """

    __slots__ = ("_clock", "_origin", "_store", "_ttl")

    def __init__(
        self,
        *,
        origin: str,
        store: ChallengeStore,
        ttl: timedelta = DEFAULT_CHALLENGE_TTL,
        clock: Clock = system_clock,
    ) -> None:
        if not timedelta(seconds=1) <= ttl <= MAX_CHALLENGE_TTL:
            raise LoginConfigurationError(
                f"the challenge lifetime must lie between 1 second and {MAX_CHALLENGE_TTL}; "
                "the default of 5 minutes suits people typing a PIN"
            )
        if not isinstance(store, ChallengeStore):
            raise LoginConfigurationError(
                "store must be a ChallengeStore (MemoryChallengeStore or RedisChallengeStore)"
            )
        self._origin = normalise_origin(origin)
        self._store = store
        self._ttl = ttl
        self._clock = clock

    @property
    def origin(self) -> str:
        return self._origin

    @property
    def ttl(self) -> timedelta:
        return self._ttl

    def issue(self, session_id: str) -> Challenge:
        """A new challenge bound to the browser session ``session_id``, already stored."""
        digest = session_digest(session_id)
        challenge = Challenge.new(origin=self._origin, now=self._clock(), ttl=self._ttl)
        record = ChallengeRecord(challenge=challenge, session_digest=digest)
        self._store.put(record, retain_for=self._ttl + STORE_GRACE)
        return challenge
