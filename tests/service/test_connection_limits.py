"""Connection hygiene: slow, idle and greedy connections cannot shut the browser out.

The flood test runs ``xcapki serve`` in its own process with a file-descriptor
limit of 256, as a desktop session's limit would be hit by a program holding
more connections than that, and keeps 400 connections trickling one byte a
second at it; a page's requests must still be answered. The other tests serve
the same uvicorn configuration in a thread with small limits.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from service_helpers import TRUSTED, sign_form, sign_package

from xcapki.service import HipkiCode, ServiceConfig, ServiceLimits
from xcapki.service.runner import uvicorn_config
from xcapki.testing import StandardCards, VirtualCard
from xcapki.testing.ports import unused_port

pytestmark = pytest.mark.softhsm

_HEAD = b"POST /sign HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n"


def _wait_for(url: str, deadline: float, process: subprocess.Popen[bytes] | None = None) -> None:
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            assert process is None or process.poll() is None, "the service exited"
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.1)


@pytest.fixture
def limited_service(
    softhsm_cards: StandardCards, tmp_path: Path
) -> Iterator[tuple[str, VirtualCard]]:
    """``xcapki serve`` on the standard cards, in a process allowed 256 open files."""
    trust = tmp_path / "config" / "xcapki" / "trusted-origins.json"
    trust.parent.mkdir(parents=True)
    trust.write_text(json.dumps({"origins": [TRUSTED.removeprefix("https://")]}))
    card = softhsm_cards.xca
    port = unused_port()

    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    command = [sys.executable, "-m", "xcapki", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--module", str(card.module_path)],
        env={**os.environ, **card.environment, "XDG_CONFIG_HOME": str(tmp_path / "config")},
        stderr=subprocess.DEVNULL,
        preexec_fn=limit_files,
    )
    base = f"http://localhost:{port}"
    try:
        _wait_for(base + "/", time.monotonic() + 20, process)
        yield base, card
    finally:
        process.terminate()
        process.wait(timeout=20)


async def _trickle(port: int, stop: asyncio.Event, closed: list[int]) -> None:
    """One stuck program's connection: a byte of a request head a second, reconnecting when
    the service closes it."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.5)
            continue
        try:
            for byte in _HEAD:
                writer.write(bytes((byte,)))
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=1.0) == b"":
                        break
                except TimeoutError:
                    pass
                if stop.is_set():
                    break
            closed.append(1)
        except OSError:
            closed.append(1)
        finally:
            writer.close()


def _page_signs(base: str, card: VirtualCard, tbs: str) -> None:
    form = sign_form(sign_package(card, tbs, signatureType="PKCS1"))
    response = httpx.post(base + "/sign", data=form, headers={"Origin": TRUSTED}, timeout=5)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["ret_code"] == 0, answer
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    signature = base64.b64decode(answer["signature"])
    public.verify(signature, tbs.encode(), padding.PKCS1v15(), hashes.SHA256())


def test_hundreds_of_slow_connections_do_not_shut_out_a_page(
    limited_service: tuple[str, VirtualCard],
) -> None:
    base, card = limited_service
    port = int(base.rsplit(":", 1)[1])
    stop = asyncio.Event()
    closed: list[int] = []

    async def flood_then_sign() -> None:
        flood = [asyncio.create_task(_trickle(port, stop, closed)) for _ in range(400)]
        await asyncio.sleep(3)  # the flood is in place: every connection holds a descriptor
        try:
            for attempt in range(3):
                await asyncio.to_thread(_page_signs, base, card, f"page request {attempt}")
                info = await asyncio.to_thread(
                    httpx.get, base + "/pkcs11info", headers={"Origin": TRUSTED}, timeout=5
                )
                assert card.serial in info.text
        finally:
            stop.set()
            await asyncio.gather(*flood)

    asyncio.run(flood_then_sign())
    assert closed, "the service closed none of the stuck connections"


@pytest.fixture
def small_limits_service(
    softhsm_cards: StandardCards, tmp_path: Path
) -> Iterator[tuple[str, ServiceConfig]]:
    """The service's uvicorn configuration in a thread, with small limits to reach."""
    config = _small_limits(softhsm_cards, tmp_path, [TRUSTED], timeout=0.5)
    with _serving(config) as base:
        yield base, config


