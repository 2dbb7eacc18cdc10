"""The portal's browser sessions, kept on the server; the cookie holds only a random id.

A challenge is bound to the session id (``PortalLogin.issue_challenge``), so
the id must exist before the login page asks for a challenge, and it is
replaced when the user logs in so that an id planted before the login
(session fixation) is worthless after it.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from xcapki.login import Clock, VerifiedLogin
from xcapki.login.webeid import WebEidLogin

__all__ = ["DEFAULT_SESSION_CAPACITY", "PortalSession", "SessionStore"]

DEFAULT_SESSION_CAPACITY: Final = 10_000
_ID_BYTES: Final = 32


@dataclass(slots=True, kw_only=True)
class PortalSession:
    """One browser's state: anonymous until ``login`` is set."""

    session_id: str
    last_seen: datetime
    login: VerifiedLogin | WebEidLogin | None = None
    logged_in_at: datetime | None = None
    previous_login_at: datetime | None = None


class SessionStore:
    """Sessions in memory, dropped after ``idle`` without a request; thread-safe, bounded."""

    def __init__(
        self, *, idle: timedelta, clock: Clock, capacity: int = DEFAULT_SESSION_CAPACITY
    ) -> None:
        self._idle = idle
        self._clock = clock
        self._capacity = capacity
        self._sessions: OrderedDict[str, PortalSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session_id: str | None) -> PortalSession | None:
        """The live session with this id, touched; None when unknown or idle too long."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_seen > self._idle:
                del self._sessions[session_id]
                return None
            session.last_seen = now
            self._sessions.move_to_end(session_id)
            return session

    def create(self) -> PortalSession:
        """A new anonymous session; the least recently used one goes when the store is full."""
        session = PortalSession(
            session_id=secrets.token_urlsafe(_ID_BYTES), last_seen=self._clock()
        )
        with self._lock:
            while len(self._sessions) >= self._capacity:
                self._sessions.popitem(last=False)
            self._sessions[session.session_id] = session
        return session

    def renew(self, session: PortalSession) -> PortalSession:
        """The same state under a fresh id; the old id stops working."""
        with self._lock:
            self._sessions.pop(session.session_id, None)
            session.session_id = secrets.token_urlsafe(_ID_BYTES)
            session.last_seen = self._clock()
            self._sessions[session.session_id] = session
        return session

    def drop(self, session_id: str) -> None:
        """Forget a session (logout)."""
        with self._lock:
            self._sessions.pop(session_id, None)
