"""Where issued challenges wait for their answer; every store is single-use.

``take`` removes the challenge as it returns it, so a second answer to the
same challenge (a replay, or a second server racing the first) finds
nothing. The verifier takes before it checks anything else about the
challenge, so a failed login uses the challenge up as well.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Final, Protocol, runtime_checkable

from xcapki.login.challenge import ChallengeRecord, Clock, system_clock
from xcapki.login.errors import ChallengeStoreFullError, LoginConfigurationError

__all__ = ["DEFAULT_MEMORY_CAPACITY", "ChallengeStore", "MemoryChallengeStore"]

DEFAULT_MEMORY_CAPACITY: Final = 100_000
"""Live challenges one process keeps; issuing is unauthenticated, so memory is bounded."""


@runtime_checkable
class ChallengeStore(Protocol):
    """Keeps challenge records until taken or until their retention runs out."""

    def put(self, record: ChallengeRecord, *, retain_for: timedelta) -> None:
        """Keep ``record`` for ``retain_for``; raise ``ChallengeStoreError`` if it cannot."""
        ...

    def take(self, challenge_id: str) -> ChallengeRecord | None:
        """Remove and return the record, atomically; None when absent or past retention.

        Also None when the store cannot rule out an earlier take (a Redis
        store after its server restarted or failed over): single use first.
        """
        ...


class MemoryChallengeStore:
    """A store in this process's memory: the default for a portal on one machine.

    Thread-safe. Records leave when taken or, lazily, once past their
    retention; at ``capacity`` live records ``put`` raises
    ``ChallengeStoreFullError`` rather than grow without bound.
    """

    __slots__ = ("_capacity", "_clock", "_entries", "_lock")

    def __init__(
        self, *, capacity: int = DEFAULT_MEMORY_CAPACITY, clock: Clock = system_clock
    ) -> None:
        if capacity < 1:
            raise LoginConfigurationError("the store capacity must be at least 1")
        self._capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[str, tuple[datetime, ChallengeRecord]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, record: ChallengeRecord, *, retain_for: timedelta) -> None:
        """Keep ``record`` until now + ``retain_for``."""
        now = self._clock()
        until = now + retain_for
        with self._lock:
            self._purge(now)
            if len(self._entries) >= self._capacity:
                raise ChallengeStoreFullError(
                    f"{self._capacity} challenges are waiting for an answer; refuse new logins "
                    "for now, or raise the capacity or use the Redis store"
                )
            self._entries[record.challenge.challenge_id] = (until, record)

    def take(self, challenge_id: str) -> ChallengeRecord | None:
        """Remove and return the record; None when absent or past its retention."""
        now = self._clock()
        with self._lock:
            found = self._entries.pop(challenge_id, None)
        if found is None:
            return None
        until, record = found
        return record if now <= until else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _purge(self, now: datetime) -> None:
        """Drop expired records: from the oldest end, and everywhere when that is not enough.

        Insertion order is expiry order while every challenge has the same
        lifetime, so the cheap pass nearly always suffices.
        """
        entries = self._entries
        while entries:
            key, (until, _) = next(iter(entries.items()))
            if until >= now:
                break
            del entries[key]
        if len(entries) >= self._capacity:
            for key in [k for k, (until, _) in entries.items() if until < now]:
                del entries[key]
