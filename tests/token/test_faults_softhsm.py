"""A token that vanishes mid-operation gives a typed error, and the next call recovers.

The fault is real: the SoftHSM2 token's directory is moved away while a
session is logged in, which SoftHSM2 reports as an invalid object handle, as a
HiCOS module reports a pulled card. Moving it back is the card re-inserted.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from token_cards import Card

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.token import Pkcs11Module, TokenRemovedError, TokenSelector, login

pytestmark = pytest.mark.softhsm


def _token_directory(card: Card) -> Path:
    import os

    tokens = Path(os.environ["SOFTHSM2_CONF"]).parent / "tokens"
    return next(d for d in tokens.iterdir() if d.name.replace("-", "").endswith(card.serial))


def _sign(session_signer: object) -> bytes:
    return session_signer.sign(  # type: ignore[attr-defined,no-any-return]
        b"payload", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA
    )


def test_token_removed_mid_session_then_restored(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card], tmp_path: Path
) -> None:
    card = hsm_cards["p256"]
    public = card.signing_certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    directory = _token_directory(card)
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        _sign(signer)
        shutil.move(directory, tmp_path / "pulled")
        try:
            with pytest.raises(TokenRemovedError, match="next call reconnects") as removed:
                _sign(signer)
            assert removed.value.ckr is not None
            with pytest.raises(TokenRemovedError, match="insert the card"):
                _sign(signer)
        finally:
            shutil.move(tmp_path / "pulled", directory)
        signature = _sign(signer)
        public.verify(signature, b"payload", ec.ECDSA(HashAlgorithm.SHA256.new()))
        assert session.token.serial == card.serial
