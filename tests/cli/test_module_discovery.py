"""Choosing the PKCS#11 module by evidence, and the doctor's diagnosis of a missing HiCOS module.

The per-platform table is checked against file trees laid out like Linux,
macOS and Windows installs; the evidence against the real SoftHSM2 and
OpenSC modules (linked into such a tree) and, for the doctor, a private
pcscd with an emulated HiCOS card, where OpenSC loads but cannot read it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards
from xcapki.testing.pcscd import PrivatePcscd, find_free_port_pair, pcscd_missing_reason
from xcapki.testing.softhsm import find_softhsm2_module, softhsm_config
from xcapki.testing.virtual_reader import HICOS_GEN1_ATR, EmulatedCard
from xcapki.token import ModuleOrigin
from xcapki.token.discovery import (
    HICOS_INSTALLS,
    CardInReader,
    HicosModuleMissingError,
    ModuleVerdict,
    choose_module,
    installed_candidates,
)

OPENSC = Path("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so")


def _lay_out(root: Path, paths: list[str]) -> None:
    """Empty files at ``paths`` (POSIX or Windows) under ``root``."""
    for path in paths:
        if ":" in path[:3]:
            drive, rest = path.split(":", 1)
            target = root.joinpath(drive, *rest.strip("\\").split("\\"))
        else:
            target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"")


@pytest.mark.parametrize(
    ("platform", "installed", "expected_names"),
    [
        ("linux", ["/usr/lib/libHicos_p11.so"], ["libHicos_p11.so"]),
        ("linux", ["/usr/local/lib/libHicos_p11v1.so"], ["libHicos_p11v1.so"]),
        ("darwin", ["/Library/FBTokenLib/libHicos_p11v1.dylib"], ["libHicos_p11v1.dylib"]),
        (
            "win32",
            [r"C:\Program Files (x86)\Chunghwa Telecom\HiCOS PKI Smart Card\HiCOSPKCS11.dll"],
            ["HiCOSPKCS11.dll"],
        ),
        ("win32", [r"C:\Windows\SysWOW64\HiCOSPKCS11.dll"], ["HiCOSPKCS11.dll"]),
    ],
)
def test_the_platform_table_finds_hicos_first_in_a_file_tree(
    tmp_path: Path, platform: str, installed: list[str], expected_names: list[str]
) -> None:
    opensc = {
        "linux": "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
        "darwin": "/Library/OpenSC/lib/opensc-pkcs11.so",
        "win32": r"C:\Windows\System32\opensc-pkcs11.dll",
    }[platform]
    _lay_out(tmp_path, [opensc, *installed])
    found = installed_candidates(platform, root=tmp_path)
    assert [c.origin for c in found] == [ModuleOrigin.HICOS, ModuleOrigin.OPENSC]
    assert [c.path.name for c in found[:1]] == expected_names
    assert all(c.path.is_relative_to(tmp_path) for c in found)
    assert installed_candidates(platform, root=tmp_path / "empty") == ()


def test_every_platform_names_its_hicos_files() -> None:
    assert HICOS_INSTALLS["linux"].file_names == ("libHicos_p11.so", "libHicos_p11v1.so")
    assert HICOS_INSTALLS["darwin"].file_names == ("libHicos_p11v1.dylib",)
    assert "HiCOSPKCS11.dll" in HICOS_INSTALLS["win32"].file_names
    assert (
        r"C:\Program Files (x86)\Chunghwa Telecom\HiCOS PKI Smart Card"
        in HICOS_INSTALLS["win32"].folders
    )


@pytest.mark.parametrize(
    ("platform", "file_name"),
    [
        ("linux", "libHicos_p11.so"),
        ("darwin", "libHicos_p11v1.dylib"),
        ("win32", "HiCOSPKCS11.dll"),
    ],
)
def test_a_hicos_card_without_a_hicos_module_is_diagnosed(
    tmp_path: Path, platform: str, file_name: str
) -> None:
    card = CardInReader(reader="ACS ACR39U 00 00", atr=HICOS_GEN1_ATR)
    with pytest.raises(HicosModuleMissingError) as caught:
        choose_module(cards=[card], environ={}, platform=platform, root=tmp_path)
    assert file_name in str(caught.value)
    assert "moica.nat.gov.tw" in str(caught.value)
    assert caught.value.readers == ("ACS ACR39U 00 00",)


def _linked_tree(root: Path) -> Path:
    """A Linux tree whose OpenSC and SoftHSM2 entries are the machine's real modules."""
    for target, link in (
        (OPENSC, root / "usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"),
        (find_softhsm2_module(), root / "usr/lib/softhsm/libsofthsm2.so"),
    ):
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    return root


