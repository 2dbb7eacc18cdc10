"""Asking the user through pinentry, GnuPG's PIN-entry programs, over the Assuan protocol.

A browser starts the native host without a terminal, and the page must
never see the PIN, so the host asks in a dialog of the desktop's own:
pinentry-gnome3, -qt, -gtk-2, -mac (or any program speaking the same
protocol). One program run per question: the host sends ``SETTITLE``,
``SETDESC``, ``SETPROMPT``, ``SETERROR``, ``SETTIMEOUT`` and ``GETPIN`` (or
``CONFIRM``), reads the answer and says ``BYE``. The PIN comes back as a
``Pin`` and is never logged.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from xcapki.nativehost.errors import PinentryError, UserCancelledError, UserTimeoutError
from xcapki.token import Pin

__all__ = [
    "PINENTRY_ENVIRONMENT_VARIABLE",
    "PinDialog",
    "Pinentry",
    "find_pinentry",
]

PINENTRY_ENVIRONMENT_VARIABLE: Final = "XCAPKI_PINENTRY"
_CANDIDATES: Final = {
    "linux": ("pinentry-gnome3", "pinentry-qt", "pinentry-gtk-2", "pinentry-gtk", "pinentry"),
    "darwin": ("pinentry-mac", "pinentry"),
}
_MAC_PATHS: Final = ("/opt/homebrew/bin/pinentry-mac", "/usr/local/bin/pinentry-mac")
_GPG_ERR_TIMEOUT: Final = 62
_GPG_ERR_CANCELED: Final = 99
_GPG_ERR_FULLY_CANCELED: Final = 198
_GRACE_SECONDS: Final = 5.0
_MAX_LINE: Final = 4096


def find_pinentry(
    environ: Mapping[str, str] | None = None, platform: str | None = None
) -> Path | None:
    """The pinentry program: ``$XCAPKI_PINENTRY``, else the first of the desktop's own found."""
    env = os.environ if environ is None else environ
    chosen = env.get(PINENTRY_ENVIRONMENT_VARIABLE)
    if chosen:
        return Path(chosen)
    system = "darwin" if (platform or sys.platform) == "darwin" else "linux"
    for name in _CANDIDATES[system]:
        found = shutil.which(name)
        if found:
            return Path(found)
    if system == "darwin":
        for path in _MAC_PATHS:
            if Path(path).exists():
                return Path(path)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PinDialog:
    """What one dialog says: every text is shown as given (pinentry renders it)."""

    title: str
    description: str
    prompt: str = "PIN:"
    error: str | None = None
    ok: str | None = None
    cancel: str | None = None


def _escape(text: str) -> str:
    """Assuan's percent-escaping of an argument: %, CR and LF may not appear raw."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _unescape(data: bytes) -> bytes:
    """Undo Assuan's %XX escapes in a data line."""
    out = bytearray()
    index = 0
    while index < len(data):
        if data[index] == ord("%") and index + 3 <= len(data):
            try:
                out.append(int(data[index + 1 : index + 3], 16))
            except ValueError:
                raise PinentryError("the PIN dialog sent a malformed escape") from None
            index += 3
        else:
            out.append(data[index])
            index += 1
    return bytes(out)


class Pinentry:
    """One pinentry program; each question runs it once. ``timeout`` is in seconds."""

    __slots__ = ("_arguments", "_program", "_timeout")

    def __init__(
        self, program: Path, *, timeout: float = 120.0, arguments: Sequence[str] = ()
    ) -> None:
        self._program = program
        self._timeout = timeout
        self._arguments = tuple(arguments)

    def __repr__(self) -> str:
        return f"Pinentry({str(self._program)!r})"

    @property
    def timeout(self) -> float:
        return self._timeout

    def get_pin(self, dialog: PinDialog) -> Pin:
        """The PIN typed in the dialog; ``UserCancelledError`` / ``UserTimeoutError`` otherwise."""
        with _Conversation(self._program, self._arguments, self._timeout) as talk:
            talk.describe(dialog, self._timeout)
            data = talk.ask("GETPIN")
        return Pin(data.decode("utf-8"))

    def confirm(self, dialog: PinDialog) -> None:
        """Return when the user chose OK; raise ``UserCancelledError`` when not."""
        with _Conversation(self._program, self._arguments, self._timeout) as talk:
            talk.describe(dialog, self._timeout)
            talk.ask("CONFIRM")


