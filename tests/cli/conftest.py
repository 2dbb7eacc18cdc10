"""Fixtures for the CLI tests; the helpers that run the CLI are in cli_helpers.py."""

from __future__ import annotations

import pytest

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    StandardCards,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
)


@pytest.fixture
def fresh_card(test_pki: TestPki, softhsm_cards: StandardCards) -> VirtualCard:
    """A new XCA card of its own, for tests that spend PIN tries (SoftHSM2 counts them)."""
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="錯誤 PIN 測試事務所",
        unified_business_number="32345678",
    )
    return provision_softhsm_card(
        test_pki, spec, softhsm_conf=softhsm_cards.xca.softhsm_conf, pin="123456"
    )
