"""examples/cli_virtual_card.py runs as documented in docs/cli.md."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.softhsm

EXAMPLE = Path(__file__).parents[2] / "examples" / "cli_virtual_card.py"


def test_the_cli_example_runs(tmp_path: Path, softhsm_cards: object) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The example verifies with --revocation off: the verdict must not claim "not revoked".
    assert "VALID: the signature is intact and trusted; revocation was not checked" in done.stdout
    assert "not revoked" not in done.stdout
    assert "NOT TRUSTED" in done.stdout
    assert "The card works" in done.stdout
    assert "沒有發現問題" in done.stdout
