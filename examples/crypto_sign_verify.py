"""Sign a login challenge in the HiPKI and SmartPKI shapes, then verify it as a portal would.

Runs without a card: a test XCA card from xcapki.testing stands in, signing
through ``KeySigner``. With a real card, pass the token layer's signer instead.

    .venv/bin/python examples/crypto_sign_verify.py
"""

from __future__ import annotations

import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    CmsError,
    sign_hipki,
    sign_smartpki,
    verify_cms,
    verify_signed_data,
)
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.testing import CardSpec, TestPki, serve_pki


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="xcapki-example-") as directory:
        pki = TestPki.create(Path(directory) / "pki")
        card = pki.issue_card(
            CardSpec(authority=Authority.XCA, organisation_name="範例會計師事務所")
        )
        key = card.signing.private_key
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SystemExit("the test card should hold an RSA key")
        signer = KeySigner(private_key=key, certificate=card.signing.certificate)

        challenge = b"https://portal.example.tw|" + secrets.token_hex(32).encode()

        # The HiPKI local server's PKCS7 shape: attached, signingTime, nonce, card serial.
        hipki = sign_hipki(
            challenge,
            signer,
            nonce=secrets.token_bytes(32),
            card_serial=card.card_serial,
            include_chain=(card.issuer,),
        )
        result = verify_cms(hipki, content=challenge, now=datetime.now(UTC))
        assert result.attributes is not None
        print(f"HiPKI shape:    intact={result.intact} card={result.attributes.card_serial}")

        # The SmartPKI shape: detached, no signed attributes.
        smartpki = sign_smartpki(challenge, signer, include_chain=(card.issuer,))
        print(f"SmartPKI shape: intact={verify_cms(smartpki, content=challenge).intact}")

        # A portal also asks: does the card chain to the root, and is it revoked?
        with serve_pki(pki):
            validator = ChainValidator(
                TrustStore.empty().with_roots(pki.root.certificate),
                revocation_mode=RevocationMode.HARD_FAIL,
            )
            checked = verify_signed_data(hipki, validator=validator, content=challenge)
            print(
                f"full check:     intact={checked.intact} trusted={checked.trusted} "
                f"revocation={checked.revocation.state.value}"
            )

        # A signature over other bytes is refused with its own error.
        try:
            verify_cms(smartpki, content=challenge + b"tampered")
        except CmsError as error:
            print(f"tampered:       {type(error).__name__}")


if __name__ == "__main__":
    main()
