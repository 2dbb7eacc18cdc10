"""Card logins on a Redis Sentinel group, through a failover.

Builds a throwaway test PKI with one XCA card (a file key stands in for the
card), starts a Sentinel group on loopback (one primary, two replicas, three
sentinels), and logs in through ``RedisChallengeStore.for_sentinel``. Then it
kills the primary by its PID, waits for the sentinels to promote a replica,
and shows what single use means through a failover: the used challenge stays
used, the challenge that was open is refused (the user signs again), and a
new login works.

    python examples/login_redis_failover.py
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import ChallengeStoreError, LoginError, PortalLogin, respond
from xcapki.login.redis_store import RedisChallengeStore
from xcapki.testing import CardSpec, LocalRedisSentinel, TestPki

SESSION = "example-browser-session-2f9c41d7e8a3b6c5"


def attempt(portal: PortalLogin, label: str, body: str) -> None:
    try:
        login = portal.verify_response(SESSION, body)
    except LoginError as error:
        print(f"{label}: refused ({type(error).__name__})")
    else:
        print(f"{label}: admitted {login.identity.organisation_name}")


def wait_for(store: RedisChallengeStore) -> None:
    """Until the store answers again (a login meanwhile would fail closed)."""
    for _ in range(100):
        try:
            store.take("no-such-challenge-0000")
            return
        except ChallengeStoreError:
            time.sleep(0.2)


def main() -> None:
    # The store logs a warning for each challenge it refuses after a failover.
    logging.basicConfig(stream=sys.stdout, format="  (log) %(message)s")
    with tempfile.TemporaryDirectory(prefix="xcapki-example-sentinel-") as name:
        directory = Path(name)
        # 1. A test PKI and one XCA card; the portal trusts the test root.
        pki = TestPki.create(directory / "pki")
        card = pki.issue_card(
            CardSpec(
                authority=Authority.XCA,
                organisation_name="範例會計師事務所",
                unified_business_number="13572468",
            )
        )
        signer = KeySigner(
            private_key=card.signing.private_key, certificate=card.signing.certificate
        )
        trust = TrustStore.empty().with_roots(pki.root.certificate)
        trust = trust.with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))

        # 2. A Sentinel group, and the portal's store on it.
        group = LocalRedisSentinel(directory / "sentinel")
        group.start()
        try:
            store = RedisChallengeStore.for_sentinel(group.sentinels, group.service_name)
            portal = PortalLogin(
                origin="https://portal.example.tw",
                trust_store=trust,
                store=store,
                revocation_mode=RevocationMode.OFF,
            )
            used = respond(portal.issue_challenge(SESSION), signer).to_json()
            open_one = respond(portal.issue_challenge(SESSION), signer).to_json()
            attempt(portal, "login", used)

            # 3. The primary dies; the sentinels promote a replica.
            killed = group.kill_primary()
            print(f"primary on port {killed.port} killed by its PID")
            deadline = time.monotonic() + 30
            while group.primary_port() == killed.port and time.monotonic() < deadline:
                time.sleep(0.1)
            print(f"new primary on port {group.primary_port()}")

            # 4. Single use through the failover (once the client has found the new primary).
            wait_for(store)
            attempt(portal, "replay of the used response", used)
            attempt(portal, "response to the challenge open during the failover", open_one)
            attempt(portal, "new login", respond(portal.issue_challenge(SESSION), signer).to_json())
            store.close()
        finally:
            group.close()


if __name__ == "__main__":
    main()