class _Conversation:
    """One run of the program: the greeting, the settings, one question, BYE."""

    def __init__(self, program: Path, arguments: Sequence[str], timeout: float) -> None:
        try:
            self._process = subprocess.Popen(
                [str(program), *arguments],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as exc:
            raise PinentryError(
                f"the PIN dialog program {program} cannot be started ({exc.strerror}): install"
                f" pinentry (Debian: pinentry-gnome3; macOS: pinentry-mac) or set"
                f" {PINENTRY_ENVIRONMENT_VARIABLE}"
            ) from None
        self._deadline = time.monotonic() + timeout + _GRACE_SECONDS
        self._buffer = b""
        self._selector = selectors.DefaultSelector()
        assert self._process.stdout is not None
        self._selector.register(self._process.stdout, selectors.EVENT_READ)

    def __enter__(self) -> _Conversation:
        self._expect_ok("the greeting")
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(PinentryError):
            self._send("BYE")
        self._selector.close()
        process = self._process
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        try:
            process.wait(timeout=_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def describe(self, dialog: PinDialog, timeout: float) -> None:
        settings = [
            ("SETTITLE", dialog.title),
            ("SETDESC", dialog.description),
            ("SETPROMPT", dialog.prompt),
            ("SETERROR", dialog.error),
            ("SETOK", dialog.ok),
            ("SETCANCEL", dialog.cancel),
            ("SETTIMEOUT", str(max(1, round(timeout)))),
        ]
        for command, value in settings:
            if value is not None:
                self._send(f"{command} {_escape(value)}")
                self._expect_ok(command)

    def ask(self, command: str) -> bytes:
        self._send(command)
        data = bytearray()
        while True:
            line = self._line()
            if line.startswith(b"D "):
                data += _unescape(line[2:])
            elif line == b"OK" or line.startswith(b"OK "):
                return bytes(data)
            elif line.startswith(b"ERR"):
                raise _refusal(line, command)
            elif line.startswith(b"INQUIRE"):
                self._send("CAN")
            # S (status) and # (comment) lines carry nothing the host needs

    def _expect_ok(self, what: str) -> None:
        while True:
            line = self._line()
            if line == b"OK" or line.startswith(b"OK "):
                return
            if line.startswith(b"ERR"):
                raise PinentryError(
                    f"the PIN dialog refused {what}: {line.decode('utf-8', 'replace')[:120]}"
                )

    def _send(self, line: str) -> None:
        stdin = self._process.stdin
        try:
            assert stdin is not None
            stdin.write(line.encode("utf-8") + b"\n")
            stdin.flush()
        except (OSError, ValueError) as exc:
            raise PinentryError(f"the PIN dialog program stopped talking ({exc})") from None

    def _line(self) -> bytes:
        stdout = self._process.stdout
        assert stdout is not None
        while b"\n" not in self._buffer:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                self._process.kill()
                raise UserTimeoutError("nobody answered the PIN dialog in time")
            if not self._selector.select(remaining):
                continue
            chunk = os.read(stdout.fileno(), 4096)
            if not chunk:
                raise PinentryError("the PIN dialog program ended without an answer")
            self._buffer += chunk
            if len(self._buffer) > _MAX_LINE and b"\n" not in self._buffer:
                raise PinentryError("the PIN dialog program sent an over-long line")
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.rstrip(b"\r")


def _refusal(line: bytes, command: str) -> Exception:
    parts = line.split(b" ", 2)
    try:
        code = int(parts[1]) & 0xFFFF
    except (IndexError, ValueError):
        code = -1
    if code in (_GPG_ERR_CANCELED, _GPG_ERR_FULLY_CANCELED):
        return UserCancelledError("the user cancelled the dialog")
    if code == _GPG_ERR_TIMEOUT:
        return UserTimeoutError("nobody answered the dialog before its timeout")
    return PinentryError(
        f"the PIN dialog failed on {command}: {line.decode('utf-8', 'replace')[:120]}"
    )
