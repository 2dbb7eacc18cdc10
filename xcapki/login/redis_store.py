"""A challenge store in Redis, for a portal served by several machines.

One challenge is one key (``key_prefix`` + id), so it lives in one hash
slot of a Redis Cluster, and ``put`` and ``take`` are each one Lua script,
so they are atomic on a single server, on a Cluster shard and on a
Sentinel-managed primary alike. Redis itself forgets a challenge when its
retention ends (``PX``); ``take`` deletes as it reads (``GETDEL``), so of
two servers answering the same challenge exactly one gets it.

Single use through crashes and failovers rests on an epoch tag. Redis
replicates and persists asynchronously, so a take acknowledged by a
primary can be undone: by a failover to a replica the take had not
reached, or by a restart from a snapshot older than the take. Both change
the server's identity, and a restarted primary or a promoted replica
always has a new ``run_id`` or a new ``master_replid``. ``put`` stores each
record behind a tag derived from both, read by the script inside Redis;
``take`` deletes the record and hands it out only if the tag still matches
the server now answering. A challenge issued before a restart or failover
is refused (the user signs again), so one that was taken can never be
taken again, whatever the persistence settings. Every Redis failure
becomes a ``ChallengeStoreError``: nothing is admitted without the store.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Final, TypeVar

from xcapki.login.challenge import CHALLENGE_ID_PATTERN, ChallengeRecord
from xcapki.login.errors import ChallengeStoreError, LoginConfigurationError

if TYPE_CHECKING:
    import redis
    from redis.cluster import RedisCluster
    from redis.commands.core import Script
    from redis.retry import Retry

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DEFAULT_REDIS_TIMEOUT",
    "PersistencePolicy",
    "RedisChallengeStore",
    "RedisPersistence",
]

DEFAULT_KEY_PREFIX: Final = "xcapki:login:challenge:"
DEFAULT_REDIS_TIMEOUT: Final = timedelta(seconds=2)
"""How long one Redis round trip may take before the login fails closed."""

_RETRIES: Final = 3
"""Connection-level retries (with backoff) while a failover moves the primary."""

_log = logging.getLogger(__name__)

_T = TypeVar("_T")

_EPOCH_LUA: Final = """
local function epoch()
  local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
  local replid = string.match(redis.call('INFO', 'replication'), 'master_replid:(%x+)')
  if not run_id or not replid then
    return nil
  end
  return redis.sha1hex(run_id .. ':' .. replid)
end
"""
_NO_EPOCH: Final = "XCAPKI_NO_EPOCH"

_PUT_LUA: Final = (
    _EPOCH_LUA
    + """
local tag = epoch()
if not tag then
  return redis.error_reply('"""
    + _NO_EPOCH
    + """ INFO lacks run_id or master_replid')
end
if redis.call('SET', KEYS[1], tag .. ARGV[1], 'PX', ARGV[2], 'NX') then
  return 1
end
return 0
"""
)
"""Store tag + record unless the key exists."""

_TAKEN: Final = 1
_FENCED: Final = 0
_FOREIGN: Final = 2
_TAKE_LUA: Final = (
    _EPOCH_LUA
    + """
local tag = epoch()
if not tag then
  return redis.error_reply('"""
    + _NO_EPOCH
    + """ INFO lacks run_id or master_replid')
end
local value = redis.call('GETDEL', KEYS[1])
if not value then
  return false
end
local head = string.sub(value, 1, 40)
if #value <= 40 or string.find(head, '[^0-9a-f]') then
  return {2, value}
end
if head ~= tag then
  return {0, ''}
end
return {1, string.sub(value, 41)}
"""
)
"""Delete and return the record; hand it out only when its tag is this server's epoch."""


class PersistencePolicy(enum.Enum):
    """What the store does at start when Redis would lose its recent writes in a crash.

    Single use does not depend on persistence (the epoch tag refuses every
    challenge issued before a restart); a portal whose rules ask for a
    second, independent line of defence requires an append-only file.
    """

    ACCEPT = "accept"
    """No check: single use rests on the epoch tag alone."""
    WARN = "warn"
    """Check, and log a warning naming each server that would lose writes."""
    REFUSE = "refuse"
    """Check, and raise ``LoginConfigurationError`` unless every server is durable."""


