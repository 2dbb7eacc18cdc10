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


def _serials(conf: Path) -> set[str]:
    """Serials of the tokens in the configuration's token directory (SoftHSM2 names each
    token directory by a UUID ending in the serial)."""
    line = next(
        line for line in conf.read_text().splitlines() if line.startswith("directories.tokendir")
    )
    tokens = Path(line.split("=", 1)[1].strip())
    return {d.name.replace("-", "")[-16:] for d in tokens.iterdir() if d.is_dir()}


@pytest.fixture(scope="session")
def hsm_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pkcs11Module, list[str]]:
    """Three fresh SoftHSM2 tokens (in the session's SOFTHSM2_CONF, else a private one)."""
    if not SOFTHSM_MODULE.exists() or not Path(SOFTHSM_UTIL).exists():
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    existing = os.environ.get("SOFTHSM2_CONF")
    if existing and Path(existing).is_file():
        # Another session fixture already chose the configuration: add the cards to it.
        conf = Path(existing)
    else:
        root = tmp_path_factory.mktemp("softhsm")
        (root / "tokens").mkdir()
        conf = root / "softhsm2.conf"
        conf.write_text(
            f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
            "log.level = ERROR\n"
        )
        os.environ["SOFTHSM2_CONF"] = str(conf)
    before = _serials(conf)
    for _ in ("rsa", "p256", "p384"):
        subprocess.run(
            [SOFTHSM_UTIL, "--init-token", "--free", "--label", HICOS_LABEL,
             "--pin", PIN, "--so-pin", SO_PIN],
            check=True, capture_output=True,
        )  # fmt: skip
    module = load_module(SOFTHSM_MODULE)
    module._handle.reinitialize()  # SoftHSM2 sees tokens made by other processes only then
    return module, sorted(_serials(conf) - before)


@pytest.fixture(scope="session")
def hsm_module(hsm_setup: tuple[Pkcs11Module, list[str]]) -> Pkcs11Module:
    """The SoftHSM2 module holding the token tests' cards."""
    return hsm_setup[0]


@pytest.fixture(scope="session")
def hsm_cards(
    hsm_setup: tuple[Pkcs11Module, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Card]:
    """Three HiCOS-shaped cards: RSA-2048, EC P-256 and EC P-384, all with the HiCOS label."""
    module, serials = hsm_setup
    root = tmp_path_factory.getbasetemp()
    return {
        kind: provision(module, serial, kind, root)
        for kind, serial in zip(("rsa", "p256", "p384"), serials, strict=True)
    }


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
