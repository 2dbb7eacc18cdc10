"""Login challenges: what the portal asks the card to sign, and how it is remembered.

The bytes the card signs are never taken from the browser. The server
derives them (``login_message``) from the challenge it stored and the origin
it is configured with, so a page on another site that relays the challenge
gets a signature this portal refuses. The browser session is bound by a
SHA-256 of its id: the store never holds a usable session id.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from xcapki._origin import OriginError, parse_origin
from xcapki.crypto.defaults import Clock, system_clock
from xcapki.login.errors import LoginConfigurationError

__all__ = [
    "CHALLENGE_ID_PATTERN",
    "DEFAULT_CHALLENGE_TTL",
    "MESSAGE_HEADER",
    "MIN_NONCE_BYTES",
    "STORE_GRACE",
    "Challenge",
    "ChallengeRecord",
    "Clock",
    "compose_message",
    "login_message",
    "normalise_origin",
    "session_digest",
    "system_clock",
]

DEFAULT_CHALLENGE_TTL: Final = timedelta(minutes=5)
MIN_NONCE_BYTES: Final = 32
STORE_GRACE: Final = timedelta(minutes=1)
"""How long a store keeps a challenge past its expiry, so a late answer is told
"expired" rather than "unknown"; the verifier still refuses it."""
MESSAGE_HEADER: Final = "xcapki login challenge v1"
CHALLENGE_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ID_BYTES: Final = 18
_SESSION_DOMAIN: Final = b"xcapki login session v1\x00"


def normalise_origin(origin: str) -> str:
    """The serialised web origin ``scheme://host[:port]`` (lower case, default port dropped).

    Raises ``LoginConfigurationError`` for anything that is not an http(s)
    origin without path, query, fragment or credentials.
    """
    try:
        return parse_origin(origin).serialised()
    except OriginError as exc:
        raise LoginConfigurationError(f"the origin {origin!r} {exc}") from None


def session_digest(session_id: str) -> bytes:
    """The SHA-256 that binds a challenge to a browser session without storing the id."""
    if not isinstance(session_id, str) or not session_id:
        raise LoginConfigurationError(
            "the browser session id must be a non-empty string; give every browser a "
            "session (a random, HttpOnly cookie) before issuing a challenge"
        )
    # surrogatepass: a server may hand over a raw cookie decoded with surrogateescape;
    # the encoding stays one-to-one, and valid text hashes exactly as before.
    return hashlib.sha256(_SESSION_DOMAIN + session_id.encode("utf-8", "surrogatepass")).digest()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """What the portal sends the browser: id, random nonce, origin and lifetime.

    Times are whole seconds in UTC. ``message`` is the exact text the card
    signs; the server derives it again on its own when verifying.
    """

    challenge_id: str
    nonce: bytes
    origin: str
    issued_at: datetime
    expires_at: datetime

    @classmethod
    def new(cls, *, origin: str, now: datetime, ttl: timedelta) -> Challenge:
        """A fresh challenge with a random id and ``MIN_NONCE_BYTES`` random bytes."""
        issued = now.astimezone(UTC).replace(microsecond=0)
        return cls(
            challenge_id=_b64url(secrets.token_bytes(_ID_BYTES)),
            nonce=secrets.token_bytes(MIN_NONCE_BYTES),
            origin=normalise_origin(origin),
            issued_at=issued,
            expires_at=issued + ttl,
        )

    @property
    def message(self) -> bytes:
        """The bytes to sign: ``login_message`` of this challenge under its own origin."""
        return login_message(self, self.origin)

    def to_json(self) -> str:
        """The JSON a portal sends its login page (see docs/login.md)."""
        return json.dumps(
            {
                "challenge_id": self.challenge_id,
                "nonce": _b64url(self.nonce),
                "origin": self.origin,
                "issued_at": _timestamp(self.issued_at),
                "expires_at": _timestamp(self.expires_at),
                "message": self.message.decode("ascii"),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> Challenge:
        """Read what ``to_json`` wrote (the client side of the protocol)."""
        try:
            data = json.loads(text)
            challenge = cls(
                challenge_id=str(data["challenge_id"]),
                nonce=_unb64url(str(data["nonce"])),
                origin=normalise_origin(str(data["origin"])),
                issued_at=_parse_time(str(data["issued_at"])),
                expires_at=_parse_time(str(data["expires_at"])),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise LoginConfigurationError(
                f"the challenge JSON is not what Challenge.to_json writes ({exc}); "
                "pass the portal's challenge unchanged"
            ) from exc
        if CHALLENGE_ID_PATTERN.fullmatch(challenge.challenge_id) is None:
            raise LoginConfigurationError("the challenge id is not a challenge id this SDK makes")
        return challenge


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def login_message(challenge: Challenge, origin: str) -> bytes:
    """The canonical bytes a card signs for ``challenge`` at ``origin``.

    ASCII lines joined by LF, no trailing newline::

        xcapki login challenge v1
        origin: https://portal.example.tw
        challenge: <id>
        nonce: <nonce, base64url without padding>
        issued: 2025-06-01T08:00:00Z
        expires: 2025-06-01T08:05:00Z
    """
    return compose_message(challenge, normalise_origin(origin))


def compose_message(challenge: Challenge, normalised_origin: str) -> bytes:
    """``login_message`` for an origin already passed through ``normalise_origin``."""
    lines = (
        MESSAGE_HEADER,
        f"origin: {normalised_origin}",
        f"challenge: {challenge.challenge_id}",
        f"nonce: {_b64url(challenge.nonce)}",
        f"issued: {_timestamp(challenge.issued_at)}",
        f"expires: {_timestamp(challenge.expires_at)}",
    )
    return "\n".join(lines).encode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChallengeRecord:
    """What a store keeps: the challenge and the digest of the session it belongs to."""

    challenge: Challenge
    session_digest: bytes

    def belongs_to(self, session_id: str) -> bool:
        """Whether ``session_id`` is the session the challenge was issued to (constant time).

        A missing or empty session id belongs to no session.
        """
        if not isinstance(session_id, str) or not session_id:
            return False
        return hmac.compare_digest(self.session_digest, session_digest(session_id))

    def to_bytes(self) -> bytes:
        """A compact JSON encoding for external stores."""
        challenge = self.challenge
        return json.dumps(
            {
                "id": challenge.challenge_id,
                "nonce": _b64url(challenge.nonce),
                "origin": challenge.origin,
                "issued": int(challenge.issued_at.timestamp()),
                "expires": int(challenge.expires_at.timestamp()),
                "session": _b64url(self.session_digest),
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> ChallengeRecord:
        """Read what ``to_bytes`` wrote; ``ValueError`` when it is not such a record."""
        try:
            fields = json.loads(data)
            return cls(
                challenge=Challenge(
                    challenge_id=str(fields["id"]),
                    nonce=_unb64url(str(fields["nonce"])),
                    origin=str(fields["origin"]),
                    issued_at=datetime.fromtimestamp(int(fields["issued"]), UTC),
                    expires_at=datetime.fromtimestamp(int(fields["expires"]), UTC),
                ),
                session_digest=_unb64url(str(fields["session"])),
            )
        except (KeyError, TypeError, OverflowError, OSError, RecursionError) as exc:
            raise ValueError(f"not a challenge record: {type(exc).__name__}: {exc}") from exc
