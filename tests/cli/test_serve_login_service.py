"""``xcapki serve --install/--uninstall``: the service started at login.

The systemd unit is checked by ``systemd-analyze verify``; the launchd agent
(macOS) is read back with plistlib, as launchd itself reads property lists.
"""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.login_service import LABEL, login_service


def test_install_writes_a_unit_systemd_accepts_and_uninstall_removes_it(tmp_path: Path) -> None:
    systemd_analyze = shutil.which("systemd-analyze")
    if systemd_analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian systemd)")
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    module = tmp_path / "libHicos_p11.so"
    installed = run_cli("serve", "--install", "--port", "61999", "--module", str(module), env=env)
    assert installed.code == ExitCode.OK, installed.stderr
    unit = tmp_path / "systemd" / "user" / "xcapki-serve.service"
    text = unit.read_text()
    assert f"ExecStart={sys.executable} -m xcapki serve --host 127.0.0.1 --port 61999" in text
    assert f"--module {module}" in text
    assert "systemctl --user enable --now xcapki-serve.service" in installed.stdout
    verified = subprocess.run(
        [systemd_analyze, "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
    assert run_cli("serve", "--install", env=env).code == ExitCode.OK  # replaces it
    removed = run_cli("serve", "--uninstall", env=env)
    assert removed.code == ExitCode.OK
    assert "systemctl --user disable --now xcapki-serve.service" in removed.stdout
    assert not unit.exists()
    assert "nothing to remove" in run_cli("serve", "--uninstall", env=env).stdout
    both = run_cli("serve", "--install", "--uninstall", env=env)
    assert both.code == ExitCode.USAGE


def test_the_macos_agent_runs_the_same_command_at_login(tmp_path: Path) -> None:
    agent = login_service(["--port", "61161"], platform="darwin", environ={"HOME": str(tmp_path)})
    assert agent.path == tmp_path / "Library" / "LaunchAgents" / f"{LABEL}.plist"
    document = plistlib.loads(agent.text.encode())
    assert document["Label"] == LABEL
    assert document["ProgramArguments"] == [
        sys.executable,
        "-m",
        "xcapki",
        "serve",
        "--port",
        "61161",
    ]
    assert document["RunAtLoad"] is True
    assert agent.activate == (f"launchctl load -w {agent.path}",)


def test_a_module_path_with_specifiers_variables_and_quotes_stays_literal(tmp_path: Path) -> None:
    systemd_analyze = shutil.which("systemd-analyze")
    if systemd_analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian systemd)")
    module = tmp_path / 'cards 100%i $HOME "x" back\\slash;.so'
    service = login_service(
        ["--module", str(module)], platform="linux", environ={"XDG_CONFIG_HOME": str(tmp_path)}
    )
    escaped = str(tmp_path) + '/cards 100%%i $$HOME \\"x\\" back\\\\slash;.so'
    assert f'--module "{escaped}"' in service.text
    service.path.parent.mkdir(parents=True)
    service.path.write_text(service.text)
    verified = subprocess.run(
        [systemd_analyze, "verify", str(service.path)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
