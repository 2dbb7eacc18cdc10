"""Fixtures for the service tests: the service on the session's SoftHSM2 virtual cards."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import TRUSTED, LiveService, UserAnswers, client_for, serve
from starlette.testclient import TestClient

from xcapki.service import ServiceConfig
from xcapki.testing import StandardCards


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it (the
    same lock file as the token tests)."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def user() -> UserAnswers:
    return UserAnswers()


@pytest.fixture
def config(softhsm_cards: StandardCards, tmp_path: Path, user: UserAnswers) -> ServiceConfig:
    """Page PIN mode on the virtual cards' module, with TRUSTED already trusted; the /addDomain
    popup's trust button works at once (its delay is tested on its own)."""
    trust_file = tmp_path / "trusted-origins.json"
    trust_file.write_text(f'{{"origins": ["{TRUSTED.removeprefix("https://")}"]}}')
    return ServiceConfig(
        module_path=softhsm_cards.xca.module_path,
        trust_list_path=trust_file,
        pin_prompter=user.ask_pin,
        domain_approver=user.approve,
        approval_delay_seconds=0.0,
    )


@pytest.fixture
def client(config: ServiceConfig) -> Iterator[TestClient]:
    with client_for(config) as test_client:
        yield test_client


@pytest.fixture
def live(config: ServiceConfig) -> Iterator[LiveService]:
    yield from serve(config)
