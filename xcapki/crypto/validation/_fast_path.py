"""Accepting a leaf directly below an already validated issuing CA, without certvalidator.

Once pyhanko-certvalidator has validated root -> ... -> issuing CA, what it
checks of a later leaf under that CA (with the CA as trust anchor) depends only
on the leaf, the CA's key and name, the moment and the leaf's revocation
answer: the signature and its algorithm policy, the validity period, issuer
name chaining, critical extensions and policy processing. This module makes
those checks with ``cryptography`` directly, without asn1crypto parsing and
without an event loop.

It only ever accepts. Whatever fails, is missing from the caches, or is merely
unusual makes it return None, and the validator takes the certvalidator path,
which decides and reports the error; so it refuses nothing the full path would
accept, and accepts a leaf only on checks at least as strict as the full path's.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, SignatureAlgorithmOID
from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy

from xcapki.crypto._der import INTEGER, SEQUENCE, expect, read_element
from xcapki.crypto.trust import TrustRole, TrustStore
from xcapki.crypto.validation._cache import (
    CachedIntermediatePath,
    CheckedLeaf,
    CheckedLeafCache,
    FetchCounter,
    IntermediatePathCache,
    IssuerKey,
    StatusCache,
    Window,
)
from xcapki.crypto.validation._status import (
    NOT_CHECKED,
    CertificateStatus,
    RevocationStatus,
    ValidatedPath,
)

__all__ = ["UNDERSTOOD_CRITICAL_EXTENSIONS", "FastPath", "issuer_key"]

UNDERSTOOD_CRITICAL_EXTENSIONS: Final = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
    }
)
"""Critical leaf extensions the fast path accepts; each is one certvalidator supports."""

_UNUSUAL_IN_A_LEAF: Final = frozenset(
    {
        ExtensionOID.POLICY_CONSTRAINTS,
        ExtensionOID.POLICY_MAPPINGS,
        ExtensionOID.INHIBIT_ANY_POLICY,
        ExtensionOID.NAME_CONSTRAINTS,
    }
)
"""Extensions that change policy or name processing: their leaf takes the full path."""

_VERSION: Final = 0xA0
"""The TBSCertificate's optional [0] EXPLICIT version."""

_MAX_POLICIES: Final = 64
"""More policies than this could approach certvalidator's policy-graph limit."""

_PKCS1: Final[dict[x509.ObjectIdentifier, tuple[str, type[hashes.HashAlgorithm]]]] = {
    SignatureAlgorithmOID.RSA_WITH_SHA256: ("sha256", hashes.SHA256),
    SignatureAlgorithmOID.RSA_WITH_SHA384: ("sha384", hashes.SHA384),
    SignatureAlgorithmOID.RSA_WITH_SHA512: ("sha512", hashes.SHA512),
}
_ECDSA: Final[dict[x509.ObjectIdentifier, tuple[str, type[hashes.HashAlgorithm]]]] = {
    SignatureAlgorithmOID.ECDSA_WITH_SHA256: ("sha256", hashes.SHA256),
    SignatureAlgorithmOID.ECDSA_WITH_SHA384: ("sha384", hashes.SHA384),
    SignatureAlgorithmOID.ECDSA_WITH_SHA512: ("sha512", hashes.SHA512),
}
_PSS_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}

_CANNOT_DECIDE: Final = (ValueError, TypeError, KeyError, UnsupportedAlgorithm)
"""Parse failures of an odd CA certificate: its leaves take the full path."""


