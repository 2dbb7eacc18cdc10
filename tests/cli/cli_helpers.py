"""Running the CLI the way users do: ``python -m xcapki`` in a subprocess with its own env.

A subprocess gets its own libpcsclite (which reads PCSCLITE_CSOCK_NAME once
per process) and its own SoftHSM2 (which reads SOFTHSM2_CONF once), so each
test can point the CLI at a different pcscd or token store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcapki.testing import VirtualCard

PIN_VARIABLE = "XCAPKI_TEST_PIN"
BAD_PIN_VARIABLE = "XCAPKI_TEST_BAD_PIN"
WRONG_PIN = "999999"


@dataclass(frozen=True, slots=True)
class CliRun:
    """One finished ``xcapki`` run."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """stdout parsed as the one JSON document ``--json`` promises."""
        return json.loads(self.stdout)


def run_cli(
    *arguments: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
) -> CliRun:
    """``python -m xcapki ARGUMENTS`` with the test's environment plus ``env``; stdin is empty
    and no terminal, so a command that would prompt fails instead of waiting."""
    environment = {**os.environ, "LANG": "C.UTF-8", **(env or {})}
    environment.pop("LC_ALL", None)
    environment.pop("LC_MESSAGES", None)
    completed = subprocess.run(
        [sys.executable, "-m", "xcapki", *arguments],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
    return CliRun(completed.returncode, completed.stdout, completed.stderr)


def card_options(card: VirtualCard) -> list[str]:
    """``--module``, ``--token`` and ``--pin-env`` for a virtual card."""
    return ["--module", str(card.module_path), "--token", card.serial, "--pin-env", PIN_VARIABLE]


def card_env(card: VirtualCard) -> dict[str, str]:
    """The variables a CLI process needs for ``card``: its SoftHSM2 store and its PIN."""
    return {**card.environment, PIN_VARIABLE: card.pin, BAD_PIN_VARIABLE: WRONG_PIN}
