"""A HiPKI page and ``xcapki serve`` for the browser journeys (a module name of its own).

The page (pages/hipki_login.html) is written as HiPKI portal pages behave and is
served unchanged but for the service's port, from its own loopback origin. The
service runs as a real ``xcapki serve`` process on one SoftHSM2 virtual card, with
an empty trust list, logging to a file the tests read.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
from xcapki.testing.ports import unused_port

PAGES = Path(__file__).resolve().parent / "pages"
HIPKI_PORT = "61161"


@dataclass(frozen=True)
class HipkiDesk:
    """The page's URL, the service's, its log and trust file, and the card it serves."""

    page_url: str
    service_url: str
    log: Path
    trust_file: Path
    card: VirtualCard

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@contextlib.contextmanager
def page_server(
    directory: Path, host: str = "127.0.0.1", *, tls: tuple[Path, Path] | None = None
) -> Iterator[str]:
    """Serve ``directory`` on a free port, over HTTPS with ``tls`` (certificate, key), else
    plain HTTP; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer((host, 0), handler)
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{'https' if tls else 'http'}://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def rewritten_pages(target: Path, service_port: int) -> Path:
    """The pages with only the service's port changed, as a user would deploy them."""
    target.mkdir(parents=True, exist_ok=True)
    for page in PAGES.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        (target / page.name).write_text(text.replace(HIPKI_PORT, str(service_port)), "utf-8")
    return target


@contextlib.contextmanager
def xcapki_serve(
    test_pki: TestPki, spec: CardSpec, root: Path, pin: str, *extra: str
) -> Iterator[tuple[str, Path, Path, VirtualCard]]:
    """``xcapki serve`` on a fresh SoftHSM2 store holding one card; yields its URL, log,
    trust file and card."""
    conf = softhsm_config(root / "softhsm")
    card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=pin)
    config_home = root / "config"
    (config_home / "xcapki").mkdir(parents=True)
    trust_file = config_home / "xcapki" / "trusted-origins.json"
    port = unused_port()
    environment = {
        **os.environ,
        "SOFTHSM2_CONF": str(conf),
        "XDG_CONFIG_HOME": str(config_home),
        "LANG": "C.UTF-8",
    }
    log = root / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "xcapki", "serve", "--port", str(port),
             "--module", str(card.module_path), *extra],
            env=environment, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://localhost:{port}"
        try:
            _wait_for(f"{url}/", process)
            yield url, log, trust_file, card
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xcapki serve exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"xcapki serve did not answer on {url}")