@pytest.mark.softhsm
@pytest.mark.pkcs11tool
def test_the_module_that_sees_a_card_is_chosen_over_the_first_that_loads(
    tmp_path: Path, softhsm_cards: StandardCards
) -> None:
    if not OPENSC.exists():
        pytest.skip("OpenSC's module is not installed (Debian opensc-pkcs11)")
    root = _linked_tree(tmp_path)
    choice = choose_module(environ={}, platform="linux", root=root)
    verdicts = {e.candidate.origin: e.verdict for e in choice.evidence}
    assert list(verdicts) == [ModuleOrigin.OPENSC, ModuleOrigin.SOFTHSM]
    assert verdicts[ModuleOrigin.SOFTHSM] is ModuleVerdict.SEES_CARD
    assert verdicts[ModuleOrigin.OPENSC] is not ModuleVerdict.SEES_CARD
    assert choice.module.path.endswith("libsofthsm2.so")
    assert choice.reason == "it sees a card"
    # A HiCOS card in a reader that no installed module serves: the diagnosis wins.
    card = CardInReader(reader="Virtual PCD 00 00", atr=HICOS_GEN1_ATR)
    with pytest.raises(HicosModuleMissingError):
        choose_module(cards=[card], environ={}, platform="linux", root=root)


@pytest.mark.softhsm
def test_explicit_and_environment_modules_are_used_as_given(softhsm_cards: StandardCards) -> None:
    module = str(softhsm_cards.xca.module_path)
    assert choose_module(module, environ={}).reason == "given with --module"
    chosen = choose_module(environ={"XCAPKI_PKCS11_MODULE": module})
    assert chosen.reason == "XCAPKI_PKCS11_MODULE"
    assert chosen.evidence == ()


@pytest.mark.softhsm
def test_tokens_without_module_finds_the_softhsm_cards(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    env = {**card.environment, "XCAPKI_PKCS11_MODULE": ""}
    result = run_cli("tokens", "--json", env=env)
    assert result.code == ExitCode.OK, result.stderr
    assert card.serial in {t["serial"] for t in result.json()["tokens"]}


@pytest.mark.pcscd
@pytest.mark.pkcs11tool
def test_doctor_names_the_missing_hicos_module_when_a_hicos_card_is_in(tmp_path: Path) -> None:
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    if not OPENSC.exists():
        pytest.skip("OpenSC's module is not installed (Debian opensc-pkcs11)")
    empty_store = softhsm_config(tmp_path / "softhsm")
    with PrivatePcscd(tmp_path, vpcd_port=find_free_port_pair()) as daemon:
        assert daemon.vpcd_port is not None
        env = {
            "PCSCLITE_CSOCK_NAME": str(daemon.socket_path),
            "SOFTHSM2_CONF": str(empty_store),
            "XCAPKI_PKCS11_MODULE": "",
        }
        with EmulatedCard(daemon.vpcd_port) as card:
            assert card.wait_seen(10), "pcscd never polled the virtual card"
            result = run_cli("doctor", "--offline", "--json", env=env)
            chinese = run_cli("doctor", "--offline", "--lang", "zh-TW", env=env)
    checks = {check["id"]: check for check in result.json()["checks"]}
    assert result.code == ExitCode.FAILED
    assert checks["card_atr"]["verdict"] == "pass"
    module = checks["pkcs11_module"]
    assert module["verdict"] == "fail", module
    assert "HiCOS card is inserted" in module["message"]
    assert "libHicos_p11.so" in module["remedy"]
    assert "moica.nat.gov.tw" in module["remedy"]
    assert checks["token"]["verdict"] == "skip"
    assert "libHicos_p11.so" in chinese.stdout
    assert "沒有安裝其憑證元件" in chinese.stdout


@pytest.mark.pcscd
def test_readers_wait_blocks_until_a_card_arrives(tmp_path: Path) -> None:
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    with PrivatePcscd(tmp_path, vpcd_port=find_free_port_pair()) as daemon:
        assert daemon.vpcd_port is not None
        env = {**os.environ, "LANG": "C.UTF-8", "PCSCLITE_CSOCK_NAME": str(daemon.socket_path)}
        timed_out = run_cli("readers", "--wait", "1", env=env)
        assert timed_out.code == ExitCode.READER
        assert "--wait" in timed_out.stderr
        waiting = subprocess.Popen(
            [sys.executable, "-m", "xcapki", "readers", "--wait", "--json"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            with EmulatedCard(daemon.vpcd_port) as card:
                assert card.wait_seen(10)
                out, err = waiting.communicate(timeout=60)
        finally:
            waiting.kill()
    assert waiting.returncode == ExitCode.OK, err
    readers = {r["name"]: r for r in json.loads(out)["readers"]}
    assert readers["Virtual PCD 00 00"]["card_present"] is True
