"""ASGI apps served by uvicorn in background threads, on sockets bound before they start.

Binding first means the port is known (and free) before the app is built,
which the local service needs: it checks every request's Host against its
own port. Each server runs its own event loop in its thread; ``stop`` asks
it to finish its requests and waits for it.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Final

import uvicorn
from starlette.types import ASGIApp

from xcapki.demo.errors import DemoSetupError

__all__ = ["LOOPBACK", "BackgroundServer", "bind_loopback"]

LOOPBACK: Final = "127.0.0.1"
_START_TIMEOUT: Final = 15.0


def bind_loopback(port: int, *, what: str, option: str) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port). It names ``IPPROTO_TCP``,
    so asyncio sets TCP_NODELAY on the connections it accepts (xcapki/service/nodelay.py)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((LOOPBACK, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise DemoSetupError(
                f"port {port} for {what} is taken by another program (xcapki doctor names it): "
                f"stop it, or pass {option} with another port ({option} 0 picks a free one)"
            ) from None
        raise DemoSetupError(f"cannot listen on {LOOPBACK}:{port} for {what}: {exc}") from None
    return listener


class BackgroundServer:
    """One uvicorn server in a daemon thread; a context manager that stops it on exit.

    ``tls`` (certificate file, key file) serves https: Web eID pages need it.
    """

    def __init__(
        self,
        app: ASGIApp,
        listener: socket.socket,
        *,
        name: str,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        self.name = name
        self.port: int = listener.getsockname()[1]
        self._listener = listener
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            server_header=False,
            proxy_headers=False,
            lifespan="on",
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [listener]}, name=name, daemon=True
        )

    def start(self) -> BackgroundServer:
        """Start serving and wait until the server accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise DemoSetupError(
                    f"the {self.name} did not start on port {self.port}: run again with --debug"
                )
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """Finish open requests, run the app's shutdown, and close the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=_START_TIMEOUT)
        self._listener.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
