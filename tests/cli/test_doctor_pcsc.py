"""doctor against real PC/SC states: pcscd stopped, no reader, no card, a HiCOS card inserted.

Each state is a private pcscd (or none) on its own socket; the CLI runs in a
subprocess with PCSCLITE_CSOCK_NAME pointing there, since libpcsclite reads
that variable once per process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing.pcscd import PrivatePcscd, find_free_port_pair, pcscd_missing_reason
from xcapki.testing.virtual_reader import EmulatedCard

pytestmark = pytest.mark.pcscd

_FLAGS = ("--module", "/nonexistent/libnone.so", "--offline", "--quiet", "--json")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    return tmp_path


def _doctor(socket: Path, *extra: str, lang: str = "en") -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli(
        "doctor", *_FLAGS, "--lang", lang, *extra, env={"PCSCLITE_CSOCK_NAME": str(socket)}
    )
    checks = {check["id"]: check for check in result.json()["checks"]}
    assert "Traceback" not in result.stderr
    return result.code, checks


@pytest.fixture
def daemon(workdir: Path) -> Iterator[PrivatePcscd]:
    pcscd = PrivatePcscd(workdir, vpcd_port=find_free_port_pair())
    pcscd.start()
    yield pcscd
    pcscd.stop()


def test_pcscd_stopped(workdir: Path) -> None:
    socket = PrivatePcscd(workdir, vpcd_port=None).socket_path
    assert not socket.exists()
    code, checks = _doctor(socket)
    assert code == ExitCode.FAILED
    assert checks["pcsc_service"]["verdict"] == "fail"
    assert "not running" in checks["pcsc_service"]["message"]
    assert "systemctl start pcscd" in checks["pcsc_service"]["remedy"]
    assert checks["pcsc_service"]["manual_question"] == "Q2"
    assert checks["readers"]["verdict"] == "skip"
    _, chinese = _doctor(socket, lang="zh-TW")
    assert chinese["pcsc_service"]["message"] == "讀卡機服務（PC/SC）沒有執行"
    assert "sudo systemctl start pcscd" in chinese["pcsc_service"]["remedy"]


def test_no_reader(workdir: Path) -> None:
    with PrivatePcscd(workdir, vpcd_port=None) as empty:
        code, checks = _doctor(empty.socket_path)
        _, chinese = _doctor(empty.socket_path, lang="zh-TW")
    assert code == ExitCode.FAILED
    assert checks["pcsc_service"]["verdict"] == "pass"
    assert checks["readers"]["verdict"] == "fail"
    assert "no card reader" in checks["readers"]["message"]
    assert "install its driver" in checks["readers"]["remedy"]
    assert checks["card_present"]["verdict"] == "skip"
    assert chinese["readers"]["message"] == "讀卡機沒有裝好"
    assert "驅動程式" in chinese["readers"]["remedy"]


def test_no_card(daemon: PrivatePcscd) -> None:
    code, checks = _doctor(daemon.socket_path)
    _, chinese = _doctor(daemon.socket_path, lang="zh-TW")
    assert code == ExitCode.FAILED
    assert checks["readers"]["verdict"] == "pass"
    assert "Virtual PCD 00 00" in checks["readers"]["message"]
    assert checks["card_present"]["verdict"] == "fail"
    assert "not inserted" in checks["card_present"]["message"]
    assert checks["card_atr"]["verdict"] == "skip"
    assert chinese["card_present"]["message"] == "IC 卡沒有確實插入"
    assert "確實插入" in chinese["card_present"]["remedy"]


def test_card_inserted_and_identified_by_atr(daemon: PrivatePcscd) -> None:
    assert daemon.vpcd_port is not None
    with EmulatedCard(daemon.vpcd_port) as card:
        assert card.wait_seen(10), "pcscd never polled the virtual card"
        code, checks = _doctor(daemon.socket_path)
        _, chinese = _doctor(daemon.socket_path, lang="zh-TW")
    assert checks["card_present"]["verdict"] == "pass"
    assert checks["card_atr"]["verdict"] == "pass"
    assert "3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5" in checks["card_atr"]["message"]
    assert "HiCOS" in checks["card_atr"]["message"]
    assert chinese["card_present"]["verdict"] == "pass"
    # The module is missing on purpose: the first failure is then the component (Q1).
    assert code == ExitCode.FAILED
    assert checks["pkcs11_module"]["verdict"] == "fail"


def test_unknown_card_is_a_warning(daemon: PrivatePcscd) -> None:
    assert daemon.vpcd_port is not None
    foreign_atr = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
    with EmulatedCard(daemon.vpcd_port, atr=foreign_atr) as card:
        assert card.wait_seen(10)
        _, checks = _doctor(daemon.socket_path)
    assert checks["card_present"]["verdict"] == "pass"
    assert checks["card_atr"]["verdict"] == "warn"
    assert "not recognised" in checks["card_atr"]["message"]


def test_readers_command(daemon: PrivatePcscd, workdir: Path) -> None:
    assert daemon.vpcd_port is not None
    env = {"PCSCLITE_CSOCK_NAME": str(daemon.socket_path)}
    with EmulatedCard(daemon.vpcd_port) as card:
        assert card.wait_seen(10)
        listed = run_cli("readers", "--json", env=env)
        text = run_cli("readers", "--lang", "zh-TW", env=env)
    assert listed.code == ExitCode.OK
    readers = {r["name"]: r for r in listed.json()["readers"]}
    first = readers["Virtual PCD 00 00"]
    assert first["card_present"] is True
    assert first["atr"] == "3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5"
    assert first["card"]["known"] is True
    assert readers["Virtual PCD 00 01"]["presence"] == "absent"
    assert "Virtual PCD 00 01：沒有卡片" in text.stdout
    daemon.stop()
    stopped = run_cli("readers", "--lang", "zh-TW", env=env)
    assert stopped.code == ExitCode.READER
    assert "讀卡機服務（PC/SC）沒有執行" in stopped.stderr
    assert "Traceback" not in stopped.stderr
