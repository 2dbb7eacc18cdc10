"""TCP_NODELAY on accepted connections, read on the server's side of each connection.

The app below looks its own connection up among the process's file
descriptors (the socket whose peer is the request's client) and answers
with that socket's TCP_NODELAY option, so the figure comes from the kernel,
not from the code under test. Multi-worker uvicorn runs as its own process
tree, stopped by its PID.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from xcapki.demo.servers import BackgroundServer, bind_loopback
from xcapki.testing.ports import unused_port

INSPECTOR = """
import os
import socket


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    client = tuple(scope["client"])
    port = scope["server"][1]
    state = b"not found"
    for name in os.listdir("/proc/self/fd"):
        try:
            candidate = socket.fromfd(int(name), socket.AF_INET, socket.SOCK_STREAM)
        except (OSError, ValueError):
            continue
        with candidate:
            try:
                if candidate.getpeername() == client and candidate.getsockname()[1] == port:
                    value = candidate.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                    state = b"on" if value else b"off"
            except OSError:
                pass
    headers = [(b"content-length", str(len(state)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": state})
"""


def _states(port: int, count: int) -> set[str]:
    """What the server saw on ``count`` fresh connections."""
    seen = set()
    for _ in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", "/")
            seen.add(connection.getresponse().read().decode())
        finally:
            connection.close()
    return seen


@pytest.fixture
def inspector_dir(tmp_path: Path) -> Path:
    (tmp_path / "inspector.py").write_text(INSPECTOR)
    return tmp_path


@contextmanager
def _workers(app_dir: Path, *extra: str) -> Iterator[int]:
    port = unused_port()
    command = [
        sys.executable, "-m", "uvicorn", "inspector:app", "--app-dir", str(app_dir),
        "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
        "--log-level", "warning", *extra,
    ]  # fmt: skip
    process = subprocess.Popen(command)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "uvicorn exited at start"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def test_uvicorn_workers_alone_leave_nagle_on(inspector_dir: Path) -> None:
    """Why the protocol class exists: uvicorn's own socket names no protocol."""
    with _workers(inspector_dir) as port:
        assert _states(port, 6) == {"off"}


def test_uvicorn_workers_with_the_no_delay_protocol(inspector_dir: Path) -> None:
    http_option = ("--http", "xcapki.service.nodelay:NoDelayHttpProtocol")
    with _workers(inspector_dir, *http_option) as port:
        assert _states(port, 6) == {"on"}


def test_the_demo_servers_accept_with_nagle_off(inspector_dir: Path) -> None:
    sys.path.insert(0, str(inspector_dir))
    try:
        import inspector  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(inspector_dir))
    listener = bind_loopback(0, what="the inspector", option="--port")
    with BackgroundServer(inspector.app, listener, name="inspector") as server:
        assert _states(server.port, 3) == {"on"}
