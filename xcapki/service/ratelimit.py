"""Per-site limit on failed PIN attempts.

A card locks after three wrong PINs, so a page that keeps guessing can lock
every card the user inserts. Each trusted site gets a few failures per window
(keyed on the trust-list entry that admitted its origin, so varying the port
or spelling of the Origin header buys no fresh budget); after that its PIN
attempts are refused before they reach a card.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from xcapki.service.config import PinRateLimit

__all__ = ["PinFailureLimiter"]


class PinFailureLimiter:
    """Sliding-window count of failed PIN attempts, per key (the trust entry); thread-safe."""

    def __init__(self, limit: PinRateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit = limit
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, origin: str) -> float | None:
        """Seconds until ``origin`` may try a PIN again; None when it may now."""
        now = self._clock()
        with self._lock:
            recent = self._recent(origin, now)
            if len(recent) < self._limit.max_failures:
                return None
            return recent[0] + self._limit.window_seconds - now

    def record_failure(self, origin: str) -> None:
        """Count one wrong or malformed PIN from ``origin``."""
        now = self._clock()
        with self._lock:
            self._recent(origin, now).append(now)

    def _recent(self, origin: str, now: float) -> deque[float]:
        recent = self._failures.setdefault(origin, deque())
        while recent and recent[0] <= now - self._limit.window_seconds:
            recent.popleft()
        return recent