def issuer_key(
    issuer: asn1_x509.Certificate, policy: DisallowWeakAlgorithmsPolicy
) -> IssuerKey | None:
    """What the fast path needs of an issuing CA, or None when it should not serve its leaves.

    Only plain RSA keys (at least the policy's size: certvalidator judges a
    leaf's signature by its issuer's key size) and EC keys qualify.
    """
    try:
        info = issuer.public_key
        if info.algorithm not in ("rsa", "ec"):
            return None
        public_key = serialization.load_der_public_key(info.dump())
        subject_der = issuer.subject.dump()
        key_identifier = issuer.key_identifier
    except _CANNOT_DECIDE:
        return None
    if key_identifier is None:
        return None
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < policy.rsa_key_size_threshold:
            return None
        return IssuerKey(public_key=public_key, subject_der=subject_der)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return IssuerKey(public_key=public_key, subject_der=subject_der)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class FastPath:
    """The fast path of one ``ChainValidator``: its caches, policy and tolerances."""

    trust_store: TrustStore
    path_cache: IntermediatePathCache
    status_cache: StatusCache
    checked_leaves: CheckedLeafCache
    counter: FetchCounter
    policy: DisallowWeakAlgorithmsPolicy
    clock_skew: datetime.timedelta
    checking: bool

    def validate(
        self,
        leaf: x509.Certificate,
        helpers: Sequence[x509.Certificate],
        moment: datetime.datetime,
    ) -> ValidatedPath | None:
        """The path the full validation would return for ``leaf``, or None to take it.

        Whatever ``cryptography`` or asn1crypto raise on an odd leaf (a missing
        or malformed extension, an unreadable key) means "take the full path":
        the fast path only ever accepts, so no exception of a dependency may
        leave it, and certvalidator then decides and the validator reports.
        """
        try:
            return self._validate(leaf, helpers, moment)
        except Exception:
            return None

    def _validate(
        self,
        leaf: x509.Certificate,
        helpers: Sequence[x509.Certificate],
        moment: datetime.datetime,
    ) -> ValidatedPath | None:
        der = leaf.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).digest()
        cached = self._checked_before(digest, helpers, moment)
        if cached is None:
            cached = self._check(leaf, der, digest, helpers, moment)
            if cached is None:
                return None
        revocation = self._cached_revocation(digest, moment)
        if revocation is None:
            return None
        self.counter.count_fast_path_hit(status_hit=self.checking)
        return ValidatedPath(
            chain=(leaf, *cached.chain, cached.trust_anchor),
            trust_anchor=cached.trust_anchor,
            statuses=(CertificateStatus(certificate=leaf, revocation=revocation), *cached.statuses),
            validated_at=moment,
            reused_intermediates=True,
        )

    def _checked_before(
        self, digest: bytes, helpers: Sequence[x509.Certificate], moment: datetime.datetime
    ) -> CachedIntermediatePath | None:
        """The cached CA, when this very leaf already passed ``_check`` under it."""
        checked = self.checked_leaves.get(digest, moment)
        if checked is None:
            return None
        cached = self._cached_issuer(
            checked.authority_key_identifier, checked.issuer_name_der, helpers, moment
        )
        if cached is None or cached.issuer_asn1.sha256 != checked.issuer_sha256:
            return None
        return cached

    def _check(
        self,
        leaf: x509.Certificate,
        der: bytes,
        digest: bytes,
        helpers: Sequence[x509.Certificate],
        moment: datetime.datetime,
    ) -> CachedIntermediatePath | None:
        """The cached CA under which ``leaf`` passes every check but revocation, or None."""
        extensions = leaf.extensions
        if not _plain_leaf(extensions):
            return None
        aki = _key_identifier_claim(extensions)
        if aki is None:
            return None
        tbs, issuer_der = _tbs_and_issuer(der)
        cached = self._cached_issuer(aki, issuer_der, helpers, moment)
        if cached is None or cached.issuer_key is None:
            return None
        validity = Window(
            not_before=leaf.not_valid_before_utc - self.clock_skew,
            not_after=leaf.not_valid_after_utc + self.clock_skew,
        )
        if not validity.covers(moment):
            return None
        if not _signed_by(leaf, der, tbs, cached.issuer_key, self.policy):
            return None
        if not _readable_by_certvalidator(der):
            return None
        self.checked_leaves.put(
            digest,
            validity,
            CheckedLeaf(
                issuer_sha256=cached.issuer_asn1.sha256,
                authority_key_identifier=aki,
                issuer_name_der=issuer_der,
            ),
        )
        return cached

    def _cached_issuer(
        self,
        aki: bytes,
        issuer_der: bytes,
        helpers: Sequence[x509.Certificate],
        moment: datetime.datetime,
    ) -> CachedIntermediatePath | None:
        """The cached path the full validation would reuse, in its order; None if in doubt.

        The full path takes the first cached CA with the leaf's key identifier
        and issuer name from the trust store's intermediates, then from the
        helpers. Here the first cached CA with that key identifier must also
        carry the name byte for byte, or the full path decides.
        """
        for candidate in self.trust_store.by_key_identifier(aki):
            if candidate.role is TrustRole.ROOT:
                continue
            entry = self.path_cache.get(candidate.sha256, moment)
            if entry is not None:
                return _named(entry, issuer_der)
        for helper in helpers:
            digest = hashlib.sha256(helper.public_bytes(serialization.Encoding.DER)).digest()
            entry = self.path_cache.get(digest, moment)
            if entry is not None and entry.issuer_asn1.key_identifier == aki:
                return _named(entry, issuer_der)
        return None

    def _cached_revocation(
        self, digest: bytes, moment: datetime.datetime
    ) -> RevocationStatus | None:
        if not self.checking:
            return NOT_CHECKED
        return self.status_cache.get(digest, moment)


def _tbs_and_issuer(der: bytes) -> tuple[bytes, bytes]:
    """The received TBSCertificate and issuer Name, byte for byte as certvalidator sees them.

    ``cryptography`` re-encodes on every ``tbs_certificate_bytes`` call; the
    certificate already parsed as strict DER, so reading four headers is enough.
    """
    certificate = expect(der, 0, len(der), SEQUENCE)
    tbs = expect(der, certificate.content, certificate.end, SEQUENCE)
    position = tbs.content
    if der[position] == _VERSION:
        position = read_element(der, position, tbs.end).end
    serial = expect(der, position, tbs.end, INTEGER)
    signature = expect(der, serial.end, tbs.end, SEQUENCE)
    issuer = expect(der, signature.end, tbs.end, SEQUENCE)
    return tbs.encoding(der), issuer.encoding(der)


