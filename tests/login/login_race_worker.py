"""A verifier process for the Redis race: verify each response at the same moment as its rival."""

from __future__ import annotations

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from cryptography import x509

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import ChallengeUnknownError, LoginError, LoginVerifier
from xcapki.login.redis_store import RedisChallengeStore


def verify_all(
    name: str,
    *,
    redis_url: str,
    key_prefix: str,
    origin: str,
    session_id: str,
    root_pem: bytes,
    intermediate_pems: list[bytes],
    bodies: list[str],
    barrier: Barrier,
    results: Queue[tuple[str, int, str]],
) -> None:
    """Report ("won" | "lost" | error class) for each response, one round per response.

    Revocation is off here: the race is about the store, and the child
    processes need not reach the parent's OCSP responders.
    """
    trust = TrustStore.empty().with_roots(x509.load_pem_x509_certificate(root_pem))
    trust = trust.with_intermediates(
        *(x509.load_pem_x509_certificate(p) for p in intermediate_pems)
    )
    verifier = LoginVerifier(
        origin=origin,
        store=RedisChallengeStore.from_url(redis_url, key_prefix=key_prefix),
        trust_store=trust,
        revocation_mode=RevocationMode.OFF,
    )
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
