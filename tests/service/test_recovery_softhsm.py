"""``xcapki serve`` recovers by itself when its card's token becomes unreadable and comes back.

The fault is real: the SoftHSM2 token files of the service's only card are made
unreadable (mode 000) under the running service, then restored. SoftHSM2 drops
the token and lists it again only after C_Finalize + C_Initialize, which the
token layer must make itself. The service runs in its own process, so its
SoftHSM2 sees only this test's store; run as root, it runs without the
capabilities that let root read any file, or the fault would not exist.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from service_helpers import TRUSTED

from xcapki.crypto.authority import Authority
from xcapki.service import HipkiCode
from xcapki.testing import (
    CardSpec,
    KeyAlgorithm,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.ports import unused_port

pytestmark = pytest.mark.softhsm


@pytest.fixture
def card(test_pki: TestPki, tmp_path: Path) -> VirtualCard:
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="讀取故障事務所",
        key_algorithm=KeyAlgorithm.EC_P256,
    )
    return provision_softhsm_card(test_pki, spec, softhsm_conf=softhsm_config(tmp_path / "hsm"))


@pytest.fixture
def service(card: VirtualCard, tmp_path: Path) -> Iterator[httpx.Client]:
    trust = tmp_path / "config" / "xcapki" / "trusted-origins.json"
    trust.parent.mkdir(parents=True)
    trust.write_text(json.dumps({"origins": [TRUSTED.removeprefix("https://")]}))
    port = unused_port()
    command = [sys.executable, "-m", "xcapki", "serve", "--port", str(port)]
    command += ["--module", str(card.module_path)]
    if os.geteuid() == 0:
        command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *command]
    environment = {**os.environ, **card.environment, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    process = subprocess.Popen(command, env=environment, stderr=subprocess.DEVNULL)
    client = httpx.Client(
        base_url=f"http://localhost:{port}", headers={"Origin": TRUSTED}, timeout=30
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.get("/")
                break
            except httpx.TransportError:
                assert process.poll() is None, "xcapki serve exited"
                assert time.monotonic() < deadline, "xcapki serve did not start"
                time.sleep(0.1)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=20)


def _sign(client: httpx.Client, card: VirtualCard) -> dict[str, Any]:
    package = {
        "func": "MakeSignature", "signatureType": "PKCS1", "tbs": "hello", "tbsEncoding": "NONE",
        "hashAlgorithm": "SHA256", "withCardSN": "false", "pin": card.pin,
    }  # fmt: skip
    answer: dict[str, Any] = client.post("/sign", data={"tbsPackage": json.dumps(package)}).json()
    return answer


def _listed(client: httpx.Client) -> list[str]:
    answer = client.get("/pkcs11info").json()
    assert answer["ret_code"] == 0
    return [slot["token"]["serialNumber"] for slot in answer["slots"] if slot["token"]]


def _token_files(card: VirtualCard) -> list[Path]:
    tokens = card.softhsm_conf.parent / "tokens"
    return [path for path in tokens.rglob("*") if path.is_file()]


def test_unreadable_token_files_then_restored(service: httpx.Client, card: VirtualCard) -> None:
    assert _sign(service, card)["ret_code"] == 0
    assert _listed(service) == [card.serial]
    files = _token_files(card)
    modes = {path: path.stat().st_mode for path in files}
    for path in files:
        path.chmod(0)
    try:
        for _ in range(3):
            assert _sign(service, card)["ret_code"] == HipkiCode.NO_CARD
            assert _listed(service) == []
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    deadline = time.monotonic() + 20
    while (answer := _sign(service, card))["ret_code"] != 0:
        assert answer["ret_code"] == HipkiCode.NO_CARD, answer
        assert time.monotonic() < deadline, f"the service never signed again: {answer}"
        time.sleep(0.1)
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(base64.b64decode(answer["signature"]), b"hello", ec.ECDSA(hashes.SHA256()))
    assert _listed(service) == [card.serial]
