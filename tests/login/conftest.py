"""Fixtures of the login tests: the portal's trust store, verifiers, a private redis-server."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from login_helpers import ORIGIN, SettableClock

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import LoginPolicy, PortalLogin
from xcapki.login.stores import ChallengeStore
from xcapki.testing import PkiServices, StandardCards, TestPki
from xcapki.testing.ports import unused_port
from xcapki.token import TokenSelector, TokenSession, load_module, login


@pytest.fixture(scope="session")
def portal_trust(test_pki: TestPki) -> TrustStore:
    """What a portal trusts: the test GRCA, with the authorities' CA certificates as helpers."""
    return (
        TrustStore.empty()
        .with_roots(test_pki.root.certificate)
        .with_intermediates(*(ca.certificate for ca in test_pki.authorities[1:]))
    )


@pytest.fixture
def make_portal(portal_trust: TrustStore, pki_services: PkiServices) -> Callable[..., PortalLogin]:
    """A fresh ``PortalLogin`` (fresh caches) with the given overrides."""

    def make(
        *,
        policy: LoginPolicy | None = None,
        revocation_mode: RevocationMode = RevocationMode.HARD_FAIL,
        clock: SettableClock | None = None,
        store: ChallengeStore | None = None,
        trust_store: TrustStore | None = None,
        **options: Any,
    ) -> PortalLogin:
        extra: dict[str, Any] = dict(options)
        if policy is not None:
            extra["policy"] = policy
        if clock is not None:
            extra["clock"] = clock
        return PortalLogin(
            origin=ORIGIN,
            trust_store=trust_store or portal_trust,
            store=store,
            revocation_mode=revocation_mode,
            **extra,
        )

    return make


@pytest.fixture(scope="module")
def card_sessions(softhsm_cards: StandardCards) -> Iterator[dict[str, TokenSession]]:
    """Logged-in token sessions on the XCA (RSA and EC) and MOICA virtual cards, by name.

    One session per token per process is the token layer's rule, so the
    module holds them and closes them at its end.
    """
    opened: dict[str, TokenSession] = {}
    try:
        for name in ("xca", "xca_ec", "moica"):
            card = getattr(softhsm_cards, name)
            module = load_module(card.module_path)
            opened[name] = login(module, TokenSelector(serial=card.serial), pin=card.pin)
        yield opened
    finally:
        for session in opened.values():
            session.close()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, stopped by its PID at the end."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server)")
    import redis

    directory: Path = tmp_path_factory.mktemp("redis")
    port = unused_port()
    command = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(directory),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
