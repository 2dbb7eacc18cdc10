"""Algorithm identifiers of CMS: from enums to DER and back, with the checks.

Signing emits the most widely accepted form of each identifier (rsaEncryption
for PKCS#1 v1.5, as OpenSSL and Windows do). Verifying accepts every form
real signers use, and refuses what the policy does not allow.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final

from asn1crypto import algos, core
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.cms._policy import AlgorithmPolicy, EcCurve
from xcapki.crypto.cms.errors import (
    AlgorithmNotAllowedError,
    PssParametersError,
    WeakKeyError,
)

_DIGEST_OIDS: Final[dict[str, HashAlgorithm]] = {
    "1.3.14.3.2.26": HashAlgorithm.SHA1,
    "2.16.840.1.101.3.4.2.1": HashAlgorithm.SHA256,
    "2.16.840.1.101.3.4.2.2": HashAlgorithm.SHA384,
    "2.16.840.1.101.3.4.2.3": HashAlgorithm.SHA512,
}
_DIGEST_NAMES: Final[dict[HashAlgorithm, str]] = {
    HashAlgorithm.SHA1: "sha1",
    HashAlgorithm.SHA256: "sha256",
    HashAlgorithm.SHA384: "sha384",
    HashAlgorithm.SHA512: "sha512",
}
_NEVER: Final[dict[str, str]] = {
    "1.2.840.113549.2.5": "MD5",
    "1.2.840.113549.2.2": "MD2",
    "1.2.840.113549.1.1.4": "MD5 with RSA",
    "1.2.840.113549.1.1.2": "MD2 with RSA",
}

_RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
_RSASSA_PSS: Final = "1.2.840.113549.1.1.10"
_MGF1: Final = "1.2.840.113549.1.1.8"
_EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
_RSA_WITH: Final[dict[str, HashAlgorithm]] = {
    "1.2.840.113549.1.1.5": HashAlgorithm.SHA1,
    "1.2.840.113549.1.1.11": HashAlgorithm.SHA256,
    "1.2.840.113549.1.1.12": HashAlgorithm.SHA384,
    "1.2.840.113549.1.1.13": HashAlgorithm.SHA512,
}
_ECDSA_WITH: Final[dict[str, HashAlgorithm]] = {
    "1.2.840.10045.4.1": HashAlgorithm.SHA1,
    "1.2.840.10045.4.3.2": HashAlgorithm.SHA256,
    "1.2.840.10045.4.3.3": HashAlgorithm.SHA384,
    "1.2.840.10045.4.3.4": HashAlgorithm.SHA512,
}
_ECDSA_NAMES: Final[dict[HashAlgorithm, str]] = {
    HashAlgorithm.SHA1: "sha1_ecdsa",
    HashAlgorithm.SHA256: "sha256_ecdsa",
    HashAlgorithm.SHA384: "sha384_ecdsa",
    HashAlgorithm.SHA512: "sha512_ecdsa",
}
_NULL_DER: Final = b"\x05\x00"

NAMED_OIDS: Final = frozenset(
    {
        *_DIGEST_OIDS,
        *_NEVER,
        *_RSA_WITH,
        *_ECDSA_WITH,
        _RSA_ENCRYPTION,
        _RSASSA_PSS,
        _MGF1,
        _EC_PUBLIC_KEY,
    }
)
"""Every algorithm OID this module names, for the parser's table of common OIDs."""


@dataclass(frozen=True, slots=True)
class SignatureAlgorithm:
    """A SignerInfo's signature algorithm, read and checked (salt used by PSS only)."""

    scheme: SignatureScheme
    pss_salt_length: int = 0


def digest(algorithm: HashAlgorithm, data: bytes) -> bytes:
    """The digest of ``data``; hashlib is the fastest path for one-shot hashing."""
    return hashlib.new(_DIGEST_NAMES[algorithm], data).digest()


def hash_from_oid(oid: str) -> HashAlgorithm | None:
    """The hash algorithm named by ``oid``, policy aside (for certificate hashes)."""
    return _DIGEST_OIDS.get(oid)


def digest_identifier(algorithm: HashAlgorithm) -> algos.DigestAlgorithm:
    """The DigestAlgorithmIdentifier, parameters absent (RFC 5754)."""
    return algos.DigestAlgorithm({"algorithm": _DIGEST_NAMES[algorithm]})


def signature_identifier(
    scheme: SignatureScheme, algorithm: HashAlgorithm
) -> algos.SignedDigestAlgorithm:
    """The SignatureAlgorithmIdentifier xcapki writes for ``scheme``."""
    if scheme is SignatureScheme.RSA_PKCS1V15:
        return algos.SignedDigestAlgorithm(
            {"algorithm": "rsassa_pkcs1v15", "parameters": core.Null()}
        )
    if scheme is SignatureScheme.RSA_PSS:
        name = _DIGEST_NAMES[algorithm]
        params = algos.RSASSAPSSParams(
            {
                "hash_algorithm": {"algorithm": name},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name}},
                "salt_length": algorithm.digest_size,
            }
        )
        return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": params})
    return algos.SignedDigestAlgorithm({"algorithm": _ECDSA_NAMES[algorithm]})


