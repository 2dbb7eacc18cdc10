"""The ``Signer`` protocol: what CMS signing needs from a key, and nothing more.

It sits below every layer: the token layer implements it over PKCS#11, the
crypto layer's ``KeySigner`` over a key file, and CMS code signs through it
without ever touching a card.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from cryptography import x509

from xcapki.algorithms import HashAlgorithm, SignatureScheme


@runtime_checkable
class Signer(Protocol):
    """A private key with its certificate.

    ``sign`` hashes ``data`` with ``hash_algorithm`` and signs the digest with
    ``scheme``. RSA-PSS uses MGF1 with the same hash and a salt as long as the
    digest. ECDSA signatures come back DER-encoded (``Ecdsa-Sig-Value``).
    """

    @property
    def certificate(self) -> x509.Certificate: ...

    def sign(
        self, data: bytes, *, hash_algorithm: HashAlgorithm, scheme: SignatureScheme
    ) -> bytes: ...
