"""The documented token example runs: lists certificates without a PIN, then signs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).parents[2] / "examples" / "token_sign.py"


def test_token_example_signs_on_a_throwaway_card() -> None:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("XCAPKI_PKCS11_MODULE", "SOFTHSM2_CONF", "XCAPKI_PIN")
    }
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("card ")
    assert lines[0].endswith(": PIN ok")
    assert any(
        line.startswith("  cert1 (signing): ") and "範例會計師事務所" in line for line in lines
    )
    assert any(line.startswith("  cert2 (encryption): ") for line in lines)
    assert any(line.startswith("  CACert (authority): ") for line in lines)
    assert lines[-1].endswith("; signature verified")
