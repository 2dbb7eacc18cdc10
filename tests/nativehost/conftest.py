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
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from host_helpers import CARDS, ORIGIN, PIN, SECONDARY_WITH_USER_DATA, Dialogs, Host, Store

from xcapki.testing import (
    StandardCards,
    TestPki,
    find_softhsm2_module,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.attribute_certificate import issue_attribute_certificate, store_user_data


@pytest.fixture(scope="session")
def stores(
    test_pki: TestPki, softhsm_cards: StandardCards, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Store]:
    made = {}
    for name, spec in CARDS.items():
        conf = softhsm_config(tmp_path_factory.mktemp(f"host-{name}"))
        card = None
        user_data = None
        if spec is not None:
            card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=PIN)
            if name == SECONDARY_WITH_USER_DATA:
                authority = test_pki.ca(spec.authority)
                holder = card.card.signing.certificate
                user_data = issue_attribute_certificate(authority, holder)
                store_user_data(card, user_data)
        made[name] = Store(conf=conf, card=card, user_data=user_data)
    return made


@pytest.fixture
def dialogs(tmp_path: Path) -> Dialogs:
    return Dialogs(tmp_path)


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
