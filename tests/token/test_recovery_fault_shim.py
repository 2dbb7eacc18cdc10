"""Module recovery from the faults only a test shim can produce (see ``fault_shim``).

Two virtual cards sit behind the shim in a process of their own. One card's slot
is made to fail with each code a module uses for a pulled card or its own
failure; the token layer must give a typed error with the code, list the card as
absent while the fault lasts, keep the other card signing throughout, and sign
again on the failed card once the fault clears, by re-initialising the module
itself (the shim stays failed until then), no more often than its backoff allows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fault_shim import (
    CKR_DEVICE_ERROR,
    CKR_DEVICE_REMOVED,
    CKR_GENERAL_ERROR,
    CKR_TOKEN_NOT_PRESENT,
    CONTROL_VARIABLE,
    TARGET_VARIABLE,
    build_fault_shim,
)

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    KeyAlgorithm,
    TestPki,
    VirtualCard,
    find_softhsm2_module,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.token._pkcs11 import SLOT_LIST_RETRIES

pytestmark = pytest.mark.softhsm

DRIVER = Path(__file__).with_name("recovery_driver.py")


@dataclass
class Driver:
    process: subprocess.Popen[str]
    control: Path

    def ask(self, op: str, **fields: str) -> dict[str, Any]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        reply: dict[str, Any] = json.loads(self.process.stdout.readline())
        return reply

    def arm(self, ckr: int, slot: int) -> None:
        self.control.write_text(f"{ckr:x} {slot}\n")

    def vanish(self, reads: int) -> None:
        self.control.write_text(f"vanish {reads}\n")

    def disarm(self) -> None:
        self.control.write_text("")


@pytest.fixture(scope="module")
def two_cards(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> list[VirtualCard]:
    conf = softhsm_config(tmp_path_factory.mktemp("shim-store"))
    return [
        provision_softhsm_card(
            test_pki,
            CardSpec(
                authority=Authority.XCA, organisation_name=name, key_algorithm=KeyAlgorithm.EC_P256
            ),
            softhsm_conf=conf,
        )
        for name in ("故障測試甲事務所", "故障測試乙事務所")
    ]


@pytest.fixture
def driver(two_cards: list[VirtualCard], tmp_path: Path) -> Iterator[Driver]:
    shim = build_fault_shim(tmp_path)
    control = tmp_path / "control"
    control.write_text("")
    environment = {
        **os.environ,
        "SOFTHSM2_CONF": str(two_cards[0].softhsm_conf),
        TARGET_VARIABLE: str(find_softhsm2_module()),
        CONTROL_VARIABLE: str(control),
    }
    process = subprocess.Popen(
        [sys.executable, str(DRIVER), str(shim)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        yield Driver(process, control)
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def _assert_signed(reply: dict[str, Any], card: VirtualCard) -> None:
    assert reply["ok"], reply
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(
        bytes.fromhex(reply["signature"]), b"payload", ec.ECDSA(HashAlgorithm.SHA256.new())
    )


@pytest.mark.parametrize(
    ("ckr", "error"),
    [
        (CKR_DEVICE_REMOVED, "TokenRemovedError"),
        (CKR_TOKEN_NOT_PRESENT, "TokenRemovedError"),
        (CKR_DEVICE_ERROR, "DeviceError"),
        (CKR_GENERAL_ERROR, "DeviceError"),
    ],
)
def test_module_failure_is_recovered_without_dropping_the_other_card(
    driver: Driver, two_cards: list[VirtualCard], ckr: int, error: str
) -> None:
    failing, other = two_cards
    for card in two_cards:
        assert driver.ask("login", serial=card.serial, pin=card.pin)["ok"]
        _assert_signed(driver.ask("sign", serial=card.serial), card)
    slots = driver.ask("tokens")["tokens"]
    assert set(slots) == {failing.serial, other.serial}

    before = driver.ask("recoveries")["recoveries"]
    driver.arm(ckr, slots[failing.serial])
    refused = driver.ask("sign", serial=failing.serial)
    assert (refused["ok"], refused["error"], refused["ckr"]) == (False, error, ckr)
    assert set(driver.ask("tokens")["tokens"]) == {other.serial}
    for _ in range(30):
        assert not driver.ask("sign", serial=failing.serial)["ok"]
        _assert_signed(driver.ask("sign", serial=other.serial), other)
    assert 1 <= driver.ask("recoveries")["recoveries"] - before < 10  # spaced out, not per call

    driver.disarm()
    deadline = time.monotonic() + 20
    while not (reply := driver.ask("sign", serial=failing.serial))["ok"]:
        assert time.monotonic() < deadline, f"{failing.serial} never signed again: {reply}"
        _assert_signed(driver.ask("sign", serial=other.serial), other)
        time.sleep(0.05)
    _assert_signed(reply, failing)
    _assert_signed(driver.ask("sign", serial=other.serial), other)
    assert set(driver.ask("tokens")["tokens"]) == {failing.serial, other.serial}


def test_a_slot_vanishing_while_the_list_is_read_is_read_again(
    driver: Driver, two_cards: list[VirtualCard]
) -> None:
    serials = {card.serial for card in two_cards}
    assert set(driver.ask("tokens")["tokens"]) == serials
    before = driver.ask("recoveries")["recoveries"]

    driver.vanish(SLOT_LIST_RETRIES)  # every read but the last loses a slot
    assert set(driver.ask("tokens")["tokens"]) == serials
    assert driver.ask("recoveries")["recoveries"] == before

    driver.vanish(SLOT_LIST_RETRIES + 1)  # the slot stays away: the module is recovered
    assert set(driver.ask("tokens")["tokens"]) == serials
    assert driver.ask("recoveries")["recoveries"] == before + 1
