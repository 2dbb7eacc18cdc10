"""The challenge stores: the same behaviour in memory and in a real redis-server."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from login_helpers import ORIGIN, SESSION, card_signer, dead_url
from login_race_worker import verify_all

from xcapki.login import (
    Challenge,
    ChallengeRecord,
    ChallengeStore,
    ChallengeStoreError,
    ChallengeStoreFullError,
    ChallengeUnknownError,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    respond,
)
from xcapki.login.challenge import session_digest
from xcapki.login.redis_store import RedisChallengeStore
from xcapki.testing import StandardCards, TestPki

StoreFactory = Callable[[], ChallengeStore]


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def new_store(request: pytest.FixtureRequest) -> StoreFactory:
    """Makes stores of one kind; Redis stores get a fresh key prefix each."""
    if request.param == "memory":
        return MemoryChallengeStore
    url: str = request.getfixturevalue("redis_url")
    return lambda: RedisChallengeStore.from_url(url, key_prefix=f"test:{uuid.uuid4().hex}:")


def _record(session: str = SESSION) -> ChallengeRecord:
    challenge = Challenge.new(
        origin=ORIGIN, now=dt.datetime.now(dt.UTC), ttl=dt.timedelta(minutes=5)
    )
    return ChallengeRecord(challenge=challenge, session_digest=session_digest(session))


def test_take_returns_the_record_once(new_store: StoreFactory) -> None:
    store = new_store()
    record = _record()
    store.put(record, retain_for=dt.timedelta(minutes=6))
    assert store.take(record.challenge.challenge_id) == record
    assert store.take(record.challenge.challenge_id) is None


def test_unknown_ids_find_nothing(new_store: StoreFactory) -> None:
    store = new_store()
    store.put(_record(), retain_for=dt.timedelta(minutes=6))
    assert store.take(_record().challenge.challenge_id) is None
    assert store.take("not a challenge id") is None


def test_records_keep_their_session_binding(new_store: StoreFactory) -> None:
    store = new_store()
    record = _record("session-a")
    store.put(record, retain_for=dt.timedelta(minutes=6))
    taken = store.take(record.challenge.challenge_id)
    assert taken is not None
    assert taken.belongs_to("session-a")
    assert not taken.belongs_to("session-b")


def test_records_expire_after_their_retention(new_store: StoreFactory) -> None:
    store = new_store()
    short, long = _record(), _record()
    store.put(short, retain_for=dt.timedelta(milliseconds=150))
    store.put(long, retain_for=dt.timedelta(minutes=6))
    time.sleep(0.4)
    assert store.take(short.challenge.challenge_id) is None
    assert store.take(long.challenge.challenge_id) == long


def test_sixteen_threads_race_for_one_challenge(new_store: StoreFactory) -> None:
    store = new_store()
    records = [_record() for _ in range(20)]
    for record in records:
        store.put(record, retain_for=dt.timedelta(minutes=6))
    start = threading.Barrier(16)

    def take_all(_: int) -> list[bool]:
        start.wait()
        return [store.take(r.challenge.challenge_id) is not None for r in records]

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(take_all, range(16)))
    for index in range(len(records)):
        assert sum(outcome[index] for outcome in outcomes) == 1


def test_memory_store_is_bounded() -> None:
    store = MemoryChallengeStore(capacity=3)
    for _ in range(3):
        store.put(_record(), retain_for=dt.timedelta(minutes=6))
    with pytest.raises(ChallengeStoreFullError):
        store.put(_record(), retain_for=dt.timedelta(minutes=6))


def test_memory_store_makes_room_from_expired_records() -> None:
    store = MemoryChallengeStore(capacity=2)
    store.put(_record(), retain_for=dt.timedelta(minutes=6))
    store.put(_record(), retain_for=dt.timedelta(milliseconds=1))
    time.sleep(0.01)
    store.put(_record(), retain_for=dt.timedelta(minutes=6))
    assert len(store) == 2


@pytest.mark.redis
def test_redis_holds_the_challenge_with_a_ttl_and_no_session_id(redis_url: str) -> None:
    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    store = RedisChallengeStore.from_url(redis_url, key_prefix=prefix)
    record = _record()
    store.put(record, retain_for=dt.timedelta(minutes=6))
    client = redis.Redis.from_url(redis_url)
    key = prefix + record.challenge.challenge_id
    assert 5 * 60_000 < client.pttl(key) <= 6 * 60_000
    stored = client.get(key)
    assert stored is not None
    assert SESSION.encode() not in stored
    client.close()


@pytest.mark.redis
def test_redis_refuses_a_second_record_under_the_same_id(redis_url: str) -> None:
    store = RedisChallengeStore.from_url(redis_url, key_prefix=f"test:{uuid.uuid4().hex}:")
    record = _record()
    store.put(record, retain_for=dt.timedelta(minutes=6))
    with pytest.raises(ChallengeStoreError):
        store.put(record, retain_for=dt.timedelta(minutes=6))


@pytest.mark.redis
def test_redis_down_is_a_store_error() -> None:
    nobody = dead_url().replace("http://", "redis://").rstrip("/") + "/0"
    store = RedisChallengeStore.from_url(nobody, timeout=dt.timedelta(milliseconds=300))
    with pytest.raises(ChallengeStoreError):
        store.put(_record(), retain_for=dt.timedelta(minutes=6))
    with pytest.raises(ChallengeStoreError):
        store.take(_record().challenge.challenge_id)


_FOREIGN_VALUES = {
    "not JSON": b"not json",
    "nested too deep": b"[" * 100_000,
    "time out of range": (
        b'{"id":"a","nonce":"AA","origin":"x","issued":99999999999999999999,'
        b'"expires":1,"session":"AA"}'
    ),
}


@pytest.mark.redis
@pytest.mark.parametrize("value", _FOREIGN_VALUES.values(), ids=_FOREIGN_VALUES.keys())
def test_redis_store_with_a_foreign_value_is_a_store_error(redis_url: str, value: bytes) -> None:
    import redis

    prefix = f"test:{uuid.uuid4().hex}:"
    record = _record()
    client = redis.Redis.from_url(redis_url)
    client.set(prefix + record.challenge.challenge_id, value, px=60_000)
    client.close()
    with pytest.raises(ChallengeStoreError):
        RedisChallengeStore.from_url(redis_url, key_prefix=prefix).take(
            record.challenge.challenge_id
        )


@pytest.fixture
def redis_portal(
    redis_url: str, make_portal: Callable[..., PortalLogin]
) -> tuple[PortalLogin, str]:
    prefix = f"test:{uuid.uuid4().hex}:"
    return make_portal(store=RedisChallengeStore.from_url(redis_url, key_prefix=prefix)), prefix


@pytest.mark.redis
@pytest.mark.softhsm
def test_login_through_the_redis_store(
    redis_portal: tuple[PortalLogin, str], softhsm_cards: StandardCards
) -> None:
    portal, _ = redis_portal
    challenge = portal.issue_challenge(SESSION)
    body = respond(challenge, card_signer(softhsm_cards.xca), response_format=ResponseFormat.HIPKI)
    assert portal.verify_response(SESSION, body).identity.unified_business_number == "12345678"
    with pytest.raises(ChallengeUnknownError):
        portal.verify_response(SESSION, body)


@pytest.mark.redis
@pytest.mark.softhsm
def test_two_verifier_processes_race_for_each_challenge(
    redis_url: str,
    redis_portal: tuple[PortalLogin, str],
    softhsm_cards: StandardCards,
    test_pki: TestPki,
) -> None:
    portal, prefix = redis_portal
    signer = card_signer(softhsm_cards.xca)
    bodies = [respond(portal.issue_challenge(SESSION), signer).to_json() for _ in range(12)]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results: multiprocessing.Queue[tuple[str, int, str]] = context.Queue()
    arguments = {
        "redis_url": redis_url,
        "key_prefix": prefix,
        "origin": ORIGIN,
        "session_id": SESSION,
        "root_pem": test_pki.root.certificate.public_bytes(Encoding.PEM),
        "intermediate_pems": [
            ca.certificate.public_bytes(Encoding.PEM) for ca in test_pki.authorities[1:]
        ],
        "bodies": bodies,
        "barrier": barrier,
        "results": results,
    }
    workers = [
        context.Process(target=verify_all, args=(name,), kwargs=arguments)
        for name in ("first", "second")
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * len(bodies))]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    for index in range(len(bodies)):
        verdicts = sorted(v for _, i, v in outcomes if i == index)
        assert verdicts == ["lost", "won"], verdicts
    winners = {name for name, _, verdict in outcomes if verdict == "won"}
    assert winners, "no process ever won"
