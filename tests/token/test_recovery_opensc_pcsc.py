"""A card pulled and reinserted under a PKCS#11 module that sits on PC/SC.

The module is OpenSC's, the reader pcscd's vpcd virtual reader, and the card the
project's vpcd card emulator running a minimal PIV application (``piv_applet``),
which OpenSC recognises. Pulling the card is the emulator leaving the reader;
reinserting it is a fresh power-up (the PIN is no longer verified). The token
layer must report the pulled card, list it as absent, and sign again once it is
back by logging in afresh with the PIN it was given, with no new login call. A
card pulled while no session uses it must not make the token layer re-initialise
the module: the reader is still listed, and the module reports the card's return.
The token layer runs in a process of its own so OpenSC's PC/SC context ends
with the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from piv_applet import PivApplet

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, KeyAlgorithm, TestPki
from xcapki.testing.pcscd import PcscdSite, pcscd_missing_reason
from xcapki.testing.pki import IssuedCard
from xcapki.testing.virtual_reader import EmulatedCard

pytestmark = [pytest.mark.pcscd, pytest.mark.pkcs11tool]

DRIVER = Path(__file__).with_name("recovery_driver.py")
OPENSC_MODULES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
)
PIN = "123456"


@pytest.fixture
def opensc_module() -> str:
    found = next((path for path in OPENSC_MODULES if os.path.exists(path)), None)
    if found is None:
        pytest.skip("OpenSC's PKCS#11 module is missing (Debian: apt-get install opensc)")
    return found


@pytest.fixture
def piv_card(test_pki: TestPki) -> IssuedCard:
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="讀卡機測試",
        key_algorithm=KeyAlgorithm.EC_P256,
        card_serial="0000000000000017",
    )
    return test_pki.issue_card(spec)


class _Reader:
    """The vpcd reader with the PIV card: ``insert`` is a power-up of a fresh card
    application (nothing verified), ``pull`` takes the card out."""

    def __init__(self, site: PcscdSite, card: IssuedCard) -> None:
        key = card.signing.private_key
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        self._make = lambda: PivApplet(key, card.signing.certificate, PIN)
        self._applet = self._make()
        self.emulator = EmulatedCard(site.vpcd_port, responder=self._respond)

    def _respond(self, apdu: bytes) -> bytes:
        return self._applet.respond(apdu)

    def insert(self) -> None:
        self._applet = self._make()
        self.emulator.insert()

    def pull(self) -> None:
        self.emulator.remove()


@pytest.fixture
def reader_with_card(pcsc_site: PcscdSite, piv_card: IssuedCard) -> Iterator[_Reader]:
    """A private pcscd with the vpcd reader, the PIV card inserted."""
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    daemon = pcsc_site.daemon()
    daemon.start()
    reader = _Reader(pcsc_site, piv_card)
    reader.insert()
    assert reader.emulator.wait_seen(10), "pcscd never saw the card"
    try:
        yield reader
    finally:
        reader.emulator.close()
        daemon.stop()


class _Driver:
    def __init__(self, module: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(DRIVER), module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )

    def ask(self, op: str, **fields: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.process.stdout.readline())
        return reply

    def until(self, op: str, done: Any, **fields: str) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while not done(reply := self.ask(op, **fields)):
            assert time.monotonic() < deadline, f"{op} never came to pass: {reply}"
            time.sleep(0.1)
        return reply

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def _assert_signed(reply: dict[str, Any], card: IssuedCard) -> None:
    assert reply["ok"], reply
    public = card.signing.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(bytes.fromhex(reply["signature"]), b"payload", ec.ECDSA(hashes.SHA256()))


def test_card_pulled_and_reinserted_under_opensc(
    opensc_module: str, reader_with_card: _Reader, piv_card: IssuedCard
) -> None:
    driver = _Driver(opensc_module)
    try:
        tokens = driver.until("tokens", lambda reply: len(reply["tokens"]) == 1)["tokens"]
        (serial,) = tokens

        # Unused, pulled and put back: the reader stays listed, so the module is left alone.
        reader_with_card.pull()
        driver.until("tokens", lambda reply: reply["tokens"] == {})
        reader_with_card.insert()
        driver.until("tokens", lambda reply: set(reply["tokens"]) == {serial})
        assert driver.ask("recoveries")["recoveries"] == 0

        assert driver.ask("login", serial=serial, pin=PIN)["ok"]
        _assert_signed(driver.ask("sign", serial=serial), piv_card)

        reader_with_card.pull()
        refused = driver.ask("sign", serial=serial)  # before or after pcscd noticed
        assert refused["ok"] is False
        assert refused["error"] in ("TokenRemovedError", "DeviceError")
        driver.until("tokens", lambda reply: reply["tokens"] == {})
        assert not driver.ask("sign", serial=serial)["ok"]

        reader_with_card.insert()  # a fresh power-up: the PIN must be verified again
        signed = driver.until("sign", lambda reply: reply["ok"], serial=serial)
        _assert_signed(signed, piv_card)
        assert set(driver.ask("tokens")["tokens"]) == {serial}
    finally:
        driver.close()
