"""TokenSigner.sign_digest: a digest computed elsewhere, signed as PKCS#1 v1.5 DigestInfo
(RSA) or bare ECDSA, checked with ``cryptography``'s Prehashed verification."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from xcapki.algorithms import HashAlgorithm
from xcapki.testing import StandardCards
from xcapki.token import TokenSelector, load_module, login
from xcapki.token.errors import DataError

pytestmark = pytest.mark.softhsm


@pytest.mark.parametrize("kind", ["xca", "xca_ec"])
@pytest.mark.parametrize("algorithm", list(HashAlgorithm))
def test_a_digest_signature_verifies_as_a_signature_of_the_data(
    softhsm_cards: StandardCards, kind: str, algorithm: HashAlgorithm
) -> None:
    card = getattr(softhsm_cards, kind)
    data = b"signed elsewhere's digest"
    digest = hashlib.new(algorithm.value.replace("SHA", "sha"), data).digest()
    with login(load_module(card.module_path), TokenSelector(serial=card.serial), pin=card.pin) as s:
        signer = s.signer()
        signature = signer.sign_digest(digest, hash_algorithm=algorithm)
        key = signer.certificate.public_key()
    prehashed = utils.Prehashed(algorithm.new())
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, digest, padding.PKCS1v15(), prehashed)
        key.verify(signature, data, padding.PKCS1v15(), algorithm.new())
    else:
        assert isinstance(key, ec.EllipticCurvePublicKey)
        key.verify(signature, digest, ec.ECDSA(prehashed))


def test_a_digest_of_the_wrong_length_is_refused_before_the_card(
    softhsm_cards: StandardCards,
) -> None:
    card = softhsm_cards.xca
    session = login(load_module(card.module_path), TokenSelector(serial=card.serial), pin=card.pin)
    with session, pytest.raises(DataError, match="32 bytes, not 20"):
        session.signer().sign_digest(b"x" * 20, hash_algorithm=HashAlgorithm.SHA256)
