"""The final PIN try through the native host, on opencryptoki's soft token, which locks after
3 wrong PINs as cards do (SoftHSM2 never locks).

The host never spends the last try on its own: once the card reports it,
a confirmation dialog naming the last try comes first; Cancel there spends
nothing, and only an explicit "Use the last try" lets the next PIN reach
the card. The dialogs are the test pinentry's; the card's state is read
from the token between steps.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from host_helpers import ORIGIN, PIN, XCA_FIRM, Dialogs, Host
from test_native_host_smartpki import Page

from xcapki.testing import TestPki
from xcapki.testing.errors import TestingError
from xcapki.testing.opencryptoki import (
    OpencryptokiCard,
    opencryptoki_module_path,
    provision_opencryptoki_card,
)
from xcapki.token import PinIncorrectError, PinState, TokenSelector, load_module, login

pytestmark = [pytest.mark.opencryptoki, pytest.mark.pkcs11tool]

WRONG = "000000"
NONCE = "a" * 44


@pytest.fixture
def soft_card(test_pki: TestPki, tmp_path: Path) -> Iterator[OpencryptokiCard]:
    """A freshly re-initialised soft token holding an XCA signing pair (one process at a time:
    the token is system-wide)."""
    if opencryptoki_module_path() is None:
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    issued = test_pki.issue_card(XCA_FIRM)
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            card = provision_opencryptoki_card(
                pin=PIN, signing=(issued.signing.private_key, issued.signing.certificate)
            )
        except TestingError as exc:
            pytest.skip(f"opencryptoki is not usable here: {exc}")
        _store_public_key(card, issued.signing.certificate, tmp_path)
        yield card


def _store_public_key(card: OpencryptokiCard, certificate: Any, directory: Path) -> None:
    """The public key object a HiCOS card carries beside its certificate, by which the pair is
    seen before any PIN (written with OpenSC's pkcs11-tool, as a personalisation tool would)."""
    public = directory / "public-key.der"
    public.write_bytes(
        certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    subprocess.run(
        ["pkcs11-tool", "--module", str(card.module_path), "--slot", str(card.slot), "--login",
         "--pin", card.pin, "--write-object", str(public), "--type", "pubkey",
         "--id", b"SIGN".hex(), "--label", "cert1"],
        capture_output=True, check=True,
    )  # fmt: skip


def _state(card: OpencryptokiCard) -> PinState:
    return load_module(card.module_path).select_token(TokenSelector(label=card.label)).pin_state


def _spend_two_tries(card: OpencryptokiCard) -> None:
    module = load_module(card.module_path)
    for _ in range(2):
        with pytest.raises(PinIncorrectError):
            login(module, TokenSelector(label=card.label), pin=WRONG)
    assert _state(card) is PinState.FINAL_TRY


@pytest.fixture
def host_on(dialogs: Dialogs, tmp_path: Path) -> Iterator[Any]:
    started: list[subprocess.Popen[bytes]] = []

    def start(card: OpencryptokiCard, *options: str) -> Host:
        sites = tmp_path / "sites.json"
        sites.write_text(f'{{"origins": ["{ORIGIN}"]}}')
        process = subprocess.Popen(
            [sys.executable, "-m", "xcapki", "native-host", "--module", str(card.module_path),
             "--pinentry", str(dialogs.program), "--sites", str(sites), *options],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / f"host-{len(started)}.log").open("wb"),
            env={**os.environ, "XCAPKI_TEST_PINENTRY": str(dialogs.script)},
        )  # fmt: skip
        started.append(process)
        host = Host(process)
        assert host.receive()["version"]
        return host

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _authenticate(host: Host) -> Any:
    return host.ask(
        {"command": "authenticate", "arguments": {"challengeNonce": NONCE, "origin": ORIGIN}}
    )


def test_two_wrong_pins_then_a_refused_last_try_spends_nothing(
    soft_card: OpencryptokiCard, host_on: Any, dialogs: Dialogs
) -> None:
    dialogs.answer({"pin": WRONG}, {"pin": WRONG}, {"cancel": True})
    answer = _authenticate(host_on(soft_card))
    assert answer["error"]["code"] == "ERR_WEBEID_USER_CANCELLED", answer
    asked = [command for command, _ in dialogs.asked() if command in ("GETPIN", "CONFIRM")]
    assert asked == ["GETPIN", "GETPIN", "CONFIRM"]
    confirmation = dialogs.texts("SETDESC")[-1]
    assert "ONE PIN try is left" in confirmation
    assert ORIGIN in confirmation
    assert dialogs.texts("SETOK") == ["Use the last try"]
    assert _state(soft_card) is PinState.FINAL_TRY

    dialogs.answer({"confirm": True}, {"pin": PIN})
    token = _authenticate(host_on(soft_card))
    assert token.get("format") == "web-eid:1.0", token
    assert _state(soft_card) is PinState.OK


def test_an_explicit_yes_spends_the_last_try(
    soft_card: OpencryptokiCard, host_on: Any, dialogs: Dialogs
) -> None:
    _spend_two_tries(soft_card)
    dialogs.answer({"confirm": True}, {"pin": WRONG}, {"confirm": True}, {"pin": PIN})
    answer = _authenticate(host_on(soft_card))
    assert answer["error"]["code"] == "ERR_WEBEID_NATIVE_FATAL"
    assert "locked" in answer["error"]["message"]
    assert _state(soft_card) is PinState.LOCKED
    asked = [command for command, _ in dialogs.asked() if command in ("GETPIN", "CONFIRM")]
    assert asked == ["CONFIRM", "GETPIN"]
    assert "ONE" in dialogs.texts("SETDESC")[0]


def test_a_page_pin_never_spends_the_last_try(
    soft_card: OpencryptokiCard, host_on: Any, dialogs: Dialogs
) -> None:
    """SmartPKI's compatible mode uses the page's PIN, which no one confirmed: refused."""
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from xcapki.nativehost.smartpki import SmartPkiCode

    _spend_two_tries(soft_card)
    dialogs.answer()
    page = Page(host_on(soft_card, "--accept-page-pin"))
    assert page.open() == {"type": "opened"}
    key = rsa.RSAPublicNumbers(0x10001, int(page.info()["modulus"], 16)).public_key()
    wrapped = key.encrypt(f"{PIN}_PKI".encode(), padding.PKCS1v15()).hex()
    assert page.command("Initial", soltIndex=-1, driverType=1, style=0x140)["errorCode"] == 0
    assert page.command("LoadContent", content="login:x")["errorCode"] == 0
    message = page.command("Sign", pin=wrapped, signTime=0)
    assert message["errorCode"] == SmartPkiCode.LOGIN_FAILED
    assert "final" in message["errorMessage"].lower() or "last" in message["errorMessage"].lower()
    assert _state(soft_card) is PinState.FINAL_TRY
    assert dialogs.asked() == []
