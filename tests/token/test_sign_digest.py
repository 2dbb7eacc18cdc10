"""``TokenSigner.sign_digest``: a digest made elsewhere, signed on the SoftHSM2 virtual cards."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.testing import StandardCards
from xcapki.token import DataError, Pkcs11Module, TokenSelector, login

pytestmark = pytest.mark.softhsm

DOCUMENT = b"the document a server prepared"


@pytest.mark.parametrize(
    ("card_name", "scheme"),
    [("xca", SignatureScheme.RSA_PKCS1V15), ("xca", SignatureScheme.RSA_PSS),
     ("xca_ec", SignatureScheme.ECDSA)],
)  # fmt: skip
def test_a_sha384_digest_verifies_as_a_signature_of_the_document(
    softhsm_module: Pkcs11Module,
    softhsm_cards: StandardCards,
    card_name: str,
    scheme: SignatureScheme,
) -> None:
    card = getattr(softhsm_cards, card_name)
    digest = hashlib.sha384(DOCUMENT).digest()
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        signature = signer.sign_digest(digest, hash_algorithm=HashAlgorithm.SHA384, scheme=scheme)
    key = card.card.signing.certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, DOCUMENT, ec.ECDSA(hashes.SHA384()))
    else:
        assert isinstance(key, rsa.RSAPublicKey)
        pad: padding.AsymmetricPadding = (
            padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48)
            if scheme is SignatureScheme.RSA_PSS
            else padding.PKCS1v15()
        )
        key.verify(signature, digest, pad, utils.Prehashed(hashes.SHA384()))


def test_a_digest_of_the_wrong_length_never_reaches_the_card(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    with (
        login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session,
        pytest.raises(DataError, match="32 bytes"),
    ):
        session.signer().sign_digest(
            b"x" * 20, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
        )
