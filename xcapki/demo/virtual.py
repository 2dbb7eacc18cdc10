"""The demo's virtual XCA card: a test PKI and a SoftHSM2 HiCOS card, made once and reused.

The layout is the one ``xcapki virtual-card create`` uses (``<directory>/pki``
and ``<directory>/softhsm``), so both commands share one test PKI and one
SoftHSM2 store; the demo's own card is recorded in ``demo-card.json`` with
its test PIN and made again when it is missing or about to expire.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509

from xcapki.crypto.authority import Authority
from xcapki.demo.errors import DemoSetupError
from xcapki.testing import (
    CardSpec,
    TestingError,
    TestPki,
    find_softhsm2_module,
    provision_softhsm_card,
    softhsm_config,
)

__all__ = [
    "DEMO_ORGANISATION",
    "DEMO_PIN",
    "DEMO_UNIFIED_BUSINESS_NUMBER",
    "VirtualDemoCard",
    "prepare_virtual_card",
]

DEMO_PIN: Final = "123456"
DEMO_ORGANISATION: Final = "測試聯合會計師事務所"
DEMO_UNIFIED_BUSINESS_NUMBER: Final = "12345678"
DEMO_ORGANISATION_OID: Final = "2.16.886.101.90001.1"
_RECORD: Final = "demo-card.json"
_RENEW_BEFORE: Final = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualDemoCard:
    """The demo card in its store, and the PKI that issued it."""

    pki: TestPki
    module_path: Path
    softhsm_conf: Path
    serial: str
    signing_certificate: x509.Certificate
    created: bool
    """True when this run made the card (or the whole PKI)."""
    pin: str = field(repr=False)


def prepare_virtual_card(directory: Path) -> VirtualDemoCard:
    """The demo card under ``directory``, made if missing; sets ``SOFTHSM2_CONF`` for this process.

    SoftHSM2 reads ``SOFTHSM2_CONF`` once, when a process first loads it, so
    call this before anything in the process loads the PKCS#11 module.
    """
    try:
        module = find_softhsm2_module()
        pki = _pki(directory / "pki")
        conf = softhsm_config(directory / "softhsm")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        record = directory / _RECORD
        reused = _reusable(record, pki, conf)
        if reused is not None:
            serial, certificate = reused
            return VirtualDemoCard(
                pki=pki,
                module_path=module,
                softhsm_conf=conf,
                serial=serial,
                signing_certificate=certificate,
                created=False,
                pin=DEMO_PIN,
            )
        card = provision_softhsm_card(
            pki,
            CardSpec(
                authority=Authority.XCA,
                organisation_name=DEMO_ORGANISATION,
                unified_business_number=DEMO_UNIFIED_BUSINESS_NUMBER,
                organisation_oid=DEMO_ORGANISATION_OID,
            ),
            softhsm_conf=conf,
            pin=DEMO_PIN,
        )
    except TestingError as exc:
        raise DemoSetupError(
            f"the virtual card cannot be made: {exc} (to start afresh, delete {directory})"
        ) from None
    record.write_text(
        json.dumps(
            {"serial": card.serial, "certificate": str(card.card.signing.certificate_path)},
            indent=2,
        )
        + "\n"
    )
    return VirtualDemoCard(
        pki=pki,
        module_path=module,
        softhsm_conf=conf,
        serial=card.serial,
        signing_certificate=card.card.signing.certificate,
        created=True,
        pin=DEMO_PIN,
    )


def _pki(location: Path) -> TestPki:
    if location.exists() and any(location.iterdir()):
        return TestPki.load(location)
    return TestPki.create(location)


def _reusable(record: Path, pki: TestPki, conf: Path) -> tuple[str, x509.Certificate] | None:
    """The recorded card, when its token is in the store and its certificate stays valid."""
    try:
        saved = json.loads(record.read_text())
        serial = str(saved["serial"])
        path = Path(saved["certificate"])
        certificate = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not path.is_relative_to(pki.directory):
        return None
    if certificate.not_valid_after_utc < dt.datetime.now(dt.UTC) + _RENEW_BEFORE:
        return None
    if serial not in _token_serials(conf):
        return None
    return serial, certificate


def _token_serials(conf: Path) -> frozenset[str]:
    """The serials of the tokens in the SoftHSM2 store, read without loading the module here."""
    tool = shutil.which("softhsm2-util")
    if tool is None:
        raise TestingError("softhsm2-util is not installed; install the Debian package softhsm2")
    try:
        listing = subprocess.run(
            [tool, "--show-slots"],
            env={**os.environ, "SOFTHSM2_CONF": str(conf)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise TestingError(
            f"softhsm2-util cannot list the virtual cards ({exc}); install the Debian package "
            "softhsm2"
        ) from None
    return frozenset(re.findall(r"Serial number:\s+(\S+)", listing))
