"""The documented token example runs: lists certificates without a PIN, then signs."""

from __future__ import annotations

import pytest
from example_runner import run_example

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]


def test_token_example_signs_on_a_throwaway_card() -> None:
    lines = run_example("token_sign.py")
    assert lines[0].startswith("card ")
    assert lines[0].endswith(": PIN ok")
    assert any(
        line.startswith("  cert1 (signing): ") and "範例會計師事務所" in line for line in lines
    )
    assert any(line.startswith("  cert2 (encryption): ") for line in lines)
    assert any(line.startswith("  CACert (authority): ") for line in lines)
    assert lines[-1].endswith("; signature verified")
