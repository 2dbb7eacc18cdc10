"""``--json`` promises one JSON document on stdout: on a bad command line too, in both
languages, with the exit code the process ends with."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from cli_helpers import run_cli

from xcapki.cli import main
from xcapki.cli.commands import tokens
from xcapki.cli.exit_codes import ExitCode

BAD_COMMAND_LINES = [
    ["sign"],
    ["verify", "a.p7s", "--revocation", "sometimes"],
    ["verify", "a.p7s", "--max-size", "lots"],
    ["encrypt", "a.txt", "-o", "a.p7m"],
    ["no-such-command"],
    ["trust", "add"],
    ["sign", "a.txt", "-o", "a.p7s", "--no-such-option"],
    ["doctor", "--portal-url", "http://[::1"],
    ["doctor", "--portal-url", "onestop.nat.gov.tw"],
    ["doctor", "--portal-url", "https://onestop.nat.gov.tw:99999/"],
]


@pytest.mark.parametrize("arguments", BAD_COMMAND_LINES, ids=" ".join)
@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_a_bad_command_line_is_one_json_error(
    arguments: list[str], lang: str, tmp_path: Path
) -> None:
    result = run_cli("--json", "--lang", lang, *arguments, cwd=tmp_path)
    assert result.code == ExitCode.USAGE
    error = result.json()["error"]
    assert error["exit_code"] == ExitCode.USAGE
    assert error["kind"] == "argument"
    assert error["reason"]
    assert error["reason"].splitlines()[-1] in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_without_json_a_bad_command_line_prints_nothing_on_stdout() -> None:
    result = run_cli("sign")
    assert result.code == ExitCode.USAGE
    assert result.stdout == ""
    assert "the following arguments are required" in result.stderr


def test_help_and_version_are_unchanged_by_json() -> None:
    assert run_cli("--json", "--version").stdout.startswith("xcapki ")
    assert run_cli("--json", "sign", "--help").code == ExitCode.OK


def test_an_internal_error_is_one_json_error_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A defect cannot be produced by any real input once fixed, so a command is made to
    fail the way a defect does (a stand-in for a fault no real component produces)."""

    def broken(*_: object) -> int:
        raise RuntimeError("a defect")

    monkeypatch.setattr(tokens, "run", broken)
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main.run(["tokens", "--json"], stdout=stdout, stderr=stderr)
    assert code == ExitCode.ERROR
    error = json.loads(stdout.getvalue())["error"]
    assert error["kind"] == "internal"
    assert error["exit_code"] == ExitCode.ERROR
    assert "RuntimeError: a defect" in error["message"]
    assert "internal error" in stderr.getvalue()
