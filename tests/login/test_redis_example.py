"""examples/login_redis_failover.py runs as written and shows single use through a failover."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from xcapki.testing import PkiServices
from xcapki.testing.redis_servers import redis_server_missing_reason

pytestmark = pytest.mark.redis

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "login_redis_failover.py"


def test_the_failover_example_keeps_used_challenges_used(pki_services: PkiServices) -> None:
    missing = redis_server_missing_reason()
    if missing is not None:
        pytest.skip(missing)
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  (log)")]
    assert lines[0] == "login: admitted 範例會計師事務所"
    killed = lines[1].removeprefix("primary on port ").removesuffix(" killed by its PID")
    promoted = lines[2].removeprefix("new primary on port ")
    assert killed.isdigit()
    assert promoted.isdigit()
    assert promoted != killed
    assert lines[3:] == [
        "replay of the used response: refused (ChallengeUnknownError)",
        "response to the challenge open during the failover: refused (ChallengeUnknownError)",
        "new login: admitted 範例會計師事務所",
    ]
    assert "issued before Redis restarted or failed over" in result.stdout
