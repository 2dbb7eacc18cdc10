"""The digest and signature algorithms xcapki speaks, as enums."""

from __future__ import annotations

import enum

from cryptography.hazmat.primitives import hashes


class HashAlgorithm(enum.Enum):
    """A digest algorithm; the value is its name in HiPKI requests."""

    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA384 = "SHA384"
    SHA512 = "SHA512"

    def new(self) -> hashes.HashAlgorithm:
        """A fresh ``cryptography`` hash object for this algorithm."""
        return _HASHES[self]()

    @property
    def digest_size(self) -> int:
        """Length of the digest in bytes."""
        return self.new().digest_size


_HASHES: dict[HashAlgorithm, type[hashes.HashAlgorithm]] = {
    HashAlgorithm.SHA1: hashes.SHA1,
    HashAlgorithm.SHA256: hashes.SHA256,
    HashAlgorithm.SHA384: hashes.SHA384,
    HashAlgorithm.SHA512: hashes.SHA512,
}


class SignatureScheme(enum.Enum):
    """How a private key turns a digest into a signature."""

    RSA_PKCS1V15 = "rsa-pkcs1v15"
    RSA_PSS = "rsa-pss"
    ECDSA = "ecdsa"
