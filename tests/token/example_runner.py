"""Runs a documented token example as a user would, with no card settings of theirs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[2] / "examples"
_CARD_SETTINGS = ("XCAPKI_PKCS11_MODULE", "SOFTHSM2_CONF", "XCAPKI_PIN")


def run_example(name: str) -> list[str]:
    """The lines ``examples/NAME`` prints, run without this shell's card settings (the
    example makes its own throwaway card); the run must succeed."""
    environment = {k: v for k, v in os.environ.items() if k not in _CARD_SETTINGS}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()
