"""examples/webeid_login.py runs as documented in docs/login.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ocsp]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "webeid_login.py"


def test_the_example_logs_in_and_refuses_three_tokens() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "logged in: 範例聯合會計師事務所 統一編號 12345678 (RS256, revocation good)"
    assert lines[1:] == [
        "refused, the same token again: ChallengeUnknownError",
        "refused, a token made on another site: SignatureRejectedError",
        "refused, a MOICA card on an XCA-only portal: AuthorityNotAllowedError",
    ]
