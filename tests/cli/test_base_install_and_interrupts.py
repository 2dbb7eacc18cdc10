"""What reaches the user besides results: the extra a base install lacks, Ctrl-C, warnings.

A base install (``pip install xcapki`` without the ``card`` extra) is stood in
for by a ``sitecustomize`` that makes ``pkcs11`` and ``smartcard`` fail to
import exactly as absent packages do: this machine has them installed, and a
second virtual environment per test run would need the package registry.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards

_BLOCKER = '''
import sys


class _Absent:
    """Import of the card extra's packages fails as if they were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"pkcs11", "smartcard"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _Absent())
'''

CARD_COMMANDS = [
    ["readers"],
    ["tokens"],
    ["certs"],
    ["pin", "status"],
    ["sign", "in.txt", "-o", "out.p7s"],
    ["selftest"],
    ["virtual-card", "create", "--directory", "cards"],
    ["serve", "--port", "1"],
    ["demo", "--once"],
]


@pytest.fixture
def base_install(tmp_path: Path) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_BLOCKER)
    (tmp_path / "in.txt").write_text("content")
    return {"PYTHONPATH": str(site)}


@pytest.mark.parametrize("command", CARD_COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_every_card_command_names_the_card_extra(
    base_install: dict[str, str], tmp_path: Path, command: list[str], lang: str
) -> None:
    result = run_cli(*command, "--lang", lang, env=base_install, cwd=tmp_path)
    assert result.code == ExitCode.ERROR, result.stderr
    assert "pip install 'xcapki[card]'" in result.stderr
    assert "'card'" in result.stderr or "「card」" in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.p7s").exists()


def test_the_doctor_reports_the_missing_extra_as_a_check(base_install: dict[str, str]) -> None:
    result = run_cli("doctor", "--offline", "--no-pcsc", "--json", env=base_install)
    assert result.code == ExitCode.FAILED
    checks = {check["id"]: check for check in result.json()["checks"]}
    assert checks["pkcs11_module"]["verdict"] == "fail"
    assert "pip install 'xcapki[card]'" in checks["pkcs11_module"]["remedy"]


def test_verify_needs_no_extra(base_install: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("verify", "in.txt", "--revocation", "off", env=base_install, cwd=tmp_path)
    assert result.code == ExitCode.NOT_INTACT
    assert "not a CMS (PKCS#7) signature" in result.stdout


XCAPKI = Path(sys.executable).with_name("xcapki")
"""The console script users run (the installed entry point, not ``python -m``)."""


def _interrupt(
    arguments: list[str],
    delay: float,
    env: dict[str, str] | None = None,
    *,
    from_start: bool = False,
) -> tuple[int, str]:
    """Ctrl-C ``delay`` seconds after the CLI's start-up lines ran (its own Ctrl-C handler in
    place), or after the process began with ``from_start``."""
    process = subprocess.Popen(
        [str(XCAPKI), *arguments],
        env={**os.environ, "LANG": "C.UTF-8", **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if not from_start:
        _wait_past_start_up(process.pid)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr


def _wait_past_start_up(pid: int) -> None:
    """Until the process maps its first extension module from site-packages: every such
    import comes after the CLI installed its Ctrl-C handler, so a loaded machine's slow
    interpreter start does not count as part of the delay."""
    maps = Path(f"/proc/{pid}/maps")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if any("-packages/" in line and ".so" in line for line in maps.read_text().split("\n")):
                return
        except OSError:  # the process has already ended
            return
        time.sleep(0.005)


@pytest.mark.softhsm
@pytest.mark.parametrize("delay", [0.3, 0.5, 0.8])
@pytest.mark.parametrize("command", ["doctor", "tokens", "verify"])
def test_ctrl_c_exits_130_with_one_line(
    softhsm_cards: StandardCards, tmp_path: Path, command: str, delay: float
) -> None:
    card = softhsm_cards.xca
    signature = tmp_path / "s.p7s"
    signature.write_bytes(b"\x30\x80")
    arguments = {
        "doctor": ["doctor", "--offline", "--no-pcsc", "--module", str(card.module_path)],
        "tokens": ["tokens", "--module", str(card.module_path)],
        "verify": ["verify", str(signature), "--revocation", "off"],
    }[command]
    code, stderr = _interrupt(arguments, delay, card.environment)
    if code != ExitCode.INTERRUPTED:
        # Finished before the signal arrived: then it ran to its own end, quietly.
        assert code in (ExitCode.OK, ExitCode.FAILED, ExitCode.NOT_INTACT), stderr
    else:
        assert stderr.strip().splitlines()[-1] == "xcapki: interrupted"
    assert "Traceback" not in stderr
    assert "KeyboardInterrupt" not in stderr


@pytest.mark.softhsm
def test_ctrl_c_at_any_moment_shows_no_traceback_from_xcapki(softhsm_cards: StandardCards) -> None:
    """From the start of the interpreter on: before xcapki's first instruction Python itself
    may still print a traceback (of its own start-up), never one through xcapki's code."""
    card = softhsm_cards.xca
    arguments = ["doctor", "--offline", "--no-pcsc", "--module", str(card.module_path)]
    for step in range(12):
        code, stderr = _interrupt(arguments, 0.025 * step, card.environment, from_start=True)
        frames = re.findall(r'File "[^"]*/(xcapki/[^"]+)", line (\d+)', stderr)
        assert all(_before_the_handler(path, int(line)) for path, line in frames), stderr
        if code == ExitCode.INTERRUPTED:
            assert stderr.strip().splitlines()[-1] == "xcapki: interrupted"


def _before_the_handler(path: str, line: int) -> bool:
    """Whether a traceback frame is xcapki's package start-up or the CLI's own first lines,
    which run before the CLI's Ctrl-C handler exists and so cannot be covered by it."""
    if path == "xcapki/__init__.py":
        return True
    source = Path(__file__).resolve().parents[2] / "xcapki/cli/main.py"
    prologue = source.read_text().splitlines()
    installed = next(
        number
        for number, text in enumerate(prologue, start=1)
        if "signal.signal(signal.SIGINT" in text
    )
    return path in ("xcapki/cli/__init__.py", "xcapki/cli/main.py") and (
        path != "xcapki/cli/main.py" or line <= installed
    )


@pytest.mark.softhsm
def test_ctrl_c_while_signing_a_large_file_leaves_nothing_behind(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    document = tmp_path / "large.bin"
    with document.open("wb") as handle:
        handle.truncate(64 * 1024**3)
    output = tmp_path / "large.p7s"
    arguments = ["sign", str(document), "-o", str(output), "--quiet"]
    arguments += ["--module", str(card.module_path), "--token", card.serial, "--pin-env", "PIN"]
    code, stderr = _interrupt(arguments, 3.0, {**card.environment, "PIN": card.pin})
    assert code == ExitCode.INTERRUPTED, stderr
    assert stderr == "xcapki: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["large.bin"]


@pytest.mark.softhsm
def test_no_terminal_means_no_prompt_and_no_warning(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    document = tmp_path / "a.txt"
    document.write_text("x")
    options = ["--module", str(card.module_path), "--token", card.serial]
    for command in (
        ["sign", str(document), "-o", str(tmp_path / "a.p7s"), *options],
        ["pin", "change", *options],
        ["virtual-card", "create", "--directory", str(tmp_path / "cards")],
    ):
        result = run_cli(*command, env=card.environment)
        assert result.code == ExitCode.PIN, result.stderr
        assert "Warning" not in result.stderr
        assert "echo" not in result.stderr.lower()
        assert "--pin-env" in result.stderr
