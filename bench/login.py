"""Login verification speed: xcapki's verifier vs pyHanko's generic CMS validation.

One test XCA card (RSA-2048, file key) answers N challenges in the HiPKI
shape (attached PKCS7 with signingTime and nonce, certb64). Then, in one run:

- xcapki: ``PortalLogin.verify_response`` on each POST body, the steps of
  docs/login-checks.md in order: JSON and the strict CMS parse (once), the
  single-use challenge from the memory store, content binding,
  signature, profile, XCA-only policy, trusted path with OCSP hard-fail
  against the test PKI's loopback responder (answers cached until nextUpdate);
- pyHanko: ``async_validate_cms_signature`` on the same CMS with the same
  root and the XCA CA as a helper certificate, key usage digitalSignature
  (no revocation fetching: it does less than xcapki);
- xcapki with the Redis store instead of memory (a private redis-server is
  started on a free loopback port and stopped by PID), when redis-server is
  installed.

Run: .venv/bin/python bench/login.py [--logins 1000]
xcapki and pyHanko take turns on tenths of the responses (load falls on both alike).
The last line is JSON with xcapki_per_s, pyhanko_per_s, ratio, redis_per_s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import CPA_FILING_POLICY, ChallengeStore, PortalLogin, ResponseFormat, respond
from xcapki.login.redis_store import RedisChallengeStore
from xcapki.testing import CardSpec, TestPki, serve_pki

ORIGIN = "https://portal.example.tw"
SESSION = "bench-session-4c1d9e7a2b5f8e3c6a0d1b4f7e2a5c8d"


ROUNDS = 10
"""The contenders take turns on slices of the responses, so load from other
processes on a shared machine falls on both alike."""


def interleaved(
    contenders: dict[str, Callable[[str], object]], bodies: Sequence[str]
) -> dict[str, float]:
    """Responses per second of each contender, each handling every body once, in turns."""
    spent = dict.fromkeys(contenders, 0.0)
    size = max(len(bodies) // ROUNDS, 1)
    for first in range(0, len(bodies), size):
        piece = bodies[first : first + size]
        for name, action in contenders.items():
            start = time.perf_counter()
            for body in piece:
                action(body)
            spent[name] += time.perf_counter() - start
    return {name: len(bodies) / seconds for name, seconds in spent.items()}


def answers(portal: PortalLogin, signer: KeySigner, count: int) -> list[str]:
    """``count`` POST bodies, each answering its own fresh challenge."""
    return [
        respond(
            portal.issue_challenge(SESSION), signer, response_format=ResponseFormat.HIPKI
        ).to_json()
        for _ in range(count)
    ]


def build_portal(pki: TestPki, store: ChallengeStore | None) -> PortalLogin:
    trust = TrustStore.empty().with_roots(pki.root.certificate)
    trust = trust.with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))
    return PortalLogin(
        origin=ORIGIN,
        trust_store=trust,
        policy=CPA_FILING_POLICY,
        store=store,
        revocation_mode=RevocationMode.HARD_FAIL,
    )


def verifier_of(portal: PortalLogin) -> Callable[[str], object]:
    def verify(body: str) -> None:
        login = portal.verify_response(SESSION, body)
        if login.identity.unified_business_number != "12345678":
            raise SystemExit("the verifier returned the wrong identity")

    return verify


def pyhanko_validator(pki: TestPki) -> Callable[[str], object]:
    """pyHanko's generic CMS validation of a response's CMS, on one event loop."""

    def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))

    context = ValidationContext(
        trust_roots=[asn1(pki.root.certificate)],
        other_certs=[asn1(pki.ca(Authority.XCA).certificate)],
    )
    usage = KeyUsageConstraints(key_usage={"digital_signature"})
    loop = asyncio.new_event_loop()

    def validate(body: str) -> None:
        signed_data = cms.ContentInfo.load(_signature(body))["content"]
        status = loop.run_until_complete(
            async_validate_cms_signature(
                signed_data, validation_context=context, key_usage_settings=usage
            )
        )
        if not (status.intact and status.valid and status.trusted):
            raise SystemExit(f"pyHanko refused the signature: {status.summary()}")

    return validate


def _signature(body: str) -> bytes:
    return base64.b64decode(json.loads(body)["hipki"]["signature"])


def redis_rate(pki: TestPki, signer: KeySigner, count: int) -> float | None:
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server is not installed: no Redis figure")
        return None
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory(prefix="xcapki-bench-redis-") as directory:
        command = [
            binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", directory,
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            store = RedisChallengeStore.from_url(f"redis://127.0.0.1:{port}/0")
            portal = build_portal(pki, store)
            deadline = time.monotonic() + 10
            while True:
                try:
                    bodies = answers(portal, signer, count)
                    break
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            verify = verifier_of(portal)
            verify(bodies[0])
            return interleaved({"redis": verify}, bodies[1:])["redis"]
        finally:
            process.terminate()
            process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=1000, help="responses per contender")
    count = max(parser.parse_args().logins, 20)

    with tempfile.TemporaryDirectory(prefix="xcapki-bench-login-") as directory:
        pki = TestPki.create(Path(directory) / "pki")
        card = pki.issue_card(
            CardSpec(
                authority=Authority.XCA,
                organisation_name="效能測試事務所",
                unified_business_number="12345678",
            )
        )
        signer = KeySigner(
            private_key=card.signing.private_key, certificate=card.signing.certificate
        )
        with serve_pki(pki):
            portal = build_portal(pki, None)
            bodies = answers(portal, signer, count)
            verify = verifier_of(portal)
            verify(bodies[0])
            rates = interleaved({"xcapki": verify, "pyhanko": pyhanko_validator(pki)}, bodies[1:])
            xcapki, pyhanko = rates["xcapki"], rates["pyhanko"]
            statistics = portal.verifier.validator.statistics()
            redis = redis_rate(pki, signer, count)

    ratio = xcapki / pyhanko
    print(f"response: HiPKI shape, RSA-2048/SHA-256, {len(bodies[0])} bytes of JSON")
    print(
        f"xcapki verify_response (memory store, OCSP hard-fail, cached): {xcapki:8.0f} /s"
        f"   [OCSP requests {statistics.ocsp_requests}]"
    )
    print(f"pyHanko async_validate_cms_signature (same CMS, same root): {pyhanko:8.0f} /s")
    if redis is not None:
        print(f"xcapki with the Redis store:                                {redis:8.0f} /s")
    print(f"xcapki / pyHanko: {ratio:.1f}x (target >= 5x)")
    print(
        json.dumps(
            {
                "xcapki_per_s": round(xcapki, 1),
                "pyhanko_per_s": round(pyhanko, 1),
                "ratio": round(ratio, 2),
                "redis_per_s": None if redis is None else round(redis, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
