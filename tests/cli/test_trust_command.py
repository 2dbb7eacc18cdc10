"""``xcapki trust``: the service's trusted-sites file, listed, added to and removed from."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.service.trust import TrustList


def test_add_list_remove_and_the_service_reads_the_same_file(tmp_path: Path) -> None:
    file = tmp_path / "trusted-origins.json"
    where = ["--file", str(file)]
    assert run_cli("trust", "add", "WWW.Example.gov.tw.", *where).code == ExitCode.OK
    assert run_cli("trust", "add", "http://intranet.example:8080", *where).code == ExitCode.OK
    assert json.loads(file.read_text()) == {
        "origins": ["http://intranet.example:8080", "www.example.gov.tw"]
    }
    assert TrustList(file).is_trusted("https://www.example.gov.tw")
    listed = run_cli("trust", "list", *where, "--json")
    assert listed.json()["sites"] == ["http://intranet.example:8080", "www.example.gov.tw"]
    removed = run_cli("trust", "remove", "www.example.gov.tw", *where)
    assert removed.code == ExitCode.OK
    assert "restart" in removed.stdout
    assert not TrustList(file).is_trusted("https://www.example.gov.tw")
    again = run_cli("trust", "remove", "www.example.gov.tw", *where, "--lang", "zh-TW")
    assert "未做變更" in again.stdout
    empty = run_cli("trust", "list", "--file", str(tmp_path / "none.json"))
    assert "(none)" in empty.stdout


def test_a_value_that_is_no_site_is_refused(tmp_path: Path) -> None:
    result = run_cli("trust", "add", "not a site/", "--file", str(tmp_path / "t.json"))
    assert result.code == ExitCode.USAGE
    assert "www.example.gov.tw" in result.stderr
    assert not (tmp_path / "t.json").exists()
