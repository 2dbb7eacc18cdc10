"""Web eID: tokens validated per second, and the native host's round trip.

One virtual XCA card (SoftHSM2, RSA-2048) in a fresh store signs N Web eID
tokens (``H(origin) || H(nonce)``, RS256) and N CMS login responses in the
SmartPKI shape (detached, no attributes), each answering its own challenge.
Then, in one run, taking turns on tenths of the answers:

- Web eID: ``WebEidValidator.validate`` with the Taiwan profile and the
  XCA-only policy (JSON, certificate, single-use challenge, purpose, profile
  and policy, path with OCSP hard-fail against the test PKI's loopback
  responder, cached until nextUpdate, and the signature);
- CMS: ``PortalLogin.verify_response`` on the SmartPKI-shape responses with
  the same trust store, policy and revocation mode.

Then the native host as a browser uses it: start ``xcapki native-host``, read
its version (the handshake), send ``authenticate`` and read the token (the
PIN from the test pinentry program, a Python process of its own), R times.

Run: .venv/bin/python bench/webeid.py [--tokens 1000] [--round-trips 10]
The last line is JSON with webeid_per_s, cms_per_s, ratio, handshake_ms,
authenticate_ms.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import (
    CPA_FILING_POLICY,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    respond,
)
from xcapki.login.webeid import WebEidRules, WebEidValidator, challenge_nonce, signed_payload
from xcapki.testing import (
    CardSpec,
    TestPki,
    find_softhsm2_module,
    provision_softhsm_card,
    serve_pki,
    softhsm_config,
)
from xcapki.testing.pinentry import SCRIPT_ENVIRONMENT_VARIABLE, ScriptedPinentry
from xcapki.token import TokenSelector, TokenSession, load_module, login

ORIGIN = "https://portal.example.tw"
SESSION = "bench-session-webeid-3f9a1c7e5b2d4f60a8c3"
PIN = "123456"
ROUNDS = 10


def interleaved(contenders: dict[str, Callable[[int], object]], count: int) -> dict[str, float]:
    """Answers per second of each contender, each handling every index once, in turns."""
    spent = dict.fromkeys(contenders, 0.0)
    size = max(count // ROUNDS, 1)
    for first in range(0, count, size):
        indices = range(first, min(first + size, count))
        for name, action in contenders.items():
            start = time.perf_counter()
            for index in indices:
                action(index)
            spent[name] += time.perf_counter() - start
    return {name: count / seconds for name, seconds in spent.items()}


def tokens(session: TokenSession, portal: PortalLogin, count: int) -> list[tuple[str, str]]:
    """``count`` (challenge id, token JSON) pairs signed on the card."""
    signer = session.signer()
    der = signer.certificate.public_bytes(Encoding.DER)
    certificate = base64.b64encode(der).decode()
    made = []
    for _ in range(count):
        challenge = portal.issue_challenge(SESSION)
        payload = signed_payload(ORIGIN, challenge_nonce(challenge), HashAlgorithm.SHA256)
        signature = signer.sign(
            payload, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
        )
        token = {
            "unverifiedCertificate": certificate,
            "algorithm": "RS256",
            "signature": base64.b64encode(signature).decode(),
            "format": "web-eid:1.0",
            "appVersion": "bench",
        }
        made.append((challenge.challenge_id, json.dumps(token)))
    return made


def cms_answers(session: TokenSession, portal: PortalLogin, count: int) -> list[str]:
    return [
        respond(
            portal.issue_challenge(SESSION), session, response_format=ResponseFormat.SMARTPKI
        ).to_json()
        for _ in range(count)
    ]


def round_trips(store: Path, directory: Path, count: int) -> tuple[list[float], list[float]]:
    """Milliseconds to the host's version, and from authenticate to the token, ``count`` times."""
    dialogs = ScriptedPinentry(directory)
    environment = {
        **os.environ,
        "SOFTHSM2_CONF": str(store),
        SCRIPT_ENVIRONMENT_VARIABLE: str(dialogs.script),
    }
    command = [
        sys.executable, "-m", "xcapki", "native-host", "--module", str(find_softhsm2_module()),
        "--pinentry", str(dialogs.program), "--sites", str(directory / "sites.json"),
    ]  # fmt: skip
    handshakes, authentications = [], []
    request = json.dumps(
        {"command": "authenticate", "arguments": {"challengeNonce": "n" * 44, "origin": ORIGIN}}
    ).encode()
    for _ in range(count):
        dialogs.answer({"pin": PIN})
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment
        )
        assert process.stdin is not None
        assert process.stdout is not None
        read(process.stdout)
        shaken = time.perf_counter()
        process.stdin.write(struct.pack("=I", len(request)) + request)
        process.stdin.flush()
        answer = read(process.stdout)
        done = time.perf_counter()
        process.stdin.close()
        process.wait()
        if answer.get("format") != "web-eid:1.0":
            raise SystemExit(f"the host did not authenticate: {answer}")
        handshakes.append((shaken - start) * 1000)
        authentications.append((done - shaken) * 1000)
    return handshakes, authentications


