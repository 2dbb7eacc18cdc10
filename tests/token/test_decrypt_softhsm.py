"""Decrypting with a virtual card's KEYX key: RSA PKCS#1 v1.5 and OAEP, and refused ciphertexts."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xcapki.algorithms import HashAlgorithm
from xcapki.decrypter import PKCS1V15, Decrypter, KeyTransport, RsaOaep
from xcapki.testing import StandardCards
from xcapki.token import (
    DataError,
    KeyPurpose,
    MechanismError,
    Pkcs11Module,
    TokenSelector,
    login,
)

pytestmark = pytest.mark.softhsm

SECRET = os.urandom(32)


def _encrypt(public: rsa.RSAPublicKey, transport: KeyTransport, data: bytes = SECRET) -> bytes:
    """Encrypt with ``cryptography`` directly, independent of the code under test."""
    if transport == PKCS1V15:
        return public.encrypt(data, padding.PKCS1v15())
    assert isinstance(transport, RsaOaep)
    scheme = padding.OAEP(
        mgf=padding.MGF1(transport.mgf1_hash.new()),
        algorithm=transport.hash_algorithm.new(),
        label=transport.label or None,
    )
    return public.encrypt(data, scheme)


# OAEP with SHA-1, the CMS default, is the only OAEP SoftHSM2 2.6 offers.
TRANSPORTS = [
    PKCS1V15,
    RsaOaep(),
]


@pytest.mark.parametrize("transport", TRANSPORTS, ids=repr)
def test_keyx_key_decrypts_what_its_certificate_encrypts(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, transport: KeyTransport
) -> None:
    card = softhsm_cards.xca
    public = card.card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    ciphertext = _encrypt(public, transport)
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        decrypter = session.decrypter(KeyPurpose.ENCRYPTION)
        assert isinstance(decrypter, Decrypter)
        assert decrypter.certificate == card.card.encryption.certificate
        assert decrypter.decrypt(ciphertext, padding=transport) == SECRET


def test_oaep_with_a_hash_the_token_refuses_is_a_data_error(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """SoftHSM2 2.6 offers OAEP with SHA-1 only; any other hash is refused as a typed error."""
    card = softhsm_cards.xca
    public = card.card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    transport = RsaOaep(hash_algorithm=HashAlgorithm.SHA256, mgf1_hash=HashAlgorithm.SHA256)
    ciphertext = _encrypt(public, transport)
    with (
        login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session,
        pytest.raises(DataError),
    ):
        session.decrypter().decrypt(ciphertext, padding=transport)


CORRUPTIONS = {
    "another key": lambda card, ct: _encrypt(_other_public(card), PKCS1V15),
    "truncated": lambda card, ct: ct[:-1],
    "one bit flipped": lambda card, ct: ct[:-1] + bytes([ct[-1] ^ 1]),
    "zero block": lambda card, ct: bytes(len(ct)),
    "too long": lambda card, ct: ct + b"\0",
    "empty": lambda card, ct: b"",
}


def _other_public(card: object) -> rsa.RSAPublicKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()


@pytest.mark.parametrize("transport", [PKCS1V15, RsaOaep()], ids=repr)
@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_ciphertext_the_card_cannot_decrypt_is_always_a_data_error(
    softhsm_module: Pkcs11Module,
    softhsm_cards: StandardCards,
    transport: KeyTransport,
    corruption: str,
) -> None:
    card = softhsm_cards.xca
    public = card.card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    bad = CORRUPTIONS[corruption](card, _encrypt(public, transport))
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        decrypter = session.decrypter()
        with pytest.raises(DataError) as caught:
            decrypter.decrypt(bad, padding=transport)
        assert str(caught.value) == "the token could not decrypt the ciphertext"
        # The session is still usable afterwards: no operation was left active.
        assert decrypter.decrypt(_encrypt(public, transport), padding=transport) == SECRET


def test_the_signing_key_is_not_chosen_for_decryption(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        assert session.decrypter().token_certificate.key_id == b"KEYX"
        assert session.decrypter().certificate != card.card.signing.certificate


def test_an_ec_card_has_no_key_transport_decrypter(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    with (
        login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session,
        pytest.raises(MechanismError, match="only RSA keys decrypt"),
    ):
        session.decrypter()