def read_digest_algorithm(oid: str, policy: AlgorithmPolicy) -> HashAlgorithm:
    """The digest algorithm of ``oid`` if the policy allows it."""
    if oid in _NEVER:
        raise AlgorithmNotAllowedError(
            f"the signature uses {_NEVER[oid]}, which is broken and never accepted; "
            "ask the signer to use SHA-256 or stronger"
        )
    algorithm = _DIGEST_OIDS.get(oid)
    if algorithm is None:
        raise AlgorithmNotAllowedError(
            f"digest algorithm {oid} is not supported; sign with SHA-256, SHA-384 or SHA-512"
        )
    if algorithm not in policy.hashes:
        raise AlgorithmNotAllowedError(
            f"digest algorithm {algorithm.value} is not allowed by the verifier's policy; "
            "sign with SHA-256 or stronger, or allow it explicitly for legacy cards"
        )
    return algorithm


def read_signature_algorithm(
    oid: str, params_der: bytes, digest: HashAlgorithm, policy: AlgorithmPolicy
) -> SignatureAlgorithm:
    """Check the SignerInfo signature algorithm against its digest algorithm and policy."""
    if oid in _NEVER:
        raise AlgorithmNotAllowedError(
            f"the signature uses {_NEVER[oid]}, which is broken and never accepted; "
            "ask the signer to use SHA-256 or stronger"
        )
    if oid == _RSASSA_PSS:
        result = SignatureAlgorithm(
            SignatureScheme.RSA_PSS, pss_salt_length=_read_pss_salt(params_der, digest)
        )
    elif oid == _RSA_ENCRYPTION or oid in _RSA_WITH:
        _require_same_hash(_RSA_WITH.get(oid, digest), digest)
        result = SignatureAlgorithm(SignatureScheme.RSA_PKCS1V15)
    elif oid == _EC_PUBLIC_KEY or oid in _ECDSA_WITH:
        _require_same_hash(_ECDSA_WITH.get(oid, digest), digest)
        result = SignatureAlgorithm(SignatureScheme.ECDSA)
    else:
        raise AlgorithmNotAllowedError(
            f"signature algorithm {oid} is not supported; "
            "sign with RSA PKCS#1 v1.5, RSA-PSS or ECDSA"
        )
    if result.scheme not in policy.schemes:
        raise AlgorithmNotAllowedError(
            f"signature scheme {result.scheme.value} is not allowed by the verifier's policy"
        )
    return result


def _require_same_hash(named: HashAlgorithm, digest: HashAlgorithm) -> None:
    if named is not digest:
        raise AlgorithmNotAllowedError(
            f"the signature algorithm names {named.value} but the digest algorithm is "
            f"{digest.value}; the signer must use one hash for both"
        )


def _read_pss_salt(params_der: bytes, digest: HashAlgorithm) -> int:
    if not params_der or params_der == _NULL_DER:
        raise PssParametersError(
            "RSASSA-PSS signature without parameters; the signer must state hash, MGF1 and salt"
        )
    try:
        params = algos.RSASSAPSSParams.load(params_der, strict=True)
        hash_oid = params["hash_algorithm"]["algorithm"].dotted
        mgf_oid = params["mask_gen_algorithm"]["algorithm"].dotted
        mgf_hash_oid = params["mask_gen_algorithm"]["parameters"]["algorithm"].dotted
        trailer = params["trailer_field"].native
        salt = int(params["salt_length"].native)
    except Exception as exc:
        raise PssParametersError(
            f"RSASSA-PSS parameters do not parse ({type(exc).__name__}); "
            "the signer must send DER RSASSA-PSS-params"
        ) from exc
    if _DIGEST_OIDS.get(hash_oid) is not digest:
        raise PssParametersError(
            f"RSASSA-PSS hash {hash_oid} differs from the digest algorithm {digest.value}"
        )
    if mgf_oid != _MGF1 or _DIGEST_OIDS.get(mgf_hash_oid) is not digest:
        raise PssParametersError(f"RSASSA-PSS mask generation must be MGF1 with {digest.value}")
    if trailer != "trailer_field_bc":
        raise PssParametersError("RSASSA-PSS trailer field must be 1 (0xBC)")
    if salt < 0 or salt > 1024:
        raise PssParametersError(f"RSASSA-PSS salt length {salt} is out of range")
    return salt


def check_public_key(key: PublicKeyTypes, scheme: SignatureScheme, policy: AlgorithmPolicy) -> None:
    """Refuse a key whose type, size or curve does not fit the scheme and policy."""
    if scheme is SignatureScheme.ECDSA:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise AlgorithmNotAllowedError(
                "the SignerInfo says ECDSA but the signer certificate does not hold an EC key"
            )
        curve = {c.value: c for c in EcCurve}.get(key.curve.name)
        if curve is None or curve not in policy.curves:
            raise AlgorithmNotAllowedError(
                f"elliptic curve {key.curve.name} is not allowed; use P-256 or P-384"
            )
        return
    if not isinstance(key, rsa.RSAPublicKey):
        raise AlgorithmNotAllowedError(
            "the SignerInfo says RSA but the signer certificate does not hold an RSA key"
        )
    if key.key_size < policy.min_rsa_bits:
        raise WeakKeyError(
            f"RSA key of {key.key_size} bits is below the minimum of {policy.min_rsa_bits}; "
            "the card must be replaced with one holding a 2048-bit or larger key"
        )


def verify_padding(
    algorithm: SignatureAlgorithm, digest: HashAlgorithm
) -> padding.AsymmetricPadding:
    """The ``cryptography`` padding object an RSA verification needs."""
    if algorithm.scheme is SignatureScheme.RSA_PSS:
        return padding.PSS(mgf=padding.MGF1(digest.new()), salt_length=algorithm.pss_salt_length)
    return padding.PKCS1v15()


def normalised_identifier(oid: str, params_der: bytes) -> tuple[str, bytes]:
    """An AlgorithmIdentifier key where absent and NULL parameters compare equal."""
    return oid, b"" if params_der == _NULL_DER else params_der
