"""A ``Decrypter`` over a ``cryptography`` RSA private key, for tests and for file keys.

A server that keeps its encryption key in a PKCS#12 or PEM file opens
envelopes through this instead of a card.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from xcapki.crypto.cms._envelope import DecryptionError, EnvelopeUsageError, rsa_padding
from xcapki.decrypter import KeyTransport

__all__ = ["KeyDecrypter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyDecrypter:
    """An RSA private key and its certificate, satisfying the ``Decrypter`` protocol.

    The key must belong to the certificate; a mismatch is refused at
    construction.
    """

    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey):
            raise EnvelopeUsageError(
                f"{type(self.private_key).__name__} keys cannot open envelopes; use an RSA key"
            )
        if self.private_key.public_key() != self.certificate.public_key():
            raise EnvelopeUsageError(
                "the private key does not belong to the certificate; pass the matching pair"
            )

    def decrypt(self, ciphertext: bytes, *, padding: KeyTransport) -> bytes:
        """Undo the key transport; any failure is a ``DecryptionError``."""
        try:
            return self.private_key.decrypt(ciphertext, rsa_padding(padding))
        except ValueError:
            raise DecryptionError("the key transport did not decrypt") from None
