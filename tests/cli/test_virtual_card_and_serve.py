"""virtual-card create (a SoftHSM2 card in a reusable test PKI) and serve (the local service)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from cli_helpers import PIN_VARIABLE, run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards
from xcapki.testing.ports import unused_port

pytestmark = pytest.mark.softhsm


def test_virtual_card_create_then_use_it(tmp_path: Path, softhsm_cards: StandardCards) -> None:
    home = tmp_path / "home"
    env = {"XCAPKI_HOME": str(home), PIN_VARIABLE: "246810"}
    made = run_cli("virtual-card", "create", "--pin-env", PIN_VARIABLE, "--json", env=env)
    assert made.code == ExitCode.OK, made.stderr
    first = made.json()
    assert first["softhsm2_conf"] == str(home / "softhsm" / "softhsm2.conf")
    assert first["export"] == f"export SOFTHSM2_CONF={home / 'softhsm' / 'softhsm2.conf'}"
    serial = first["token"]["serial"]
    assert f"--token {serial}" in first["options"]
    signing = first["certificates"][0]
    assert signing["taiwan"]["authority"] == "XCA"
    assert signing["taiwan"]["unified_business_number"] == "12345678"
    assert signing["taiwan"]["card_serial"] == serial
    assert "Creating a test PKI" in made.stderr

    again = run_cli(
        "virtual-card",
        "create",
        "--authority",
        "moica",
        "--organisation",
        "王大明",
        "--pin-env",
        PIN_VARIABLE,
        "--lang",
        "zh-TW",
        env=env,
    )
    assert again.code == ExitCode.OK, again.stderr
    assert "使用" in again.stderr
    assert str(home / "pki") in again.stderr
    assert "export SOFTHSM2_CONF=" in again.stdout
    assert "MOICA 內政部憑證管理中心" in again.stdout

    use_env = {"SOFTHSM2_CONF": first["softhsm2_conf"], PIN_VARIABLE: "246810"}
    listed = run_cli("tokens", "--module", first["module"], "--json", env=use_env)
    assert len([t for t in listed.json()["tokens"] if t["initialised"]]) == 2
    selftest = run_cli(
        "selftest",
        *first["options"].split(),
        "--pin-env",
        PIN_VARIABLE,
        "--trust-root",
        first["trust_root"],
        "--revocation",
        "off",
        env=use_env,
    )
    assert selftest.code == ExitCode.OK, selftest.stdout + selftest.stderr
    assert "The card works" in selftest.stdout


def test_virtual_card_rejects_a_pin_a_card_cannot_hold(tmp_path: Path) -> None:
    env = {"XCAPKI_HOME": str(tmp_path), PIN_VARIABLE: "12"}
    result = run_cli("virtual-card", "create", "--pin-env", PIN_VARIABLE, env=env)
    assert result.code == ExitCode.ERROR
    assert "6 to 8 letters or digits" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_answers_as_hipki_and_doctor_recognises_it(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    pytest.importorskip("uvicorn", reason="xcapki serve needs the service extra (uvicorn)")
    card = softhsm_cards.xca
    port = unused_port()
    env = {**os.environ, **card.environment, "XDG_CONFIG_HOME": str(tmp_path)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "xcapki",
            "serve",
            "--port",
            str(port),
            "--module",
            str(card.module_path),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not body:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
                    body = answer.read().decode()
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                time.sleep(0.2)
        assert "version:" in body
        doctor = run_cli(
            "doctor",
            "--no-pcsc",
            "--offline",
            "--module",
            "/nonexistent.so",
            "--service-port",
            str(port),
            "--json",
        )
        check = {c["id"]: c for c in doctor.json()["checks"]}["service_port"]
        assert check["verdict"] == "pass"
        assert "HiPKI-compatible" in check["message"]
        busy = run_cli("serve", "--port", str(port), "--module", str(card.module_path))
        assert busy.code == ExitCode.SERVICE
        assert f"port {port}" in busy.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert "Serving the local signing service" in (server.stderr.read() if server.stderr else "")


def test_serve_refuses_a_non_loopback_host() -> None:
    pytest.importorskip("uvicorn", reason="xcapki serve needs the service extra (uvicorn)")
    result = run_cli("serve", "--host", "0.0.0.0", "--port", str(unused_port()))  # noqa: S104
    assert result.code == ExitCode.SERVICE
    assert "loopback" in result.stderr


@pytest.mark.parametrize("mode", ["page", "local"])
def test_serve_refuses_spend_final_try_saying_why(mode: str) -> None:
    pytest.importorskip("uvicorn", reason="xcapki serve needs the service extra (uvicorn)")
    port = str(unused_port())
    result = run_cli("serve", "--spend-final-try", "--pin-mode", mode, "--port", port)
    assert result.code == ExitCode.SERVICE
    assert "--spend-final-try does not apply to serve" in result.stderr
    assert ("a page can never spend" in result.stderr) is (mode == "page")
    with socket.socket() as probe:  # refused before listening: the port is still free
        probe.bind(("127.0.0.1", int(port)))
