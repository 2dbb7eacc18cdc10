"""Connection hygiene: timeouts, a connection cap that favours the newcomer, per-client fairness.

uvicorn has a keep-alive timeout and a concurrency limit (used, see
``xcapki.service.runner``), but no timeout for a request's head and a
concurrency limit that answers 503 to everyone once idle connections fill it:
a stuck or hostile local program holding hundreds of connections that send
one byte a second would shut the browser out. So:

- ``GuardedProtocol`` wraps uvicorn's own HTTP protocol (handed to uvicorn
  through its documented ``http=`` setting) and registers every connection in
  the ``ConnectionRegistry``;
- the registry closes a connection whose request head has not reached the
  application ``header_timeout_seconds`` after it opened (or after its
  previous answer), and at ``max_connections`` makes room for a new connection
  by closing the one idle longest (no request in progress), refusing the new
  one only when every connection is busy;
- ``ClientGate`` (ASGI middleware, outermost) tells the registry when a request
  arrives, runs and ends, bounds the query string, and lets at most
  ``max_requests_per_client`` requests per client run at once. A client is
  what the service's ``client_of`` makes of the Origin header: the trust entry
  admitting it, so a site cannot multiply its share with ports, subdomains or
  spellings; every origin no entry admits is one client together, so a page
  cannot either by minting origins. Requests past that wait their client's
  turn, and their connections count as idle: a program flooding the service
  makes room for the browser out of its own queue.

The body's timeout is applied where the body is read (``xcapki.service.http``).
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from xcapki.service.errors import HipkiCode
from xcapki.service.http import refusal_response
from xcapki.service.limits import ServiceLimits

__all__ = ["ACCEPT_BACKLOG", "ClientGate", "ConnectionRegistry", "guarded_protocol", "set_nodelay"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]
Peer = tuple[str, int]

ACCEPT_BACKLOG = 32
"""The listening socket's backlog. asyncio accepts up to this many connections at once, and
may accept another batch before the connections closed to make room are gone, so the
descriptor budget leaves room for three batches."""

_DESCRIPTOR_RESERVE = 64
"""File descriptors kept for the module, the token files, logs and the listening socket."""


def _descriptor_budget() -> int | None:
    """How many connections the process's file-descriptor limit leaves room for."""
    if sys.platform == "win32":
        return None
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return None
    return max(8, soft - _DESCRIPTOR_RESERVE - 3 * ACCEPT_BACKLOG)


