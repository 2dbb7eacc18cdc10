"""Which algorithms and keys a verifier accepts (docs/login-checks.md step 5)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from xcapki.algorithms import HashAlgorithm, SignatureScheme

__all__ = ["DEFAULT_POLICY", "LEGACY_SHA1_POLICY", "AlgorithmPolicy", "EcCurve"]


class EcCurve(enum.Enum):
    """A named elliptic curve; the value is its ``cryptography`` name."""

    P256 = "secp256r1"
    P384 = "secp384r1"
    P521 = "secp521r1"


_STRONG_HASHES: Final = frozenset(
    {HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AlgorithmPolicy:
    """The allow-list a signature must fit.

    MD5 has no member in ``HashAlgorithm``, so no policy can allow it. SHA-1
    is only for legacy cards, and only when a portal asks for it explicitly
    (``LEGACY_SHA1_POLICY``).
    """

    hashes: frozenset[HashAlgorithm] = _STRONG_HASHES
    schemes: frozenset[SignatureScheme] = frozenset(SignatureScheme)
    min_rsa_bits: int = 2048
    curves: frozenset[EcCurve] = frozenset({EcCurve.P256, EcCurve.P384})


DEFAULT_POLICY: Final = AlgorithmPolicy()
LEGACY_SHA1_POLICY: Final = AlgorithmPolicy(hashes=_STRONG_HASHES | {HashAlgorithm.SHA1})
