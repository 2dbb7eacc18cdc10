"""Reaching each Redis topology from any process, and a verifier worker for the fleet tests.

A ``StoreSpec`` is plain data (picklable), so a spawned verifier process
builds its own store on the same topology as the test.
"""

from __future__ import annotations

import datetime as dt
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import TYPE_CHECKING, Literal

from cryptography import x509

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import ChallengeUnknownError, LoginError, LoginVerifier
from xcapki.login.redis_store import RedisChallengeStore

if TYPE_CHECKING:
    import redis
    from redis.cluster import RedisCluster

StoreSpec = (
    tuple[Literal["server"], str]
    | tuple[Literal["cluster"], list[tuple[str, int]]]
    | tuple[Literal["sentinel"], list[tuple[str, int]], str]
)


def open_store(spec: StoreSpec, key_prefix: str) -> RedisChallengeStore:
    """A store on the topology ``spec`` names, with short timeouts for tests."""
    timeout = dt.timedelta(seconds=1)
    if spec[0] == "server":
        return RedisChallengeStore.from_url(spec[1], key_prefix=key_prefix, timeout=timeout)
    if spec[0] == "cluster":
        return RedisChallengeStore.for_cluster(spec[1], key_prefix=key_prefix, timeout=timeout)
    return RedisChallengeStore.for_sentinel(
        spec[1], spec[2], key_prefix=key_prefix, timeout=timeout
    )


def verify_all_on(
    name: str,
    *,
    spec: StoreSpec,
    key_prefix: str,
    origin: str,
    session_id: str,
    root_pem: bytes,
    intermediate_pems: list[bytes],
    bodies: list[str],
    barrier: Barrier,
    results: Queue[tuple[str, int, str]],
) -> None:
    """Report ("won" | "lost" | error class) per response, racing a rival process for each.

    Revocation is off: the race is about the store.
    """
    trust = TrustStore.empty().with_roots(x509.load_pem_x509_certificate(root_pem))
    trust = trust.with_intermediates(
        *(x509.load_pem_x509_certificate(p) for p in intermediate_pems)
    )
    store = open_store(spec, key_prefix)
    verifier = LoginVerifier(
        origin=origin, store=store, trust_store=trust, revocation_mode=RevocationMode.OFF
    )
    try:
        for index, body in enumerate(bodies):
            barrier.wait(timeout=60)
            try:
                verifier.verify(body, session_id=session_id)
            except ChallengeUnknownError:
                results.put((name, index, "lost"))
            except LoginError as exc:
                results.put((name, index, type(exc).__name__))
            else:
                results.put((name, index, "won"))
    finally:
        store.close()


def raw_client(spec: StoreSpec) -> redis.Redis | RedisCluster:
    """A plain client of the topology's primaries, to look at keys behind the store's back."""
    import redis
    from redis.cluster import ClusterNode, RedisCluster
    from redis.sentinel import Sentinel

    if spec[0] == "server":
        return redis.Redis.from_url(spec[1], socket_timeout=2)
    if spec[0] == "cluster":
        return RedisCluster(startup_nodes=[ClusterNode(h, p) for h, p in spec[1]], socket_timeout=2)
    return Sentinel(spec[1], socket_timeout=2).master_for(spec[2], socket_timeout=2)
