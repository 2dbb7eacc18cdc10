"""Private redis-server topologies on loopback: one server, a Cluster, a Sentinel group.

Every process runs from its own directory with its own configuration file
on free loopback ports, and is stopped (SIGTERM) or killed (SIGKILL) by its
PID, never by name. The Cluster is three primaries with one replica each;
the Sentinel group is one primary, two replicas and three sentinels. Short
failure-detection times make a failover take about a second.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final, Self

from xcapki.testing.errors import TestingError, ToolMissingError
from xcapki.testing.ports import unused_port

if TYPE_CHECKING:
    import redis

__all__ = [
    "LOOPBACK_HOST",
    "LocalRedisCluster",
    "LocalRedisSentinel",
    "LocalRedisServer",
    "RedisTopologyError",
    "cut_replication",
    "redis_server_missing_reason",
    "restore_replication",
]

LOOPBACK_HOST: Final = "127.0.0.1"
SENTINEL_SERVICE: Final = "xcapki"
_START_TIMEOUT: Final = 20.0
_NODE_TIMEOUT_MS: Final = 1000


class RedisTopologyError(TestingError):
    """A local Redis server, Cluster or Sentinel group did not start or did not settle."""


def redis_server_missing_reason() -> str | None:
    """Why these topologies cannot run here, or ``None`` if they can."""
    if _binary() is None:
        return "redis-server is not installed (Debian package redis-server)"
    try:
        import redis  # noqa: F401
    except ImportError:
        return "the redis Python package is missing: pip install 'xcapki[redis]'"
    return None


def _binary() -> str | None:
    return shutil.which("redis-server") or shutil.which("redis-server", path="/usr/bin:/usr/sbin")


def _wait_until(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if condition():
                return
        if time.monotonic() > deadline:
            raise RedisTopologyError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.05)


class LocalRedisServer:
    """One redis-server process on ``port``, with its data and log in ``directory``.

    ``settings`` are extra configuration lines (``appendonly yes`` ...).
    ``kill`` ends it with SIGKILL, as a crash would; ``start`` again reuses
    the same directory, so Redis reloads whatever it had persisted.
    """

    def __init__(
        self, directory: Path, *, port: int | None = None, settings: Sequence[str] = ()
    ) -> None:
        self.directory = directory
        self.port = port if port is not None else unused_port()
        self.settings = tuple(settings)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        return (LOOPBACK_HOST, self.port)

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK_HOST}:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def client(self, **options: object) -> redis.Redis:
        """A new client of this server (bytes answers, 2 s timeouts)."""
        import redis

        return redis.Redis(
            host=LOOPBACK_HOST,
            port=self.port,
            socket_timeout=2,
            socket_connect_timeout=2,
            **options,  # type: ignore[arg-type]
        )

    def start(self, *, sentinel: bool = False) -> None:
        """Start the process (a sentinel with ``sentinel=True``) and wait until it answers."""
        if self.running:
            return
        binary = _binary()
        if binary is None:
            raise ToolMissingError("redis-server", "redis-server")
        self.directory.mkdir(parents=True, exist_ok=True)
        config = self.directory / "redis.conf"
        if not config.exists():
            lines = [
                f"port {self.port}",
                f"bind {LOOPBACK_HOST}",
                "protected-mode no",
                f"dir {self.directory}",
                "logfile redis.log",
                *self.settings,
            ]
            config.write_text("\n".join(lines) + "\n")
        command = [binary, str(config), *(["--sentinel"] if sentinel else [])]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = self.client()
        try:
            _wait_until(f"redis-server on port {self.port} answering", client.ping, _START_TIMEOUT)
        except RedisTopologyError:
            self.kill()
            raise
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL the process by its PID: nothing gets flushed, as in a crash."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM the process by its PID (SIGKILL if it lingers)."""
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


_BOGUS_PRIMARY_PASSWORD: Final = "xcapki-test-replication-cut"  # noqa: S105 (no such password exists)


def cut_replication(primary: LocalRedisServer, replicas: Sequence[LocalRedisServer]) -> None:
    """Stop ``replicas`` receiving ``primary``'s writes until ``restore_replication``.

    Each replica is given a password the primary does not have and its link
    is dropped, so it cannot resynchronise: writes from now on exist on the
    primary only, as when a primary fails before replicating them.
    """
    for replica in replicas:
        with replica.client() as client:
            client.config_set("masterauth", _BOGUS_PRIMARY_PASSWORD)
    with primary.client() as client:
        client.execute_command("CLIENT", "KILL", "TYPE", "replica")

    def unlinked() -> bool:
        for replica in replicas:
            with replica.client() as client:
                if client.info("replication").get("master_link_status") == "up":
                    return False
        return True

    _wait_until("the replicas losing their link", unlinked, _START_TIMEOUT)


