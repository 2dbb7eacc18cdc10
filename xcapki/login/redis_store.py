"""A challenge store in Redis, for a portal served by several machines.

``put`` is ``SET key value PX <ms> NX``: Redis itself forgets the challenge
when its retention ends. ``take`` is ``GETDEL`` (Redis 6.2 or newer), one
atomic command, so of two servers answering the same challenge exactly one
gets it. Every Redis failure becomes a ``ChallengeStoreError``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Final, TypeVar

from xcapki.login.challenge import CHALLENGE_ID_PATTERN, ChallengeRecord
from xcapki.login.errors import ChallengeStoreError, LoginConfigurationError

if TYPE_CHECKING:
    import redis

__all__ = ["DEFAULT_KEY_PREFIX", "RedisChallengeStore"]

DEFAULT_KEY_PREFIX: Final = "xcapki:login:challenge:"

_T = TypeVar("_T")


class RedisChallengeStore:
    """Challenges in Redis under ``key_prefix`` + id, single-use and expired by Redis TTL.

    Build it from a URL (``redis://127.0.0.1:6379/0``) or pass a
    ``redis.Redis`` client that is already configured (TLS, passwords,
    sentinels). The client must return bytes (``decode_responses=False``).
    """

    __slots__ = ("_client", "_prefix")

    def __init__(self, client: redis.Redis, *, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        if not key_prefix:
            raise LoginConfigurationError("the Redis key prefix must not be empty")
        self._client = client
        self._prefix = key_prefix

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout: timedelta = timedelta(seconds=2),
    ) -> RedisChallengeStore:
        """A store on a new client for ``url``; operations time out after ``timeout``."""
        try:
            import redis
        except ImportError as exc:
            raise LoginConfigurationError(
                "the Redis challenge store needs the redis package: pip install 'xcapki[redis]'"
            ) from exc
        seconds = timeout.total_seconds()
        try:
            client = redis.Redis.from_url(
                url, socket_timeout=seconds, socket_connect_timeout=seconds
            )
        except ValueError as exc:
            raise LoginConfigurationError(f"the Redis URL is not usable ({exc})") from exc
        return cls(client, key_prefix=key_prefix)

    def put(self, record: ChallengeRecord, *, retain_for: timedelta) -> None:
        """Store ``record``; Redis deletes it after ``retain_for``."""
        milliseconds = int(retain_for.total_seconds() * 1000)
        if milliseconds < 1:
            raise LoginConfigurationError("a challenge must be retained for at least 1 ms")
        key = self._prefix + record.challenge.challenge_id
        stored = self._call(
            "store a challenge",
            lambda: self._client.set(key, record.to_bytes(), px=milliseconds, nx=True),
        )
        if not stored:
            raise ChallengeStoreError(
                "Redis already holds a challenge with this id; two issuers share a key "
                "prefix and collided, which random ids make practically impossible: check "
                "that nothing else writes under the prefix"
            )

    def take(self, challenge_id: str) -> ChallengeRecord | None:
        """``GETDEL`` the record: at most one caller ever receives it."""
        if CHALLENGE_ID_PATTERN.fullmatch(challenge_id) is None:
            return None
        key = self._prefix + challenge_id
        value = self._call("take a challenge", lambda: self._client.getdel(key))
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise ChallengeStoreError(
                "the Redis client returned text, not bytes; create it with decode_responses=False"
            )
        try:
            return ChallengeRecord.from_bytes(value)
        except ValueError as exc:
            raise ChallengeStoreError(
                f"the value under {key!r} is not a challenge record ({exc}); something else "
                "writes under the store's key prefix"
            ) from exc

    def _call(self, what: str, operation: Callable[[], _T]) -> _T:
        import redis

        try:
            return operation()
        except redis.ResponseError as exc:
            raise ChallengeStoreError(
                f"Redis refused to {what} ({exc}); the store needs Redis 6.2 or newer (GETDEL)"
            ) from exc
        except redis.RedisError as exc:
            raise ChallengeStoreError(
                f"cannot {what} in Redis ({type(exc).__name__}: {exc}); check that the "
                "Redis server is running and reachable"
            ) from exc
