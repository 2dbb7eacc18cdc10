"""The documented example runs and prints what docs/crypto.md says it does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.openssl, pytest.mark.ocsp]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "crypto_sign_verify.py"


def test_sign_verify_example_runs() -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line tool is not installed (Debian package openssl)")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("HiPKI shape:    intact=True card=")
    assert lines[1] == "SmartPKI shape: intact=True"
    assert lines[2] == "full check:     intact=True trusted=True revocation=good"
    assert lines[3] == "tampered:       SignatureInvalidError"
