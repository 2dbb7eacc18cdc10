"""The README's example runs as written, on a virtual XCA card that is the only card; with
several cards it says what to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
    softhsm_config,
)

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


def _run(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**os.environ, **environment},
    )


def _card(test_pki: TestPki, conf: Path, name: str, number: str) -> VirtualCard:
    spec = CardSpec(authority=Authority.XCA, organisation_name=name, unified_business_number=number)
    return provision_softhsm_card(test_pki, spec, softhsm_conf=conf)


def test_quickstart_signs_verifies_and_names_the_organisation(
    test_pki: TestPki, tmp_path: Path
) -> None:
    card = _card(test_pki, softhsm_config(tmp_path), "快速入門事務所", "24681357")
    result = _run(
        {
            **card.environment,
            "XCAPKI_PKCS11_MODULE": str(card.module_path),
            "XCAPKI_PIN": card.pin,
        }
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["XCA", "快速入門事務所", "24681357"]


def test_quickstart_with_two_cards_says_what_to_do_instead_of_a_traceback(
    test_pki: TestPki, tmp_path: Path
) -> None:
    conf = softhsm_config(tmp_path)
    cards = [_card(test_pki, conf, name, "13572468") for name in ("甲事務所", "乙事務所")]
    result = _run(
        {
            **cards[0].environment,
            "XCAPKI_PKCS11_MODULE": str(cards[0].module_path),
            "XCAPKI_PIN": cards[0].pin,
        }
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("quickstart: ")
    assert all(card.serial in result.stderr for card in cards), result.stderr
