"""Fixtures for the token layer: SoftHSM2 cards shaped like HiCOS cards, and opencryptoki.

SoftHSM2 reads SOFTHSM2_CONF once, when the module is first initialised, so
the configuration is set for the whole session before any test loads it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from token_cards import HICOS_LABEL, PIN, SO_PIN, SOFTHSM_MODULE, SOFTHSM_UTIL, Card, provision

from xcapki.token import Pkcs11Module, load_module


@pytest.fixture(scope="session")
def softhsm_module(tmp_path_factory: pytest.TempPathFactory) -> Pkcs11Module:
    """SoftHSM2 under a session-private token directory, loaded once."""
    if not SOFTHSM_MODULE.exists() or not Path(SOFTHSM_UTIL).exists():
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for _ in ("rsa", "p256", "p384"):
        subprocess.run(
            [SOFTHSM_UTIL, "--init-token", "--free", "--label", HICOS_LABEL,
             "--pin", PIN, "--so-pin", SO_PIN],
            check=True, capture_output=True,
        )  # fmt: skip
    return load_module(SOFTHSM_MODULE)


@pytest.fixture(scope="session")
def softhsm_cards(
    softhsm_module: Pkcs11Module, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Card]:
    """Three HiCOS-shaped cards: RSA-2048, EC P-256 and EC P-384, all with the HiCOS label."""
    serials = [t.serial for t in softhsm_module.tokens() if t.label == HICOS_LABEL]
    root = tmp_path_factory.getbasetemp()
    return {
        kind: provision(softhsm_module, serial, kind, root)
        for kind, serial in zip(("rsa", "p256", "p384"), serials, strict=True)
    }


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
