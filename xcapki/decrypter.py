"""The ``Decrypter`` protocol: what opening a CMS envelope needs from a key, and nothing more.

It sits below every layer, beside ``Signer``: the token layer implements it
with a card's encryption (KEYX) key, the crypto layer's ``KeyDecrypter`` with
a key file, and envelope code decrypts through it without touching a card.
A decrypter only unwraps the small content-encryption key (RSA key
transport); the content itself is decrypted on the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol, runtime_checkable

from cryptography import x509

from xcapki.algorithms import HashAlgorithm

__all__ = ["PKCS1V15", "Decrypter", "KeyTransport", "RsaOaep", "RsaPkcs1v15"]


@dataclass(frozen=True, slots=True)
class RsaPkcs1v15:
    """RSAES-PKCS1-v1_5 key transport (rsaEncryption): what most CMS peers send by default."""


PKCS1V15: Final = RsaPkcs1v15()
"""The one ``RsaPkcs1v15`` value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RsaOaep:
    """RSAES-OAEP key transport; CMS's defaults are SHA-1 for both hashes and no label."""

    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA1
    mgf1_hash: HashAlgorithm = HashAlgorithm.SHA1
    label: bytes = b""


KeyTransport = RsaPkcs1v15 | RsaOaep
"""How an RSA key wraps a content-encryption key."""


@runtime_checkable
class Decrypter(Protocol):
    """A private key with its certificate, able to undo RSA key transport.

    ``decrypt`` returns the key-transport plaintext. A ciphertext the key
    cannot decrypt (bad padding, wrong length) raises the crypto layer's
    ``DecryptionError`` (file keys) or the token layer's ``DataError``
    (cards); envelope code turns both into one ``DecryptionError``, so no
    caller can tell which check failed. Other errors (a PIN, a removed card,
    a mechanism the card lacks) say nothing about the ciphertext and pass.
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    def decrypt(self, ciphertext: bytes, *, padding: KeyTransport) -> bytes: ...