def restore_replication(replicas: Sequence[LocalRedisServer]) -> None:
    """Let ``replicas`` link to their primary again (undo ``cut_replication``)."""
    for replica in replicas:
        if replica.running:
            with replica.client() as client:
                client.config_set("masterauth", "")


class _Topology:
    """Start-in-order, stop-everything-by-PID, usable as a context manager."""

    def __init__(self) -> None:
        self.servers: list[LocalRedisServer] = []

    def close(self) -> None:
        """Stop every process of the topology by its PID."""
        for server in reversed(self.servers):
            server.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class LocalRedisCluster(_Topology):
    """A Redis Cluster of three primaries and three replicas on loopback.

    ``nodes`` are the addresses to give a cluster client. ``failover``
    promotes a primary's replica with ``CLUSTER FAILOVER`` (or ``FORCE``);
    ``kill_primary`` SIGKILLs a primary so its replica takes over on its own.
    """

    def __init__(self, directory: Path, *, settings: Sequence[str] = ()) -> None:
        super().__init__()
        for index in range(6):
            bus = unused_port()
            self.servers.append(
                LocalRedisServer(
                    directory / f"node{index}",
                    settings=[
                        "cluster-enabled yes",
                        f"cluster-port {bus}",
                        "cluster-config-file nodes.conf",
                        f"cluster-node-timeout {_NODE_TIMEOUT_MS}",
                        "cluster-replica-validity-factor 0",
                        'save ""',
                        "appendonly no",
                        *settings,
                    ],
                )
            )

    @property
    def nodes(self) -> list[tuple[str, int]]:
        return [server.address for server in self.servers]

    def start(self) -> None:
        """Start the six nodes, join them into a cluster and wait until it is healthy."""
        try:
            for server in self.servers:
                server.start()
            cli = shutil.which("redis-cli")
            if cli is None:
                raise ToolMissingError("redis-cli", "redis-tools")
            addresses = [f"{host}:{port}" for host, port in self.nodes]
            created = subprocess.run(
                [cli, "--cluster", "create", *addresses, "--cluster-replicas", "1"],
                input="yes\n",
                capture_output=True,
                text=True,
                check=False,
                timeout=60,
            )
            if created.returncode != 0:
                raise RedisTopologyError(f"redis-cli --cluster create failed: {created.stdout}")
            self.wait_healthy()
        except BaseException:
            self.close()
            raise

    def wait_healthy(self, timeout: float = _START_TIMEOUT) -> None:
        """Wait until every running node says ``cluster_state:ok`` and 3 primaries have replicas."""

        def healthy() -> bool:
            for server in self.servers:
                if not server.running:
                    continue
                with server.client() as client:
                    if b"cluster_state:ok" not in client.execute_command("CLUSTER", "INFO"):
                        return False
            return len(self.primaries()) == 3 and all(
                self.replica_of(primary) is not None for primary in self.primaries()
            )

        _wait_until("the Redis Cluster settling", healthy, timeout)

    def _roles(self) -> dict[int, tuple[str, int | None]]:
        """Each running node's role and, for replicas, its primary's port (from ROLE)."""
        roles: dict[int, tuple[str, int | None]] = {}
        for server in self.servers:
            if not server.running:
                continue
            with server.client() as client:
                role = client.execute_command("ROLE")
            kind = role[0].decode()
            roles[server.port] = (kind, int(role[2]) if kind == "slave" else None)
        return roles

    def primaries(self) -> list[LocalRedisServer]:
        """The running nodes that are primaries now."""
        roles = self._roles()
        return [s for s in self.servers if roles.get(s.port, ("", None))[0] == "master"]

    def replica_of(self, primary: LocalRedisServer) -> LocalRedisServer | None:
        """A running, in-sync replica of ``primary``, if any."""
        roles = self._roles()
        for server in self.servers:
            if roles.get(server.port) == ("slave", primary.port):
                with server.client() as client:
                    info = client.info("replication")
                if info.get("master_link_status") == "up":
                    return server
        return None

    def failover(self, primary: LocalRedisServer, *, force: bool = False) -> LocalRedisServer:
        """Promote ``primary``'s replica with CLUSTER FAILOVER and wait until it is primary."""
        replica = self.replica_of(primary)
        if replica is None:
            raise RedisTopologyError(f"node {primary.port} has no in-sync replica to promote")
        with replica.client() as client:
            client.execute_command("CLUSTER", "FAILOVER", *(["FORCE"] if force else []))
        _wait_until(
            f"node {replica.port} becoming primary",
            lambda: replica in self.primaries(),
            _START_TIMEOUT,
        )
        return replica

    def kill_primary(self, primary: LocalRedisServer) -> None:
        """SIGKILL ``primary`` by its PID; its replica is promoted after the node timeout."""
        primary.kill()


