"""The native host as browsers run it: a subprocess on pipes, one virtual card per store.

A host sees every token of its SoftHSM2 store and, as with a real reader,
uses the one card present, so each situation (an XCA RSA card, an XCA EC
card, a MOICA card, no card) gets its own store. PINs come from the test
pinentry program (``xcapki.testing.pinentry``), which answers as each test
scripts it and records what the host asked.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    StandardCards,
    TestPki,
    VirtualCard,
    find_softhsm2_module,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.keys import KeyAlgorithm

PIN = "123456"
ORIGIN = "https://portal.example.tw"
XCA_FIRM = CardSpec(
    authority=Authority.XCA,
    organisation_name="測試聯合會計師事務所",
    unified_business_number="12345678",
    organisation_oid="2.16.886.101.90001.1",
)
CARDS: dict[str, CardSpec | None] = {
    "xca": XCA_FIRM,
    "xca_ec": CardSpec(
        authority=Authority.XCA,
        organisation_name="橢圓曲線事務所",
        unified_business_number="87654321",
        key_algorithm=KeyAlgorithm.EC_P256,
    ),
    "moica": CardSpec(
        authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="6789"
    ),
    "absent": None,
}


@dataclass(frozen=True)
class Store:
    """A SoftHSM2 store holding one card (or none)."""

    conf: Path
    card: VirtualCard | None


@pytest.fixture(scope="session")
def stores(
    test_pki: TestPki, softhsm_cards: StandardCards, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Store]:
    made = {}
    for name, spec in CARDS.items():
        conf = softhsm_config(tmp_path_factory.mktemp(f"host-{name}"))
        card = None
        if spec is not None:
            card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=PIN)
        made[name] = Store(conf=conf, card=card)
    return made


def write_pinentry_program(directory: Path) -> Path:
    """An executable that runs the test pinentry with this interpreter."""
    program = directory / "pinentry-test"
    program.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m xcapki.testing.pinentry "$@"\n')
    program.chmod(0o755)
    return program


class Dialogs:
    """The test pinentry's script and log."""

    def __init__(self, directory: Path) -> None:
        self.program = write_pinentry_program(directory)
        self.script = directory / "pinentry.json"
        self.log = directory / "pinentry.log"
        self.answer()

    def answer(self, *answers: dict[str, Any]) -> None:
        self.script.write_text(json.dumps({"answers": list(answers), "log": str(self.log)}))
        self.log.write_text("")

    def asked(self) -> list[tuple[str, str]]:
        lines = self.log.read_text().splitlines()
        return [(entry["command"], entry["argument"]) for entry in map(json.loads, lines)]

    def texts(self, command: str) -> list[str]:
        return [argument for name, argument in self.asked() if name == command]


@pytest.fixture
def dialogs(tmp_path: Path) -> Dialogs:
    return Dialogs(tmp_path)


class Host:
    """One ``xcapki native-host`` process, as the browser starts it."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        self.send_raw(struct.pack("=I", len(body)) + body)

    def receive(self) -> Any:
        assert self.process.stdout is not None
        header = self.process.stdout.read(4)
        assert len(header) == 4, "the host closed its output"
        (length,) = struct.unpack("=I", header)
        return json.loads(self.process.stdout.read(length))

    def ask(self, message: dict[str, Any]) -> Any:
        self.send(message)
        return self.receive()

    def finish(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=30)


@pytest.fixture
def start_host(stores: dict[str, Store], dialogs: Dialogs, tmp_path: Path) -> Iterator[Any]:
    """``start_host(card, *options)``: a host on that card's store, its version already read."""
    started: list[subprocess.Popen[bytes]] = []
    sites = tmp_path / "sites.json"
    sites.write_text(json.dumps({"origins": [ORIGIN]}))

    def start(card: str = "xca", *options: str, pinentry: bool = True) -> Host:
        environment = {
            **os.environ,
            "SOFTHSM2_CONF": str(stores[card].conf),
            "XCAPKI_TEST_PINENTRY": str(dialogs.script),
            "XCAPKI_PINENTRY": str(dialogs.program) if pinentry else "/nonexistent/pinentry",
        }
        command = [
            sys.executable, "-m", "xcapki", "native-host", "chrome-extension://test/",
            "--module", str(find_softhsm2_module()), "--sites", str(sites), *options,
        ]  # fmt: skip
        if not pinentry:
            environment.pop("XCAPKI_PINENTRY")
            environment["PATH"] = "/nonexistent"
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(tmp_path / f"host-{len(started)}.log").open("wb"),
            env=environment,
        )
        started.append(process)
        host = Host(process)
        assert host.receive() == {"version": "2.9.0"}
        return host

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
