"""A ``Signer`` over a ``cryptography`` private key, for tests and for file keys.

Integrators who keep a key in a PKCS#12 or PEM file (a server certificate,
a test card) sign CMS through this instead of a card.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.errors import CryptoError

__all__ = ["KeySigner", "KeySignerError"]


class KeySignerError(CryptoError):
    """The key cannot make the requested signature (wrong type, scheme or mismatch)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KeySigner:
    """A private key and its certificate, satisfying the ``Signer`` protocol.

    The key must belong to the certificate; a mismatch is refused at
    construction, not discovered by a verifier later.
    """

    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    def __post_init__(self) -> None:
        if not isinstance(self.private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise KeySignerError(
                f"{type(self.private_key).__name__} keys cannot sign CMS; use an RSA or EC key"
            )
        if self.private_key.public_key() != self.certificate.public_key():
            raise KeySignerError(
                "the private key does not belong to the certificate; pass the matching pair"
            )

    def sign(self, data: bytes, *, hash_algorithm: HashAlgorithm, scheme: SignatureScheme) -> bytes:
        """Hash ``data`` and sign it (PSS salt = digest length, ECDSA DER)."""
        algorithm = hash_algorithm.new()
        key = self.private_key
        try:
            if isinstance(key, ec.EllipticCurvePrivateKey):
                if scheme is not SignatureScheme.ECDSA:
                    raise KeySignerError(f"an EC key cannot sign with {scheme.value}; use ECDSA")
                return key.sign(data, ec.ECDSA(algorithm))
            if scheme is SignatureScheme.RSA_PSS:
                pss = padding.PSS(mgf=padding.MGF1(algorithm), salt_length=algorithm.digest_size)
                return key.sign(data, pss, algorithm)
            if scheme is SignatureScheme.RSA_PKCS1V15:
                return key.sign(data, padding.PKCS1v15(), algorithm)
        except UnsupportedAlgorithm as exc:
            raise KeySignerError(
                f"this OpenSSL build refuses {hash_algorithm.value} with {scheme.value}: {exc}"
            ) from exc
        raise KeySignerError(f"an RSA key cannot sign with {scheme.value}; use PKCS#1 v1.5 or PSS")
