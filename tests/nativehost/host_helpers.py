"""Shared pieces of the native host tests: cards, the test pinentry's script, a host on pipes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    VirtualCard,
)
from xcapki.testing.keys import KeyAlgorithm
from xcapki.testing.pinentry import ScriptedPinentry

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
    "expired": dataclasses.replace(
        XCA_FIRM,
        not_before=dt.datetime.now(dt.UTC) - dt.timedelta(days=800),
        not_after=dt.datetime.now(dt.UTC) - dt.timedelta(days=1),
    ),
    "moeaca_secondary": CardSpec(
        authority=Authority.MOEACA,
        organisation_name="測試科技股份有限公司",
        unified_business_number="24681357",
        card_rank="附卡",
    ),
    "absent": None,
}
SECONDARY_WITH_USER_DATA = "moeaca_secondary"
"""The card whose store also gets an attribute certificate (its user data)."""


@dataclass(frozen=True)
class Store:
    """A SoftHSM2 store holding one card (or none)."""

    conf: Path
    card: VirtualCard | None
    user_data: bytes | None = None


Dialogs = ScriptedPinentry
"""The test pinentry's script and log (``xcapki.testing.pinentry``)."""


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
