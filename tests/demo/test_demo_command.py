"""``xcapki demo`` end to end in a subprocess, as the README's first command runs it.

The demo makes (then reuses) a test PKI and a SoftHSM2 virtual XCA card under
$XCAPKI_HOME, serves the PKI's OCSP responders, the local signing service and
the portal on loopback, and logs in through all of them.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import TestPki

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]

REPOSITORY = Path(__file__).resolve().parents[2]
_TIMEOUT = 120


def _environment(home: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k != "SOFTHSM2_CONF"}
    environment.update(XCAPKI_HOME=str(home), LANG="C.UTF-8", LC_ALL="C.UTF-8")
    return environment


def _demo(home: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xcapki", "demo", *arguments],
        env=_environment(home),
        capture_output=True,
        text=True,
        timeout=_TIMEOUT,
        check=False,
    )


def test_demo_once_logs_in_with_the_virtual_xca_card_and_reuses_it(
    softhsm_conf: Path, tmp_path: Path
) -> None:
    first = _demo(tmp_path, "--once", "--json")
    assert first.returncode == 0, first.stderr
    result = json.loads(first.stdout)
    identity = result["identity"]
    assert result["ok"] is True
    assert result["virtual_card"] is True
    assert identity["authority"] == "XCA"
    assert identity["organisation_name"] == "測試聯合會計師事務所"
    assert identity["unified_business_number"] == "12345678"
    assert (identity["revocation"], identity["revocation_source"]) == ("good", "ocsp")
    assert identity["response_format"] == "hipki"
    assert result["cpa_filing_admitted"] is True
    assert "(made now)" in first.stderr
    assert (tmp_path / "pki" / "pki.json").exists()

    second = _demo(tmp_path, "--once")
    assert second.returncode == 0, second.stderr
    assert f"virtual XCA card {identity['card_serial']} (reused)" in second.stderr
    assert "login succeeded; the portal saw:" in second.stdout
    assert "unified business number (統一編號): 12345678" in second.stdout
    assert "會計師查核簽證線上申報系統: admitted (XCA login)" in second.stdout


def test_demo_speaks_traditional_chinese(softhsm_conf: Path, tmp_path: Path) -> None:
    shown = _demo(tmp_path, "--once", "--lang", "zh-TW")
    assert shown.returncode == 0, shown.stderr
    assert "登入成功；入口網看到的身分：" in shown.stdout
    assert "統一編號：12345678" in shown.stdout
    assert "廢止狀態：未廢止（OCSP）" in shown.stdout
    assert "good" not in shown.stdout
    assert "ocsp" not in shown.stdout


def test_demo_serves_a_browser_until_interrupted_then_stops_everything(
    softhsm_conf: Path, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "xcapki", "demo", "--service-port", "0", "--portal-port", "0"],
        env=_environment(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = None
        deadline = time.monotonic() + _TIMEOUT
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            assert line, f"the demo ended early: {process.stderr.read() if process.stderr else ''}"
            found = re.search(r"open (http://localhost:\d+) in a browser.*PIN 123456", line)
            url = found.group(1) if found else None
        assert url is not None
        with urllib.request.urlopen(f"{url}/login", timeout=10) as page:
            assert "請插入您的憑證後按憑證登入" in page.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    port = int(url.rsplit(":", 1)[1])
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_demo_names_a_taken_port_and_the_option_to_change(
    softhsm_conf: Path, tmp_path: Path
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen(1)
        port = squatter.getsockname()[1]
        refused = _demo(tmp_path, "--once", "--service-port", str(port))
        as_json = _demo(tmp_path, "--once", "--service-port", str(port), "--json")
    assert refused.returncode == ExitCode.SERVICE
    assert f"port {port}" in refused.stderr
    assert "--service-port" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert as_json.returncode == ExitCode.SERVICE
    error = json.loads(as_json.stdout)["error"]
    assert (error["kind"], error["type"], error["exit_code"]) == (
        "demo_setup",
        "DemoSetupError",
        ExitCode.SERVICE,
    )


def test_the_portal_example_runs(test_pki: TestPki, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, str(REPOSITORY / "examples" / "portal" / "run.py"), "--port", str(port),
         "--trust-root", str(test_pki.root_certificate_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + _TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"http://localhost:{port}/login", timeout=5) as page:
                    body = page.read().decode()
                break
            except OSError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert "請插入您的憑證後按憑證登入" in body
        assert 'data-service-url="http://localhost:61161"' in body
    finally:
        process.terminate()
        process.wait(timeout=30)
