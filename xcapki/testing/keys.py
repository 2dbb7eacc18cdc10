"""Key generation and PEM storage for the test PKI."""

from __future__ import annotations

import enum
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from xcapki.testing.errors import TestingError

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class KeyAlgorithm(enum.Enum):
    """Key types a test card can carry; RSA-1024 exists to test its rejection."""

    RSA_1024 = "rsa-1024"
    RSA_2048 = "rsa-2048"
    RSA_3072 = "rsa-3072"
    EC_P256 = "ec-p256"
    EC_P384 = "ec-p384"

    def generate(self) -> PrivateKey:
        """A new private key of this type."""
        if self is KeyAlgorithm.EC_P256:
            return ec.generate_private_key(ec.SECP256R1())
        if self is KeyAlgorithm.EC_P384:
            return ec.generate_private_key(ec.SECP384R1())
        bits = int(self.value.removeprefix("rsa-"))
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def write_private_key(key: PrivateKey, path: Path) -> None:
    """Store ``key`` as unencrypted PKCS#8 PEM, readable by its owner only."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(pem)


def read_private_key(path: Path) -> PrivateKey:
    """Load a key written by ``write_private_key``."""
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise TestingError(f"{path} holds a {type(key).__name__}, not an RSA or EC key")
    return key
