"""The documented example runs and signs through the service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).parents[2] / "examples" / "service_sign.py"


def test_service_example_signs_on_a_throwaway_card() -> None:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("XCAPKI_PKCS11_MODULE", "SOFTHSM2_CONF")
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
    assert "version:0.1.0.0" in result.stdout
    assert "ret_code 0x0" in result.stdout
    assert "signed content: 登入挑戰 42" in result.stdout
    assert "probe image: ret_code 0" in result.stdout
    assert "RAW signature of a page-supplied SHA-256: True" in result.stdout