class LocalRedisSentinel(_Topology):
    """One primary, two replicas and three sentinels watching ``SENTINEL_SERVICE``.

    ``sentinels`` are the addresses to give a Sentinel client. ``failover``
    asks a sentinel for ``SENTINEL FAILOVER``; ``kill_primary`` SIGKILLs
    the primary so the sentinels agree it is down and promote a replica.
    """

    service_name = SENTINEL_SERVICE

    def __init__(self, directory: Path, *, settings: Sequence[str] = ()) -> None:
        super().__init__()
        base = ['save ""', "appendonly no", *settings]
        primary = LocalRedisServer(directory / "data0", settings=base)
        self.data = [primary] + [
            LocalRedisServer(
                directory / f"data{index}",
                settings=[*base, f"replicaof {LOOPBACK_HOST} {primary.port}"],
            )
            for index in (1, 2)
        ]
        self.sentinel_servers = [
            LocalRedisServer(
                directory / f"sentinel{index}",
                settings=[
                    f"sentinel monitor {SENTINEL_SERVICE} {LOOPBACK_HOST} {primary.port} 2",
                    f"sentinel down-after-milliseconds {SENTINEL_SERVICE} {_NODE_TIMEOUT_MS}",
                    f"sentinel failover-timeout {SENTINEL_SERVICE} 10000",
                    f"sentinel parallel-syncs {SENTINEL_SERVICE} 2",
                ],
            )
            for index in range(3)
        ]
        self.servers = [*self.data, *self.sentinel_servers]

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [server.address for server in self.sentinel_servers]

    def start(self) -> None:
        """Start the data nodes, then the sentinels, and wait until all see each other."""
        try:
            for server in self.data:
                server.start()
            for server in self.sentinel_servers:
                server.start(sentinel=True)
            self.wait_healthy()
        except BaseException:
            self.close()
            raise

    def primary_port(self) -> int:
        """The primary's port, as the first sentinel that answers reports it."""
        for server in self.sentinel_servers:
            if not server.running:
                continue
            with contextlib.suppress(Exception), server.client() as client:
                answer = client.sentinel_get_master_addr_by_name(SENTINEL_SERVICE)
                return int(answer[1])
        raise RedisTopologyError("no sentinel answers with the primary's address")

    def primary(self) -> LocalRedisServer:
        """The data node the sentinels name as primary."""
        port = self.primary_port()
        return next(server for server in self.data if server.port == port)

    def wait_healthy(self, timeout: float = _START_TIMEOUT) -> None:
        """Wait until every sentinel names the same primary, which serves two linked replicas."""

        def healthy() -> bool:
            ports = set()
            for server in self.sentinel_servers:
                with server.client() as client:
                    state = client.sentinel_master(SENTINEL_SERVICE)
                if state["num-other-sentinels"] != 2 or state["num-slaves"] < 2:
                    return False
                if state["is_sdown"] or state["is_odown"]:
                    return False
                ports.add(int(state["port"]))
            if len(ports) != 1:
                return False
            primary = next(s for s in self.data if s.port in ports)
            with primary.client() as client:
                info = client.info("replication")
            linked = [
                value
                for key, value in info.items()
                if key.startswith("slave") and isinstance(value, dict)
            ]
            return (
                info["role"] == "master"
                and len(linked) == 2
                and all(v.get("state") == "online" for v in linked)
            )

        _wait_until("the Sentinel group settling", healthy, timeout)

    def failover(self) -> int:
        """SENTINEL FAILOVER: wait until another data node is primary; its port."""
        before = self.primary_port()
        with self.sentinel_servers[0].client() as client:
            client.execute_command("SENTINEL", "FAILOVER", SENTINEL_SERVICE)
        _wait_until("the Sentinel failover", lambda: self.primary_port() != before, _START_TIMEOUT)
        return self.primary_port()

    def replicas(self) -> list[LocalRedisServer]:
        """The running data nodes other than the primary."""
        port = self.primary_port()
        return [server for server in self.data if server.port != port and server.running]

    def kill_primary(self) -> LocalRedisServer:
        """SIGKILL the primary by its PID; the sentinels promote a replica."""
        primary = self.primary()
        primary.kill()
        return primary
