"""examples/pdf_sign_verify.py runs as written and reports a valid B-LT signature."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pdf_sign_verify.py"


def test_the_pdf_example_signs_and_verifies() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False, timeout=180
    )
    assert result.returncode == 0, result.stderr
    assert "PAdES b-lt" in result.stdout
    assert "統一編號 12345678" in result.stdout
    assert "revocation good (embedded)" in result.stdout
    assert result.stdout.rstrip().endswith("\nvalid")
