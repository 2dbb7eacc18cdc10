"""The documented envelope example runs: a server encrypts, the virtual card decrypts."""

from __future__ import annotations

import pytest
from example_runner import run_example

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]


def test_envelope_example_decrypts_on_a_throwaway_card() -> None:
    lines = run_example("envelope_decrypt.py")
    assert lines[0].startswith("envelope: ")
    assert "範例會計師事務所" in lines[0]
    message = "113 年度查核報告：請於 5 月 31 日前完成申報。"
    assert lines[1] == f"aes-256-gcm: {message} (authenticated: True)"
    assert lines[2] == f"aes-256-cbc: {message} (authenticated: False)"
    assert lines[3] == "damaged: DecryptionError"
    assert lines[4] == f"streamed aes-256-gcm: {message}"
