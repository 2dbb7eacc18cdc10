"""Web eID login for a Python portal: issue a nonce, validate the ``web-eid:1.0`` token.

Run ``python examples/webeid_login.py``: against a throwaway test PKI it
plays the browser side with the card's file key (the extension and native
host make the same token on a real card), validates the token with the
Taiwan profile and the XCA-only policy, then shows three refusals: the same
token again, a token made on another site, and a MOICA card.
"""

from __future__ import annotations

import base64
import json
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login import CPA_FILING_POLICY, ChallengeIssuer, LoginError, MemoryChallengeStore
from xcapki.login.webeid import (
    WebEidRules,
    WebEidValidator,
    challenge_nonce,
    signed_payload,
)
from xcapki.testing import CardSpec, IssuedKey, TestPki, serve_pki

ORIGIN = "https://portal.example.tw"
SESSION = "browser-session-from-the-portal-cookie"


def browser_side(key: IssuedKey, nonce: str, origin: str) -> str:
    """What ``webeid.authenticate(nonce)`` returns on a page of ``origin``, as JSON."""
    assert isinstance(key.private_key, rsa.RSAPrivateKey)
    payload = signed_payload(origin, nonce, HashAlgorithm.SHA256)
    signature = key.private_key.sign(payload, padding.PKCS1v15(), HashAlgorithm.SHA256.new())
    der = key.certificate.public_bytes(serialization.Encoding.DER)
    return json.dumps(
        {
            "unverifiedCertificate": base64.b64encode(der).decode(),
            "algorithm": "RS256",
            "signature": base64.b64encode(signature).decode(),
            "format": "web-eid:1.0",
            "appVersion": "example",
        }
    )


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="xcapki-webeid-") as directory:
        pki = TestPki.create(Path(directory) / "pki")
        xca = pki.issue_card(
            CardSpec(
                authority=Authority.XCA,
                organisation_name="範例聯合會計師事務所",
                unified_business_number="12345678",
                card_serial="TC00000001",
            )
        )
        moica = pki.issue_card(
            CardSpec(
                authority=Authority.MOICA, organisation_name="王小明", card_serial="TC00000002"
            )
        )
        # a token carries no chain: the portal knows the authorities' CA certificates
        trust = (
            TrustStore.empty()
            .with_roots(pki.root.certificate)
            .with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))
        )
        store = MemoryChallengeStore()
        issuer = ChallengeIssuer(origin=ORIGIN, store=store)
        validator = WebEidValidator(
            origin=ORIGIN,
            store=store,
            trust_store=trust,
            rules=WebEidRules.TAIWAN_PROFILE,
            policy=CPA_FILING_POLICY,
            revocation_mode=RevocationMode.HARD_FAIL,
        )
        with serve_pki(pki):
            challenge = issuer.issue(SESSION)
            token = browser_side(xca.signing, challenge_nonce(challenge), ORIGIN)
            login = validator.validate(
                token, challenge_id=challenge.challenge_id, session_id=SESSION
            )
            assert login.identity is not None
            print(
                f"logged in: {login.identity.organisation_name} "
                f"統一編號 {login.identity.unified_business_number} "
                f"({login.algorithm.value}, revocation {login.revocation.state.value})"
            )
            attempts = {
                "the same token again": (token, challenge.challenge_id),
            }
            other = issuer.issue(SESSION)
            phished = browser_side(xca.signing, challenge_nonce(other), "https://phish.example")
            attempts["a token made on another site"] = (phished, other.challenge_id)
            third = issuer.issue(SESSION)
            citizen = browser_side(moica.signing, challenge_nonce(third), ORIGIN)
            attempts["a MOICA card on an XCA-only portal"] = (citizen, third.challenge_id)
            for what, (attempt, challenge_id) in attempts.items():
                try:
                    validator.validate(attempt, challenge_id=challenge_id, session_id=SESSION)
                except LoginError as error:
                    print(f"refused, {what}: {type(error).__name__}")


if __name__ == "__main__":
    main()
