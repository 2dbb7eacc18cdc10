"""Signing with a token key: choosing the PKCS#11 mechanism and shaping the result.

The module's combined hash-and-sign mechanism is used when it offers one.
Otherwise, and always for modules known to break on multi-part signing
(Chunghwa Telecom's HiCOS), the host hashes and the token signs the digest:
a DigestInfo with CKM_RSA_PKCS, the bare digest with CKM_RSA_PKCS_PSS or
CKM_ECDSA. ECDSA's raw ``r || s`` is returned DER-encoded, as ``Signer`` promises.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.token.errors import DataError, MechanismError
from xcapki.token.objects import KeyKind, TokenCertificate

if TYPE_CHECKING:
    from xcapki.token._pkcs11 import PreparedMechanism

__all__ = ["HostHashing", "TokenSigner", "der_ecdsa_signature"]


class HostHashing(enum.Enum):
    """Where the digest is computed."""

    AUTO = "auto"
    """On the token when it has the combined mechanism and is not known to break."""
    ALWAYS = "always"
    """Always on the host; the token signs the digest."""


CKM_RSA_PKCS = 0x1
CKM_RSA_PKCS_PSS = 0xD
CKM_ECDSA = 0x1041

_COMBINED: dict[tuple[SignatureScheme, HashAlgorithm], int] = {
    (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA1): 0x06,
    (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA256): 0x40,
    (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA384): 0x41,
    (SignatureScheme.RSA_PKCS1V15, HashAlgorithm.SHA512): 0x42,
    (SignatureScheme.RSA_PSS, HashAlgorithm.SHA1): 0x0E,
    (SignatureScheme.RSA_PSS, HashAlgorithm.SHA256): 0x43,
    (SignatureScheme.RSA_PSS, HashAlgorithm.SHA384): 0x44,
    (SignatureScheme.RSA_PSS, HashAlgorithm.SHA512): 0x45,
    (SignatureScheme.ECDSA, HashAlgorithm.SHA1): 0x1042,
    (SignatureScheme.ECDSA, HashAlgorithm.SHA256): 0x1044,
    (SignatureScheme.ECDSA, HashAlgorithm.SHA384): 0x1045,
    (SignatureScheme.ECDSA, HashAlgorithm.SHA512): 0x1046,
}

# (CKM of the hash, CKG_MGF1 with that hash) for CK_RSA_PKCS_PSS_PARAMS.
_PSS_HASH: dict[HashAlgorithm, tuple[int, int]] = {
    HashAlgorithm.SHA1: (0x220, 0x1),
    HashAlgorithm.SHA256: (0x250, 0x2),
    HashAlgorithm.SHA384: (0x260, 0x3),
    HashAlgorithm.SHA512: (0x270, 0x4),
}

# DER of DigestInfo up to the digest bytes (RFC 8017, section 9.2, note 1).
_DIGEST_INFO_PREFIX: dict[HashAlgorithm, bytes] = {
    HashAlgorithm.SHA1: bytes.fromhex("3021300906052b0e03021a05000414"),
    HashAlgorithm.SHA256: bytes.fromhex("3031300d060960864801650304020105000420"),
    HashAlgorithm.SHA384: bytes.fromhex("3041300d060960864801650304020205000430"),
    HashAlgorithm.SHA512: bytes.fromhex("3051300d060960864801650304020305000440"),
}

_HASHLIB: dict[HashAlgorithm, Callable[[bytes], Any]] = {
    HashAlgorithm.SHA1: hashlib.sha1,
    HashAlgorithm.SHA256: hashlib.sha256,
    HashAlgorithm.SHA384: hashlib.sha384,
    HashAlgorithm.SHA512: hashlib.sha512,
}

_SCHEMES_FOR_KIND = {
    KeyKind.RSA: (SignatureScheme.RSA_PKCS1V15, SignatureScheme.RSA_PSS),
    KeyKind.EC: (SignatureScheme.ECDSA,),
    KeyKind.OTHER: (),
}


class _SigningSession(Protocol):
    """What a signer needs from its session (implemented by ``TokenSession``)."""

    def _mechanisms(self) -> frozenset[int]: ...

    def _prefers_host_hashing(self) -> bool: ...

    def _sign(self, key_id: bytes, mechanism: PreparedMechanism, payload: bytes) -> bytes: ...


def der_ecdsa_signature(raw: bytes) -> bytes:
    """PKCS#11's ECDSA ``r || s`` as the DER ``SEQUENCE { INTEGER r, INTEGER s }`` of RFC 3279."""
    half = len(raw) >> 1
    if not half or len(raw) != half << 1:
        raise DataError(
            f"the token returned a {len(raw)}-byte ECDSA signature, not r || s of equal halves:"
            " the module or key is faulty; try another reader or card"
        )
    return encode_dss_signature(
        int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    mechanism: PreparedMechanism
    host_hash: Callable[[bytes], Any] | None
    prefix: bytes
    ecdsa: bool


class TokenSigner:
    """A token's private key with its certificate; implements ``xcapki.Signer``.

    Signers share their session's lock, so any number of threads may sign at once.
    """

    __slots__ = (
        "_digest_plans",
        "_host_hashing",
        "_key_id",
        "_plans",
        "_session",
        "token_certificate",
    )

    def __init__(
        self,
        session: _SigningSession,
        token_certificate: TokenCertificate,
        *,
        host_hashing: HostHashing = HostHashing.AUTO,
    ) -> None:
        self._session = session
        self.token_certificate = token_certificate
        self._key_id = token_certificate.key_id
        self._host_hashing = host_hashing
        self._plans: dict[tuple[HashAlgorithm, SignatureScheme], _Plan] = {}
        self._digest_plans: dict[tuple[HashAlgorithm, SignatureScheme], _Plan] = {}

    def __repr__(self) -> str:
        return f"TokenSigner({self.token_certificate.describe()})"

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate of the signing key."""
        return self.token_certificate.certificate

    def sign(self, data: bytes, *, hash_algorithm: HashAlgorithm, scheme: SignatureScheme) -> bytes:
        """Hash ``data`` and sign it on the token; ECDSA comes back DER-encoded."""
        plan = self._plans.get((hash_algorithm, scheme))
        if plan is None:
            plan = self._plans[(hash_algorithm, scheme)] = self._plan(hash_algorithm, scheme)
        payload = data if plan.host_hash is None else plan.prefix + plan.host_hash(data).digest()
        signature = self._session._sign(self._key_id, plan.mechanism, payload)
        return der_ecdsa_signature(signature) if plan.ecdsa else signature

    def sign_digest(
        self,
        digest: bytes,
        *,
        hash_algorithm: HashAlgorithm,
        scheme: SignatureScheme | None = None,
    ) -> bytes:
        """Sign a digest made elsewhere (a server that built the document); ECDSA comes back DER.

        The token signs it as it signs a host-hashed digest: in a DigestInfo for
        RSA PKCS#1 v1.5, bare for PSS and ECDSA. Without ``scheme``, the key's
        usual one: PKCS#1 v1.5 for RSA, ECDSA for EC. The caller vouches for
        what the digest stands for.
        """
        if len(digest) != hash_algorithm.digest_size:
            raise DataError(
                f"a {hash_algorithm.value} digest has {hash_algorithm.digest_size} bytes, not"
                f" {len(digest)}: pass the digest itself, not the data or its encoding"
            )
        if scheme is None:
            schemes = _SCHEMES_FOR_KIND[self.token_certificate.key_kind]
            if not schemes:
                raise MechanismError(
                    "this key can sign neither RSA nor ECDSA digests: use another key"
                )
            scheme = schemes[0]
        plan = self._digest_plans.get((hash_algorithm, scheme))
        if plan is None:
            plan = self._digest_plans[(hash_algorithm, scheme)] = self._plan(
                hash_algorithm, scheme, host=True
            )
        signature = self._session._sign(self._key_id, plan.mechanism, plan.prefix + digest)
        return der_ecdsa_signature(signature) if plan.ecdsa else signature

    def _plan(
        self, hash_algorithm: HashAlgorithm, scheme: SignatureScheme, *, host: bool = False
    ) -> _Plan:
        from xcapki.token._pkcs11 import PreparedMechanism

        kind = self.token_certificate.key_kind
        if scheme not in _SCHEMES_FOR_KIND[kind]:
            raise MechanismError(
                f"a {kind.value} key cannot sign with {scheme.value}: use "
                f"{' or '.join(s.value for s in _SCHEMES_FOR_KIND[kind]) or 'another key'}"
            )
        available = self._session._mechanisms()
        combined = _COMBINED[(scheme, hash_algorithm)]
        host = (
            host
            or self._host_hashing is HostHashing.ALWAYS
            or self._session._prefers_host_hashing()
        )
        pss_hash, mgf = _PSS_HASH[hash_algorithm]
        pss = (pss_hash, mgf, hash_algorithm.digest_size)
        if not host and combined in available:
            return _Plan(
                mechanism=PreparedMechanism(
                    combined, pss if scheme is SignatureScheme.RSA_PSS else None
                ),
                host_hash=None,
                prefix=b"",
                ecdsa=scheme is SignatureScheme.ECDSA,
            )
        bare = {
            SignatureScheme.RSA_PKCS1V15: CKM_RSA_PKCS,
            SignatureScheme.RSA_PSS: CKM_RSA_PKCS_PSS,
            SignatureScheme.ECDSA: CKM_ECDSA,
        }[scheme]
        if bare not in available:
            raise MechanismError(
                f"the token offers neither the combined mechanism {combined:#x} nor {bare:#x} for"
                f" {scheme.value} with {hash_algorithm.value}: choose another algorithm"
            )
        return _Plan(
            mechanism=PreparedMechanism(bare, pss if scheme is SignatureScheme.RSA_PSS else None),
            host_hash=_HASHLIB[hash_algorithm],
            prefix=_DIGEST_INFO_PREFIX[hash_algorithm]
            if scheme is SignatureScheme.RSA_PKCS1V15
            else b"",
            ecdsa=scheme is SignatureScheme.ECDSA,
        )