def read(stream: IO[bytes]) -> dict[str, object]:
    (length,) = struct.unpack("=I", stream.read(4))
    answer: dict[str, object] = json.loads(stream.read(length))
    return answer


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--round-trips", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="xcapki-bench-webeid-") as name:
        directory = Path(name)
        pki = TestPki.create(directory / "pki")
        store = softhsm_config(directory / "softhsm")
        os.environ["SOFTHSM2_CONF"] = str(store)
        card = provision_softhsm_card(
            pki,
            CardSpec(
                authority=Authority.XCA,
                organisation_name="測試聯合會計師事務所",
                unified_business_number="12345678",
            ),
            softhsm_conf=store,
            pin=PIN,
        )
        trust = (
            TrustStore.empty()
            .with_roots(pki.root.certificate)
            .with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))
        )
        with serve_pki(pki):
            shared = MemoryChallengeStore()
            portal = PortalLogin(
                origin=ORIGIN,
                trust_store=trust,
                policy=CPA_FILING_POLICY,
                store=shared,
                revocation_mode=RevocationMode.HARD_FAIL,
            )
            validator = WebEidValidator(
                origin=ORIGIN,
                store=shared,
                trust_store=trust,
                rules=WebEidRules.TAIWAN_PROFILE,
                policy=CPA_FILING_POLICY,
                revocation_mode=RevocationMode.HARD_FAIL,
            )
            module = load_module(card.module_path)
            with login(module, TokenSelector(serial=card.serial), pin=PIN) as session:
                signed = tokens(session, portal, args.tokens + 1)
                bodies = cms_answers(session, portal, args.tokens + 1)
            # one login each first: both fetch OCSP and build the path once, outside the timing
            warm_id, warm_token = signed.pop()
            validator.validate(warm_token, challenge_id=warm_id, session_id=SESSION)
            portal.verify_response(SESSION, bodies.pop())
            rates = interleaved(
                {
                    "webeid": lambda i: validator.validate(
                        signed[i][1], challenge_id=signed[i][0], session_id=SESSION
                    ),
                    "cms": lambda i: portal.verify_response(SESSION, bodies[i]),
                },
                args.tokens,
            )
        handshakes, authentications = round_trips(store, directory, args.round_trips)
    handshake = statistics.median(handshakes)
    authenticate = statistics.median(authentications)
    print(
        f"tokens validated: Web eID {rates['webeid']:.0f}/s, CMS (SmartPKI shape) "
        f"{rates['cms']:.0f}/s, ratio {rates['webeid'] / rates['cms']:.2f}"
    )
    print(
        f"native host (median of {args.round_trips}): start to version {handshake:.0f} ms, "
        f"authenticate to token {authenticate:.0f} ms (with the pinentry process)"
    )
    print(json.dumps({
        "webeid_per_s": round(rates["webeid"]),
        "cms_per_s": round(rates["cms"]),
        "ratio": round(rates["webeid"] / rates["cms"], 2),
        "handshake_ms": round(handshake, 1),
        "authenticate_ms": round(authenticate, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