class RedisPersistence(enum.Enum):
    """How much a Redis server loses when its process or its machine crashes."""

    AOF_ALWAYS = "aof-always"
    """Every write is on disk before Redis answers: nothing acknowledged is lost."""
    AOF_EVERYSEC = "aof-everysec"
    """Written to the OS before Redis answers: a process crash loses nothing, a power
    loss up to about two seconds of writes."""
    AOF_NO_FSYNC = "aof-no"
    """The OS flushes when it likes: a power loss can lose tens of seconds."""
    SNAPSHOT_ONLY = "snapshot-only"
    """RDB only: a crash loses everything since the last snapshot."""
    NONE = "none"
    """Nothing on disk: a crash loses everything."""

    @property
    def durable(self) -> bool:
        """Whether an acknowledged write survives a crash of the Redis process."""
        return self in (RedisPersistence.AOF_ALWAYS, RedisPersistence.AOF_EVERYSEC)


class RedisChallengeStore:
    """Challenges in Redis under ``key_prefix`` + id, single-use, expired by Redis TTL.

    Pass a configured client of redis-py: ``redis.Redis`` (one server, or a
    Sentinel's ``master_for``) or ``redis.cluster.RedisCluster``. The client
    must return bytes (``decode_responses=False``). The class methods
    ``from_url``, ``for_cluster`` and ``for_sentinel`` build one with
    timeouts and failover retries set. ``persistence`` decides what happens
    when a server would lose writes in a crash (see ``PersistencePolicy``).
    """

    __slots__ = ("_client", "_prefix", "_put_script", "_take_script")

    def __init__(
        self,
        client: redis.Redis | RedisCluster,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        persistence: PersistencePolicy = PersistencePolicy.ACCEPT,
    ) -> None:
        if not key_prefix:
            raise LoginConfigurationError("the Redis key prefix must not be empty")
        if "{" in key_prefix or "}" in key_prefix:
            raise LoginConfigurationError(
                "the Redis key prefix must not contain braces: a hash tag would put every "
                "challenge in one Cluster slot"
            )
        self._client = client
        self._prefix = key_prefix
        self._put_script: Script = client.register_script(_PUT_LUA)
        self._take_script: Script = client.register_script(_TAKE_LUA)
        if persistence is not PersistencePolicy.ACCEPT:
            self._enforce(persistence)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout: timedelta = DEFAULT_REDIS_TIMEOUT,
        persistence: PersistencePolicy = PersistencePolicy.ACCEPT,
    ) -> RedisChallengeStore:
        """A store on one Redis server (``redis://host:port/db``, ``rediss://``, ``unix://``)."""
        _require_redis()
        import redis

        seconds = _seconds(timeout)
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=seconds,
                socket_connect_timeout=seconds,
                retry=_retry(),
                retry_on_error=[redis.ConnectionError, redis.TimeoutError],
            )
        except ValueError as exc:
            raise LoginConfigurationError(f"the Redis URL is not usable ({exc})") from exc
        return cls(client, key_prefix=key_prefix, persistence=persistence)

    @classmethod
    def for_cluster(
        cls,
        nodes: Sequence[tuple[str, int]],
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout: timedelta = DEFAULT_REDIS_TIMEOUT,
        persistence: PersistencePolicy = PersistencePolicy.ACCEPT,
    ) -> RedisChallengeStore:
        """A store on a Redis Cluster reached through any of ``nodes`` (host, port)."""
        _require_redis()
        from redis.cluster import ClusterNode, RedisCluster

        if not nodes:
            raise LoginConfigurationError("name at least one Redis Cluster node (host, port)")
        seconds = _seconds(timeout)
        client = cls._connect(
            "reach the Redis Cluster",
            lambda: RedisCluster(
                startup_nodes=[
                    ClusterNode(host, port)  # type: ignore[no-untyped-call]
                    for host, port in nodes
                ],
                socket_timeout=seconds,
                socket_connect_timeout=seconds,
                retry=_retry(),
            ),
        )
        return cls(client, key_prefix=key_prefix, persistence=persistence)

    @classmethod
    def for_sentinel(
        cls,
        sentinels: Sequence[tuple[str, int]],
        service_name: str,
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        timeout: timedelta = DEFAULT_REDIS_TIMEOUT,
        persistence: PersistencePolicy = PersistencePolicy.ACCEPT,
    ) -> RedisChallengeStore:
        """A store on the primary that ``sentinels`` name for ``service_name``.

        After a failover the client asks the sentinels for the new primary;
        a client still talking to the old one is told READONLY and reconnects.
        """
        _require_redis()
        import redis
        from redis.sentinel import Sentinel

        if not sentinels:
            raise LoginConfigurationError("name at least one Redis Sentinel (host, port)")
        seconds = _seconds(timeout)
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            list(sentinels),
            sentinel_kwargs={
                "socket_timeout": seconds,
                "socket_connect_timeout": seconds,
                "retry": _retry(retries=0),
            },
            socket_timeout=seconds,
            socket_connect_timeout=seconds,
        )
        client: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
            service_name,
            retry=_retry(),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )
        return cls(client, key_prefix=key_prefix, persistence=persistence)

    def put(self, record: ChallengeRecord, *, retain_for: timedelta) -> None:
        """Store ``record`` behind the server's epoch tag; Redis deletes it after ``retain_for``."""
        milliseconds = int(retain_for.total_seconds() * 1000)
        if milliseconds < 1:
            raise LoginConfigurationError("a challenge must be retained for at least 1 ms")
        key = self._prefix + record.challenge.challenge_id
        stored = self._call(
            "store a challenge",
            lambda: self._put_script(keys=[key], args=[record.to_bytes(), milliseconds]),
        )
        if stored != 1:
            raise ChallengeStoreError(
                "Redis already holds a challenge with this id; two issuers share a key "
                "prefix and collided, which random ids make practically impossible: check "
                "that nothing else writes under the prefix"
            )

    def take(self, challenge_id: str) -> ChallengeRecord | None:
        """Delete and return the record: at most one caller ever receives it.

        None when absent, past retention, or issued before Redis restarted or
        failed over (it may have been taken already; the user signs again).
        """
        if CHALLENGE_ID_PATTERN.fullmatch(challenge_id) is None:
            return None
        key = self._prefix + challenge_id
        answer = self._call("take a challenge", lambda: self._take_script(keys=[key]))
        if answer is None:
            return None
        status, value = _take_answer(answer)
        if status == _FENCED:
            _log.warning(
                "challenge %s was issued before Redis restarted or failed over; refused, "
                "because its use may have been lost with the old server",
                challenge_id,
            )
            return None
        if status == _TAKEN:
            try:
                return ChallengeRecord.from_bytes(value)
            except ValueError as exc:
                reason = str(exc)
        else:
            reason = "no epoch tag"
        raise ChallengeStoreError(
            f"the value under {key!r} is not a challenge record ({reason}); something else "
            "writes under the store's key prefix"
        )

    def persistence(self) -> dict[str, RedisPersistence]:
        """How each primary server persists, by its address (``host:port``)."""
        return self._call("read the persistence settings", self._read_persistence)

    def close(self) -> None:
        """Close the client's connections."""
        self._client.close()

    def _enforce(self, policy: PersistencePolicy) -> None:
        try:
            found = self.persistence()
        except ChallengeStoreError as exc:
            if policy is PersistencePolicy.REFUSE:
                raise LoginConfigurationError(
                    f"cannot confirm that Redis persists every write ({exc}); allow CONFIG GET "
                    "for the store's user, or choose PersistencePolicy.WARN or ACCEPT"
                ) from exc
            _log.warning("cannot read Redis persistence settings: %s", exc)
            return
        weak = {address: kind for address, kind in found.items() if not kind.durable}
        if not weak:
            return
        listed = ", ".join(f"{address} ({kind.value})" for address, kind in sorted(weak.items()))
        message = (
            f"Redis would lose acknowledged writes in a crash on {listed}; set appendonly yes "
            "with appendfsync everysec or always"
        )
        if policy is PersistencePolicy.REFUSE:
            raise LoginConfigurationError(message)
        _log.warning("%s (single use still holds through the epoch tag)", message)

    def _read_persistence(self) -> dict[str, RedisPersistence]:
        from redis.cluster import RedisCluster

        client = self._client
        if isinstance(client, RedisCluster):
            return {
                node.name: _classify(
                    client.config_get("append*", target_nodes=node),
                    client.config_get("save", target_nodes=node),
                )
                for node in client.get_primaries()  # type: ignore[no-untyped-call]
            }
        kwargs = client.get_connection_kwargs()
        address = f"{kwargs['host']}:{kwargs['port']}" if "host" in kwargs else "primary"
        return {address: _classify(client.config_get("append*"), client.config_get("save"))}

    @staticmethod
    def _connect(what: str, connect: Callable[[], _T]) -> _T:
        from redis.exceptions import RedisClusterException, RedisError

        try:
            return connect()
        except (RedisError, RedisClusterException) as exc:
            raise ChallengeStoreError(
                f"cannot {what} ({type(exc).__name__}: {exc}); check that the servers are "
                "running and reachable"
            ) from exc

    def _call(self, what: str, operation: Callable[[], _T]) -> _T:
        import redis
        from redis.exceptions import RedisClusterException

        try:
            return operation()
        except redis.ResponseError as exc:
            if _NO_EPOCH in str(exc):
                raise ChallengeStoreError(
                    f"Redis cannot {what} with the single-use guarantee: its INFO does not "
                    "show run_id and master_replid to scripts; use Redis 6.2 or newer "
                    "without a proxy that rewrites INFO"
                ) from exc
            raise ChallengeStoreError(
                f"Redis refused to {what} ({exc}); the store needs Redis 6.2 or newer with "
                "Lua scripting"
            ) from exc
        except (redis.RedisError, RedisClusterException) as exc:
            raise ChallengeStoreError(
                f"cannot {what} in Redis ({type(exc).__name__}: {exc}); check that the "
                "Redis server is running and reachable"
            ) from exc