def _small_limits(
    cards: StandardCards, tmp_path: Path, trusted: list[str], *, timeout: float
) -> ServiceConfig:
    """16 connections, 4 requests per client, ``timeout`` for heads and bodies."""
    trust = tmp_path / "trusted-origins.json"
    trust.write_text(json.dumps({"origins": [site.removeprefix("https://") for site in trusted]}))
    return ServiceConfig(
        port=unused_port(),
        module_path=cards.xca.module_path,
        trust_list_path=trust,
        limits=ServiceLimits(
            header_timeout_seconds=timeout,
            body_timeout_seconds=timeout,
            max_connections=16,
            max_requests_per_client=4,
        ),
    )


@contextlib.contextmanager
def _serving(config: ServiceConfig) -> Iterator[str]:
    """The service's uvicorn configuration in a thread; its base URL."""
    server = uvicorn.Server(uvicorn_config(config, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://localhost:{config.port}"
    try:
        _wait_for(base + "/", time.monotonic() + 20)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def _connect(base: str) -> socket.socket:
    port = int(base.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def test_a_request_head_that_never_ends_is_cut_off(
    small_limits_service: tuple[str, ServiceConfig],
) -> None:
    base, _config = small_limits_service
    with _connect(base) as connection:
        connection.sendall(b"GET /pkcs11info HTTP/1.1\r\nHost: local")
        assert connection.recv(1024) == b""  # closed by the service, no answer
    with _connect(base) as idle:  # a connection that never sends a byte is closed too
        assert idle.recv(1024) == b""


def test_a_body_that_never_arrives_is_refused_with_a_protocol_error(
    small_limits_service: tuple[str, ServiceConfig],
) -> None:
    base, config = small_limits_service
    with _connect(base) as connection:
        connection.sendall(
            f"POST /sign HTTP/1.1\r\nHost: localhost:{config.port}\r\nOrigin: {TRUSTED}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
            "tbsPackage".encode()
        )
        reply = b""
        while b"}" not in reply:
            chunk = connection.recv(4096)
            assert chunk, f"closed without an answer: {reply!r}"
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    answer = json.loads(body)
    assert (answer["func"], answer["ret_code"]) == ("sign", HipkiCode.BAD_REQUEST)


def test_one_client_filling_every_connection_leaves_room_for_the_browser(
    small_limits_service: tuple[str, ServiceConfig], softhsm_cards: StandardCards
) -> None:
    """A program (no Origin) fills all 16 connections with requests whose bodies trickle;
    only 4 run at once, the others wait their turn and count as idle, so the page's
    connection is admitted and answered."""
    base, config = small_limits_service
    greedy = config.limits.max_connections
    held = []
    try:
        for _ in range(greedy):
            connection = _connect(base)
            connection.sendall(
                f"POST /pkcs11info HTTP/1.1\r\nHost: localhost:{config.port}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n"
                "\r\nx".encode()
            )
            held.append(connection)
        time.sleep(0.2)  # the program's requests have reached the service
        _page_signs(base, softhsm_cards.xca, "the browser still gets in")
    finally:
        for connection in held:
            connection.close()


OTHER_SITE = "https://other.example.gov.tw"


def _hold_busy(base: str, port: int, origins: list[str]) -> list[socket.socket]:
    """One connection per origin, each with a request whose body trickles."""
    held = []
    for origin in origins:
        connection = _connect(base)
        connection.sendall(
            f"POST /pkcs11info HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: {origin}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n"
            "\r\nx".encode()
        )
        held.append(connection)
    time.sleep(0.2)  # the requests have reached the service
    return held


def test_many_untrusted_origins_are_one_client(
    small_limits_service: tuple[str, ServiceConfig], softhsm_cards: StandardCards
) -> None:
    """A page minting an origin per connection (subdomains) gets no more turns than one."""
    base, config = small_limits_service
    origins = [f"https://x{n}.evil.example.com" for n in range(config.limits.max_connections)]
    held = _hold_busy(base, config.port, origins)
    try:
        _page_signs(base, softhsm_cards.xca, "minted origins share one queue")
    finally:
        for connection in held:
            connection.close()


def test_many_origins_of_one_trusted_entry_are_one_client(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    """Every port of a trusted host is one client: it cannot crowd out another trusted site."""
    config = _small_limits(softhsm_cards, tmp_path, [TRUSTED, OTHER_SITE], timeout=2.0)
    with _serving(config) as base:
        ports = range(8443, 8443 + config.limits.max_connections)
        held = _hold_busy(base, config.port, [f"{TRUSTED}:{p}" for p in ports])
        try:
            response = httpx.post(
                base + "/pkcs11info", data={}, headers={"Origin": OTHER_SITE}, timeout=1.5
            )
            assert response.status_code == 200, response.text
            assert response.json()["ret_code"] == 0
        finally:
            for connection in held:
                connection.close()
