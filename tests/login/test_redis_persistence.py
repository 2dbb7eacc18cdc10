"""Single use through a crash of one Redis server, whatever it persists; the persistence policy.

Each test runs its own redis-server, kills it by its PID between the
login and the restart, and replays the login against the restarted server.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from login_helpers import SESSION, card_signer

from xcapki.crypto.validation import RevocationMode
from xcapki.login import ChallengeUnknownError, LoginConfigurationError, PortalLogin, respond
from xcapki.login.redis_store import PersistencePolicy, RedisChallengeStore, RedisPersistence
from xcapki.testing import PkiServices, StandardCards
from xcapki.testing.redis_servers import LocalRedisServer, redis_server_missing_reason

pytestmark = pytest.mark.redis

_CONFIGURATIONS = {
    RedisPersistence.SNAPSHOT_ONLY: ["save 3600 1", "appendonly no"],
    RedisPersistence.AOF_EVERYSEC: ['save ""', "appendonly yes", "appendfsync everysec"],
    RedisPersistence.AOF_ALWAYS: ['save ""', "appendonly yes", "appendfsync always"],
    RedisPersistence.AOF_NO_FSYNC: ['save ""', "appendonly yes", "appendfsync no"],
    RedisPersistence.NONE: ['save ""', "appendonly no"],
}


@pytest.fixture
def server_with(
    tmp_path: Path, pki_services: PkiServices
) -> Iterator[Callable[..., LocalRedisServer]]:
    """Starts redis-servers with the given persistence; stops them by PID at the end.

    The test PKI's responders bind their ports (chosen when the PKI was made) first.
    """
    missing = redis_server_missing_reason()
    if missing is not None:
        pytest.skip(missing)
    started: list[LocalRedisServer] = []

    def start(persistence: RedisPersistence, *extra: str) -> LocalRedisServer:
        settings = [*_CONFIGURATIONS[persistence], *extra]
        server = LocalRedisServer(tmp_path / f"redis{len(started)}", settings=settings)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.softhsm
@pytest.mark.parametrize(
    "persistence",
    [RedisPersistence.SNAPSHOT_ONLY, RedisPersistence.AOF_EVERYSEC, RedisPersistence.AOF_ALWAYS],
    ids=lambda p: p.value,
)
def test_a_taken_challenge_stays_taken_after_redis_is_killed(
    persistence: RedisPersistence,
    server_with: Callable[..., LocalRedisServer],
    make_portal: Callable[..., PortalLogin],
    softhsm_cards: StandardCards,
) -> None:
    server = server_with(persistence)
    prefix = f"test:{uuid.uuid4().hex}:"
    portal = make_portal(
        store=RedisChallengeStore.from_url(server.url, key_prefix=prefix),
        revocation_mode=RevocationMode.OFF,
    )
    signer = card_signer(softhsm_cards.xca)
    used, unused = portal.issue_challenge(SESSION), portal.issue_challenge(SESSION)
    if persistence is RedisPersistence.SNAPSHOT_ONLY:
        with server.client() as client:
            client.save()
    login = respond(used, signer)
    portal.verify_response(SESSION, login)

    server.kill()
    server.start()

    with server.client() as client:
        came_back = client.exists(prefix + used.challenge_id) == 1
        unused_kept = client.exists(prefix + unused.challenge_id) == 1
    assert came_back is (persistence is RedisPersistence.SNAPSHOT_ONLY)
    assert unused_kept
    with pytest.raises(ChallengeUnknownError):
        portal.verify_response(SESSION, login)
    with pytest.raises(ChallengeUnknownError):
        portal.verify_response(SESSION, respond(unused, signer))
    fresh = portal.issue_challenge(SESSION)
    assert portal.verify_response(SESSION, respond(fresh, signer)).challenge_id == (
        fresh.challenge_id
    )


@pytest.mark.parametrize("persistence", list(_CONFIGURATIONS), ids=lambda p: p.value)
def test_the_store_reads_how_the_server_persists(
    persistence: RedisPersistence, server_with: Callable[..., LocalRedisServer]
) -> None:
    server = server_with(persistence)
    store = RedisChallengeStore.from_url(server.url)
    assert store.persistence() == {f"127.0.0.1:{server.port}": persistence}
    store.close()


@pytest.mark.parametrize(
    "persistence",
    [RedisPersistence.SNAPSHOT_ONLY, RedisPersistence.NONE, RedisPersistence.AOF_NO_FSYNC],
    ids=lambda p: p.value,
)
def test_refuse_policy_refuses_a_server_that_loses_writes(
    persistence: RedisPersistence, server_with: Callable[..., LocalRedisServer]
) -> None:
    server = server_with(persistence)
    with pytest.raises(LoginConfigurationError, match="appendonly yes"):
        RedisChallengeStore.from_url(server.url, persistence=PersistencePolicy.REFUSE)


@pytest.mark.parametrize(
    "persistence",
    [RedisPersistence.AOF_EVERYSEC, RedisPersistence.AOF_ALWAYS],
    ids=lambda p: p.value,
)
def test_refuse_policy_accepts_an_append_only_file(
    persistence: RedisPersistence, server_with: Callable[..., LocalRedisServer]
) -> None:
    server = server_with(persistence)
    RedisChallengeStore.from_url(server.url, persistence=PersistencePolicy.REFUSE).close()


def test_warn_policy_logs_and_starts(
    server_with: Callable[..., LocalRedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = server_with(RedisPersistence.SNAPSHOT_ONLY)
    with caplog.at_level(logging.WARNING, logger="xcapki.login.redis_store"):
        store = RedisChallengeStore.from_url(server.url, persistence=PersistencePolicy.WARN)
    assert any("snapshot-only" in record.getMessage() for record in caplog.records)
    store.close()


def test_a_server_that_hides_its_configuration(
    server_with: Callable[..., LocalRedisServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = server_with(RedisPersistence.AOF_ALWAYS, 'rename-command CONFIG ""')
    with pytest.raises(LoginConfigurationError, match="cannot confirm"):
        RedisChallengeStore.from_url(server.url, persistence=PersistencePolicy.REFUSE)
    with caplog.at_level(logging.WARNING, logger="xcapki.login.redis_store"):
        RedisChallengeStore.from_url(server.url, persistence=PersistencePolicy.WARN).close()
    assert any("cannot read" in record.getMessage() for record in caplog.records)
    RedisChallengeStore.from_url(server.url).close()


def test_a_challenge_must_live_in_its_own_slot() -> None:
    from redis import Redis

    with pytest.raises(LoginConfigurationError, match="braces"):
        RedisChallengeStore(Redis(), key_prefix="portal:{challenges}:")
