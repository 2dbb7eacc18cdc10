"""Fixtures for the token layer: the shared virtual HiCOS cards, two private ones, opencryptoki.

Most tests use the session's standard cards (``softhsm_cards``: ``.xca`` is
RSA-2048, ``.xca_ec`` EC P-256). The two cards made here exist because a test
needs what a shared card must not be; both are added with ``Pkcs11Module.refresh``
because other tests may have loaded SoftHSM2 before.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    KeyAlgorithm,
    StandardCards,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
)
from xcapki.token import Pkcs11Module, load_module


@pytest.fixture(scope="session")
def softhsm_module(softhsm_cards: StandardCards) -> Pkcs11Module:
    """SoftHSM2, holding the standard virtual cards."""
    return load_module(softhsm_cards.xca.module_path)


def _added_card(
    pki: TestPki, conf: Path, module: Pkcs11Module, name: str, key: KeyAlgorithm
) -> VirtualCard:
    spec = CardSpec(authority=Authority.XCA, organisation_name=name, key_algorithm=key)
    card = provision_softhsm_card(pki, spec, softhsm_conf=conf)
    module.refresh()
    return card


@pytest.fixture(scope="session")
def p384_card(test_pki: TestPki, softhsm_conf: Path, softhsm_module: Pkcs11Module) -> VirtualCard:
    """An XCA card with EC P-384 keys, which no standard card has.

    Wrong-PIN tests use it too: a wrong PIN sets the token's count-low flag
    until the next good login, which must never leak into tests of shared cards.
    """
    return _added_card(
        test_pki, softhsm_conf, softhsm_module, "P-384 測試事務所", KeyAlgorithm.EC_P384
    )


@pytest.fixture(scope="session")
def pullable_card(
    test_pki: TestPki, softhsm_conf: Path, softhsm_module: Pkcs11Module
) -> VirtualCard:
    """An EC P-256 card the fault test pulls out (moves its token directory away): if
    putting it back failed, a shared card would break every later test."""
    return _added_card(
        test_pki, softhsm_conf, softhsm_module, "拔卡測試事務所", KeyAlgorithm.EC_P256
    )


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
