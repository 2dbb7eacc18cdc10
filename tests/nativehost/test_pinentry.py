"""The Assuan pinentry client against the test pinentry program (a real Assuan peer)."""

from __future__ import annotations

from pathlib import Path

import pytest
from host_helpers import Dialogs

from xcapki.nativehost.errors import PinentryError, UserCancelledError, UserTimeoutError
from xcapki.nativehost.pinentry import PinDialog, Pinentry, find_pinentry

DIALOG = PinDialog(
    title="xcapki: card PIN",
    description="https://portal.example.tw asks to log in.\nCard: XCA (serial 42) — 100% yours",
    error="The card refused the PIN.",
)


@pytest.fixture(autouse=True)
def _script(dialogs: Dialogs, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XCAPKI_TEST_PINENTRY", str(dialogs.script))


def test_get_pin_returns_the_pin_hidden(dialogs: Dialogs) -> None:
    dialogs.answer({"pin": "12%34\n56"})
    pin = Pinentry(dialogs.program).get_pin(DIALOG)
    assert pin.reveal() == "12%34\n56"
    assert "12" not in repr(pin)


def test_the_dialog_texts_arrive_unchanged(dialogs: Dialogs) -> None:
    dialogs.answer({"pin": "123456"})
    Pinentry(dialogs.program, timeout=45).get_pin(DIALOG)
    asked = dict(dialogs.asked())
    assert asked["SETTITLE"] == DIALOG.title
    assert asked["SETDESC"] == DIALOG.description
    assert asked["SETERROR"] == DIALOG.error
    assert asked["SETPROMPT"] == "PIN:"
    assert asked["SETTIMEOUT"] == "45"
    assert [name for name, _ in dialogs.asked()][-2:] == ["GETPIN", "BYE"]


def test_confirm(dialogs: Dialogs) -> None:
    dialogs.answer({"confirm": True}, {"cancel": True})
    Pinentry(dialogs.program).confirm(DIALOG)
    with pytest.raises(UserCancelledError):
        Pinentry(dialogs.program).confirm(DIALOG)


def test_cancel_and_timeout(dialogs: Dialogs) -> None:
    dialogs.answer({"cancel": True}, {"timeout": True})
    with pytest.raises(UserCancelledError):
        Pinentry(dialogs.program).get_pin(DIALOG)
    with pytest.raises(UserTimeoutError):
        Pinentry(dialogs.program).get_pin(DIALOG)


def test_a_missing_program(tmp_path: Path) -> None:
    with pytest.raises(PinentryError):
        Pinentry(tmp_path / "no-such-pinentry").get_pin(DIALOG)


def test_a_program_that_says_nothing() -> None:
    with pytest.raises(PinentryError):
        Pinentry(Path("/bin/true")).get_pin(DIALOG)


def test_find_pinentry_prefers_the_environment(tmp_path: Path) -> None:
    chosen = tmp_path / "my-pinentry"
    assert find_pinentry({"XCAPKI_PINENTRY": str(chosen)}) == chosen
