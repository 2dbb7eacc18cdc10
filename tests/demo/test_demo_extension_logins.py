"""``xcapki demo --login smartpki|webeid``: the demo plays the browser extension and logs in
through the native host on the virtual card (the PIN from its scripted pinentry)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


def _demo(home: Path, login: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SOFTHSM2_CONF"}
    environment.update(XCAPKI_HOME=str(home), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return subprocess.run(
        [sys.executable, "-m", "xcapki", "demo", "--once", "--json", "--login", login,
         "--portal-port", "0", "--service-port", "0"],
        env=environment, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(("login", "scheme"), [("webeid", "https"), ("smartpki", "http")])
def test_demo_logs_in_through_the_native_host(
    softhsm_conf: Path, tmp_path: Path, login: str, scheme: str
) -> None:
    shown = _demo(tmp_path, login)
    assert shown.returncode == 0, shown.stderr
    result = json.loads(shown.stdout)
    assert result["portal_url"].startswith(f"{scheme}://localhost:")
    identity = result["identity"]
    assert identity["response_format"] == {"webeid": "web-eid", "smartpki": "smartpki"}[login]
    assert identity["authority"] == "XCA"
    assert identity["unified_business_number"] == "12345678"
    assert result["cpa_filing_admitted"] is True
    asked = [json.loads(line) for line in (tmp_path / "pinentry.log").read_text().splitlines()]
    descriptions = [entry["argument"] for entry in asked if entry["command"] == "SETDESC"]
    assert result["portal_url"] in descriptions[0]