def _take_answer(answer: object) -> tuple[int, bytes]:
    if (
        isinstance(answer, list)
        and len(answer) == 2
        and isinstance(answer[0], int)
        and isinstance(answer[1], bytes)
    ):
        return answer[0], answer[1]
    raise ChallengeStoreError(
        "the Redis client returned text or an unexpected shape, not bytes; create it with "
        "decode_responses=False"
    )


def _classify(*answers: object) -> RedisPersistence:
    """The persistence that CONFIG GET answers (appendonly, appendfsync, save) describe."""
    text = {
        _text(key): _text(value)
        for answer in answers
        if isinstance(answer, dict)
        for key, value in answer.items()
    }
    if text.get("appendonly") == "yes":
        return {
            "always": RedisPersistence.AOF_ALWAYS,
            "everysec": RedisPersistence.AOF_EVERYSEC,
        }.get(text.get("appendfsync", ""), RedisPersistence.AOF_NO_FSYNC)
    if text.get("save", "").strip():
        return RedisPersistence.SNAPSHOT_ONLY
    return RedisPersistence.NONE


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _require_redis() -> None:
    try:
        import redis  # noqa: F401
    except ImportError as exc:
        raise LoginConfigurationError(
            "the Redis challenge store needs the redis package: pip install 'xcapki[redis]'"
        ) from exc


def _seconds(timeout: timedelta) -> float:
    seconds = timeout.total_seconds()
    if seconds <= 0:
        raise LoginConfigurationError("the Redis timeout must be positive")
    return seconds


def _retry(retries: int = _RETRIES) -> Retry:
    """Backoff from 50 ms doubling to 500 ms; a sentinel query is not retried (the
    primary's client retries, asking every sentinel again)."""
    from redis.backoff import ExponentialBackoff
    from redis.retry import Retry

    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries)
