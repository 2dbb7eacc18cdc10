"""A pinentry program for tests: answers as its script says and records what it was asked.

Run as ``python -m xcapki.testing.pinentry`` with ``XCAPKI_TEST_PINENTRY``
naming a JSON file ``{"answers": [...], "log": "<path>"}``. Each ``GETPIN``
or ``CONFIRM`` takes the first answer off the file's list:
``{"pin": "123456"}``, ``{"confirm": true}``, ``{"cancel": true}`` (the user
pressed Cancel) or ``{"timeout": true}`` (nobody answered before
``SETTIMEOUT``: answered at once, as pinentry does when its timer runs out,
so tests need not wait). With no answer left it cancels. Every command and
its unescaped argument is appended to the log as a JSON line, so a test can
check the dialog named the site, the card, the operation and the tries.
It speaks the Assuan protocol as GnuPG's pinentry programs do.

``ScriptedPinentry`` sets one up in a directory for a test: an executable
that runs it with this Python, the script and the log.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Final, TextIO

__all__ = ["SCRIPT_ENVIRONMENT_VARIABLE", "ScriptedPinentry", "main"]

SCRIPT_ENVIRONMENT_VARIABLE: Final = "XCAPKI_TEST_PINENTRY"
_CANCELLED: Final = "ERR 83886179 Operation cancelled <Pinentry>"
_TIMEOUT: Final = "ERR 83886142 Timeout <Pinentry>"


def _unescape(text: str) -> str:
    out = bytearray()
    data = text.encode("utf-8")
    index = 0
    while index < len(data):
        if data[index] == ord("%") and index + 3 <= len(data):
            out.append(int(data[index + 1 : index + 3], 16))
            index += 3
        else:
            out.append(data[index])
            index += 1
    return out.decode("utf-8")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


class _Script:
    def __init__(self, path: Path) -> None:
        self._path = path

    def _load(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self._path.read_text(encoding="utf-8"))
        return loaded

    def next_answer(self) -> dict[str, Any]:
        script = self._load()
        answers = script.get("answers", [])
        answer: dict[str, Any] = answers.pop(0) if answers else {"cancel": True}
        staged = self._path.with_suffix(".tmp")
        staged.write_text(json.dumps(script), encoding="utf-8")
        os.replace(staged, self._path)
        return answer

    def record(self, command: str, argument: str) -> None:
        log = self._load().get("log")
        if log:
            with Path(log).open("a", encoding="utf-8") as stream:
                stream.write(json.dumps({"command": command, "argument": argument}) + "\n")


def _answer(script: _Script, command: str, out: TextIO) -> None:
    answer = script.next_answer()
    if answer.get("timeout"):
        out.write(_TIMEOUT + "\n")
    elif answer.get("cancel"):
        out.write(_CANCELLED + "\n")
    elif command == "GETPIN" and "pin" in answer:
        out.write(f"D {_escape(str(answer['pin']))}\nOK\n")
    elif command == "CONFIRM" and answer.get("confirm"):
        out.write("OK\n")
    else:
        out.write(_CANCELLED + "\n")


class ScriptedPinentry:
    """The test pinentry in ``directory``: ``program`` to start, ``answer`` to script it,
    ``asked``/``texts`` to read what it was sent. Set ``SCRIPT_ENVIRONMENT_VARIABLE`` to
    ``script`` in the environment of whatever starts ``program``."""

    def __init__(self, directory: Path) -> None:
        self.program = directory / "pinentry-test"
        self.program.write_text(
            f'#!/bin/sh\nexec "{sys.executable}" -m xcapki.testing.pinentry "$@"\n'
        )
        self.program.chmod(0o755)
        self.script = directory / "pinentry.json"
        self.log = directory / "pinentry.log"
        self.answer()

    def answer(self, *answers: dict[str, Any]) -> None:
        """Script the next questions' answers, in order, and clear the log."""
        self.script.write_text(json.dumps({"answers": list(answers), "log": str(self.log)}))
        self.log.write_text("")

    def asked(self) -> list[tuple[str, str]]:
        """Every (command, argument) sent since the last ``answer``."""
        lines = self.log.read_text().splitlines()
        return [(entry["command"], entry["argument"]) for entry in map(json.loads, lines)]

    def texts(self, command: str) -> list[str]:
        """The arguments of every ``command`` sent (e.g. each ``SETDESC``)."""
        return [argument for name, argument in self.asked() if name == command]


def main() -> int:
    """Serve one Assuan conversation on stdin/stdout."""
    script = _Script(Path(os.environ[SCRIPT_ENVIRONMENT_VARIABLE]))
    out = sys.stdout
    out.write("OK Pleased to meet you\n")
    out.flush()
    for raw in sys.stdin:
        line = raw.rstrip("\r\n")
        command, _, argument = line.partition(" ")
        script.record(command, _unescape(argument))
        if command in ("GETPIN", "CONFIRM"):
            _answer(script, command, out)
        elif command == "BYE":
            out.write("OK closing connection\n")
            out.flush()
            return 0
        else:
            out.write("OK\n")
        out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