class _Connection:
    __slots__ = ("busy", "timer", "transport")

    def __init__(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.busy = 0
        self.timer: asyncio.TimerHandle | None = None


class ConnectionRegistry:
    """The server's open connections, idle longest first, and their header timers."""

    def __init__(self, limits: ServiceLimits) -> None:
        self.limits = limits
        budget = _descriptor_budget()
        self.max_connections = (
            limits.max_connections if budget is None else min(limits.max_connections, budget)
        )
        self._open: dict[Peer, _Connection] = {}
        self.evicted = 0
        """Idle connections closed to make room for a new one (for diagnostics and tests)."""

    def __len__(self) -> int:
        return len(self._open)

    def admit(self, peer: Peer, transport: asyncio.BaseTransport) -> bool:
        """Register a new connection, closing the longest-idle one at the cap; False when
        every connection is busy with a request (the new one is then refused)."""
        if len(self._open) >= self.max_connections:
            victim = next((p for p, c in self._open.items() if not c.busy), None)
            if victim is None:
                return False
            self._close(victim)
            self.evicted += 1
        connection = self._open[peer] = _Connection(transport)
        self._arm(peer, connection)
        return True

    def forget(self, peer: Peer) -> None:
        """The connection closed."""
        connection = self._open.pop(peer, None)
        if connection is not None and connection.timer is not None:
            connection.timer.cancel()

    def request_arrived(self, peer: Peer) -> bool:
        """A request's head reached the application: the header timer stops. False when the
        connection is not one the registry admitted (an in-process test client)."""
        connection = self._open.get(peer)
        if connection is None:
            return False
        if connection.timer is not None:
            connection.timer.cancel()
            connection.timer = None
        return True

    def request_running(self, peer: Peer) -> bool:
        """The request got its turn: its connection is busy, no longer one to close for
        room. False when the connection was closed meanwhile."""
        connection = self._open.get(peer)
        if connection is None:
            return False
        connection.busy += 1
        return True

    def request_finished(self, peer: Peer, *, ran: bool) -> None:
        """The answer was sent (``ran``: after the request ran): the connection is the most
        recently active, waiting for the next request's head."""
        connection = self._open.pop(peer, None)
        if connection is not None:
            self._open[peer] = connection
            if ran:
                connection.busy -= 1
            if not connection.busy:
                self._arm(peer, connection)

    def _arm(self, peer: Peer, connection: _Connection) -> None:
        loop = asyncio.get_running_loop()
        connection.timer = loop.call_later(
            self.limits.header_timeout_seconds, self._close_if_idle, peer
        )

    def _close_if_idle(self, peer: Peer) -> None:
        connection = self._open.get(peer)
        if connection is not None and not connection.busy:
            self._close(peer)

    def _close(self, peer: Peer) -> None:
        connection = self._open.pop(peer)
        if connection.timer is not None:
            connection.timer.cancel()
        connection.transport.close()


def _peer_of(transport: asyncio.BaseTransport) -> Peer | None:
    info = transport.get_extra_info("peername")
    if isinstance(info, list | tuple) and len(info) >= 2:
        return (str(info[0]), int(info[1]))
    return None


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on ``transport``'s TCP socket (no-op for other sockets):
    a response written in two parts must not wait for the client's delayed ACK."""
    connection = transport.get_extra_info("socket")
    if connection is None or connection.family not in (socket.AF_INET, socket.AF_INET6):
        return
    connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def guarded_protocol(registry: ConnectionRegistry) -> type[asyncio.Protocol]:
    """An HTTP protocol class for uvicorn's ``http=`` setting: uvicorn's own (httptools,
    else h11) with every connection admitted through ``registry`` and TCP_NODELAY set."""
    inner_class: type[Any]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        inner_class = HttpToolsProtocol
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        inner_class = H11Protocol

    class GuardedProtocol(asyncio.Protocol):
        """uvicorn's HTTP protocol behind the registry's admission and header timeout."""

        def __init__(self, **server: Any) -> None:
            self._inner = inner_class(**server)
            self._peer: Peer | None = None
            self._admitted = False

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self._peer = _peer_of(transport)
            if self._peer is not None and not registry.admit(self._peer, transport):
                transport.close()
                return
            self._admitted = True
            set_nodelay(transport)
            self._inner.connection_made(transport)

        def connection_lost(self, exc: Exception | None) -> None:
            if self._peer is not None:
                registry.forget(self._peer)
            if self._admitted:
                self._inner.connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._admitted:
                self._inner.data_received(data)

        def eof_received(self) -> None:
            if self._admitted:
                self._inner.eof_received()

        def pause_writing(self) -> None:
            self._inner.pause_writing()

        def resume_writing(self) -> None:
            self._inner.resume_writing()

    return GuardedProtocol


class _Turns:
    """One client's requests: how many run, and a semaphore the rest wait on."""

    __slots__ = ("semaphore", "users")

    def __init__(self, size: int) -> None:
        self.semaphore = asyncio.Semaphore(size)
        self.users = 0


class ClientGate:
    """ASGI middleware: tells the registry about requests, bounds the query string, and runs
    at most ``max_requests_per_client`` requests per client at once (the rest wait).
    ``client_of`` maps an Origin header (lowercased, at most 256 bytes, empty when
    absent) to the client whose turns the request takes."""

    def __init__(
        self,
        app: App,
        *,
        registry: ConnectionRegistry,
        version: str,
        client_of: Callable[[bytes], bytes],
    ) -> None:
        self._app = app
        self._client_of = client_of
        self._registry = registry
        self._limits = registry.limits
        self._version = version
        self._turns: dict[bytes, _Turns] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        limits = self._limits
        query: bytes = scope.get("query_string", b"")
        client = scope.get("client")
        peer: Peer | None = (str(client[0]), int(client[1])) if client else None
        tracked = peer if peer is not None and self._registry.request_arrived(peer) else None
        ran = False
        try:
            if len(query) > limits.max_field_chars or query.count(b"&") >= limits.max_fields:
                response = refusal_response(
                    scope["path"],
                    self._version,
                    HipkiCode.BAD_REQUEST,
                    400,
                    f"the query string is longer than {limits.max_field_chars} characters or"
                    f" has more than {limits.max_fields} fields: send less",
                )
                await response(scope, receive, send)
                return
            origin = next((v for k, v in scope["headers"] if k == b"origin"), b"")[:256].lower()
            holder = self._client_of(origin)
            turns = self._turns.get(holder)
            if turns is None:
                turns = self._turns[holder] = _Turns(limits.max_requests_per_client)
            turns.users += 1
            try:
                async with turns.semaphore:
                    if tracked is not None and not self._registry.request_running(tracked):
                        return  # closed to make room while it waited: nobody to answer
                    ran = True
                    await self._app(scope, receive, send)
            finally:
                turns.users -= 1
                if not turns.users:
                    del self._turns[holder]
        finally:
            if tracked is not None:
                self._registry.request_finished(tracked, ran=ran)