def _readable_by_certvalidator(der: bytes) -> bool:
    """Whether asn1crypto reads every field and extension value of the leaf.

    certvalidator refuses a leaf whose extension values asn1crypto cannot
    parse (an empty or truncated subjectDirectoryAttributes, say) even where
    ``cryptography`` keeps them as opaque bytes; the fast path must not accept
    what the full path would refuse. Done once per leaf (the leaf cache keeps
    the verdict).
    """
    try:
        asn1_x509.Certificate.load(der).native  # noqa: B018
    except Exception:
        return False
    return True


def _named(entry: CachedIntermediatePath, issuer_der: bytes) -> CachedIntermediatePath | None:
    key = entry.issuer_key
    return entry if key is not None and key.subject_der == issuer_der else None


def _key_identifier_claim(extensions: x509.Extensions) -> bytes | None:
    """The leaf's authorityKeyIdentifier keyIdentifier; None without one (issuer+serial only,
    or no AKI at all), and such a leaf takes the full path, which matches issuers by name."""
    for extension in extensions:
        if extension.oid == ExtensionOID.AUTHORITY_KEY_IDENTIFIER:
            value = extension.value
            return value.key_identifier if isinstance(value, x509.AuthorityKeyIdentifier) else None
    return None


def _plain_leaf(extensions: x509.Extensions) -> bool:
    """No extension the fast path does not understand or that changes path processing."""
    for extension in extensions:
        oid = extension.oid
        if oid in _UNUSUAL_IN_A_LEAF:
            return False
        if extension.critical and oid not in UNDERSTOOD_CRITICAL_EXTENSIONS:
            return False
        if oid == ExtensionOID.BASIC_CONSTRAINTS and extension.value.ca:
            return False
        if oid == ExtensionOID.CERTIFICATE_POLICIES and len(extension.value) > _MAX_POLICIES:
            return False
    return True


def _allowed(policy: DisallowWeakAlgorithmsPolicy, scheme: str, hash_name: str) -> bool:
    """certvalidator's weak-algorithm verdict (the issuer's key size was checked when cached)."""
    return scheme not in policy.weak_signature_algos and hash_name not in policy.weak_hash_algos


def _signed_by(
    leaf: x509.Certificate,
    der: bytes,
    tbs: bytes,
    issuer: IssuerKey,
    policy: DisallowWeakAlgorithmsPolicy,
) -> bool:
    """The leaf's signature over ``tbs`` verifies under ``issuer`` with an allowed algorithm."""
    oid = leaf.signature_algorithm_oid
    key = issuer.public_key
    try:
        if oid in _PKCS1 and isinstance(key, rsa.RSAPublicKey):
            hash_name, hash_type = _PKCS1[oid]
            if not _allowed(policy, "rsassa_pkcs1v15", hash_name):
                return False
            key.verify(leaf.signature, tbs, padding.PKCS1v15(), hash_type())
            return True
        if oid in _ECDSA and isinstance(key, ec.EllipticCurvePublicKey):
            hash_name, hash_type = _ECDSA[oid]
            if not _allowed(policy, "ecdsa", hash_name):
                return False
            key.verify(leaf.signature, tbs, ec.ECDSA(hash_type()))
            return True
        if oid == SignatureAlgorithmOID.RSASSA_PSS and isinstance(key, rsa.RSAPublicKey):
            return _pss_signed_by(leaf, der, tbs, key, policy)
    except InvalidSignature:
        return False
    return False


def _pss_signed_by(
    leaf: x509.Certificate,
    der: bytes,
    tbs: bytes,
    key: rsa.RSAPublicKey,
    policy: DisallowWeakAlgorithmsPolicy,
) -> bool:
    """RSASSA-PSS with MGF1 over the same hash and trailer 1; any other form takes the full path."""
    algorithm: algos.SignedDigestAlgorithm = asn1_x509.Certificate.load(der)["signature_algorithm"]
    params = algorithm["parameters"]
    if not isinstance(params, algos.RSASSAPSSParams):
        return False
    hash_name = params["hash_algorithm"]["algorithm"].native
    mgf = params["mask_gen_algorithm"]
    if (
        hash_name not in _PSS_HASHES
        or mgf["algorithm"].native != "mgf1"
        or mgf["parameters"]["algorithm"].native != hash_name
        or params["trailer_field"].native != "trailer_field_bc"
        or not _allowed(policy, "rsassa_pss", hash_name)
    ):
        return False
    hash_type = _PSS_HASHES[hash_name]
    salt_length = params["salt_length"].native
    pss = padding.PSS(mgf=padding.MGF1(hash_type()), salt_length=salt_length)
    key.verify(leaf.signature, tbs, pss, hash_type())
    return True
