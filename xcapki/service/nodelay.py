"""TCP_NODELAY on every connection uvicorn accepts, however its listening socket was made.

asyncio turns Nagle's algorithm off on an accepted connection only when the
listening socket was created naming ``IPPROTO_TCP``, as ``loop.create_server``
does from a host and port. ``uvicorn --workers`` (and ``--fd``, and a socket
handed in made with ``socket.socket(AF_INET, SOCK_STREAM)``) binds without
naming it, so a response written in two parts (headers, then body) waits for
the client's delayed ACK: about 40 ms per request on Linux. Serve with
``uvicorn --workers N --http xcapki.service.nodelay:NoDelayHttpProtocol``.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from xcapki.service.connections import set_nodelay

__all__ = ["NoDelayHttpProtocol"]


class NoDelayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP protocol, with TCP_NODELAY set on each connection it gets."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
