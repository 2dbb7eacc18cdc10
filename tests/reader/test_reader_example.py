"""The documented example runs end to end against a private pcscd and virtual card."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xcapki.testing.pcscd import pcscd_missing_reason

pytestmark = pytest.mark.pcscd

EXAMPLE = Path(__file__).parents[2] / "examples" / "reader_status.py"


def test_reader_status_example_with_virtual_card() -> None:
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    result = subprocess.run(
        [sys.executable, str(EXAMPLE), "--virtual", "--timeout", "10"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ATR 3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5" in result.stdout
    assert "Chunghwa Telecom HiCOS PKI card, Gen1" in result.stdout
    assert "SELECT MF -> 6A86" in result.stdout
