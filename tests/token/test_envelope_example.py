"""The documented envelope example runs: a server encrypts, the virtual card decrypts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).parents[2] / "examples" / "envelope_decrypt.py"


def test_envelope_example_decrypts_on_a_throwaway_card() -> None:
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
    assert lines[0].startswith("envelope: ")
    assert "範例會計師事務所" in lines[0]
    message = "113 年度查核報告：請於 5 月 31 日前完成申報。"
    assert lines[1] == f"aes-256-gcm: {message} (authenticated: True)"
    assert lines[2] == f"aes-256-cbc: {message} (authenticated: False)"
    assert lines[3] == "damaged: DecryptionError"
    assert lines[4] == f"streamed aes-256-gcm: {message}"
