"""The README's example runs as written, on a virtual XCA card that is the only card."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, softhsm_config

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart.py"


def test_quickstart_signs_verifies_and_names_the_organisation(
    test_pki: TestPki, tmp_path: Path
) -> None:
    conf = softhsm_config(tmp_path)
    card = provision_softhsm_card(
        test_pki,
        CardSpec(
            authority=Authority.XCA,
            organisation_name="快速入門事務所",
            unified_business_number="24681357",
        ),
        softhsm_conf=conf,
    )
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={
            **os.environ,
            **card.environment,
            "XCAPKI_PKCS11_MODULE": str(card.module_path),
            "XCAPKI_PIN": card.pin,
        },
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["XCA", "快速入門事務所", "24681357"]
