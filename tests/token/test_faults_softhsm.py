"""A token that vanishes mid-operation gives a typed error, and the next call recovers.

The fault is real: the SoftHSM2 token's directory is moved away while a
session is logged in, which SoftHSM2 reports as an invalid object handle, as a
HiCOS module reports a pulled card. Moving it back is the card re-inserted; the
module then lists the token again only after a re-initialisation, which the token
layer makes by itself.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.testing import VirtualCard
from xcapki.token import Pkcs11Module, TokenRemovedError, TokenSelector, TokenSigner, login

pytestmark = pytest.mark.softhsm


def _token_directory(card: VirtualCard) -> Path:
    tokens = card.softhsm_conf.parent / "tokens"
    return next(d for d in tokens.iterdir() if d.name.replace("-", "").endswith(card.serial))


def _sign(signer: TokenSigner) -> bytes:
    return signer.sign(
        b"payload", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA
    )


def _sign_once_back(signer: TokenSigner) -> bytes:
    """Sign as a caller retrying would: the module is re-initialised to find the token again,
    no more often than its recovery backoff allows, so the first tries may still fail."""
    deadline = time.monotonic() + 20
    while True:
        try:
            return _sign(signer)
        except TokenRemovedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_token_removed_mid_session_then_restored(
    softhsm_module: Pkcs11Module, pullable_card: VirtualCard, tmp_path: Path
) -> None:
    card = pullable_card
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    directory = _token_directory(card)
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
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
        signature = _sign_once_back(signer)
        public.verify(signature, b"payload", ec.ECDSA(HashAlgorithm.SHA256.new()))
        assert session.token.serial == card.serial
