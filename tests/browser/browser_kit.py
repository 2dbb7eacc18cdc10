"""What the browser tests share besides fixtures: Chromium's path and flags, the PIN, screenshots.

Kept out of conftest.py so test modules import it by a name of its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PIN = "123456"
_SERVICE_START = 30.0

XCA_FIRM = CardSpec(
    authority=Authority.XCA,
    organisation_name="測試聯合會計師事務所",
    unified_business_number="12345678",
    organisation_oid="2.16.886.101.90001.1",
)


def screenshot(page: Any, name: str) -> Path:
    """Save what the page shows now under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@dataclasses.dataclass(frozen=True)
class Portal:
    """The example portal served over https on loopback (``portal`` fixture)."""

    origin: str
    port: int


@dataclasses.dataclass(frozen=True)
class CardDesk:
    """A local service with one card (or none) and a portal that sends its users there."""

    portal_url: str
    service_url: str


def wait_for_service(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _SERVICE_START
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xcapki serve exited with {process.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"xcapki serve did not answer on {url}")
