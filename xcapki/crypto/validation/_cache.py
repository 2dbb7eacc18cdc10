"""The validator's memory between validations, safe to share between threads.

Five caches, each a ``BoundedCache`` and each entry valid only inside the
time window its source allows: CRLs until their nextUpdate, per-certificate
GOOD verdicts between the answer's thisUpdate and nextUpdate, validated
intermediate paths until the first of their certificates' expiry and their
revocation answers' nextUpdate, the leaves the fast path checked (signature,
extensions, name) under a cached CA, within their validity, and certificates
read through the Taiwan profile (a function of the certificate's bytes and
the validator's fixed trust store). Nothing else is remembered, so a revoked
intermediate is noticed at the latest when its last GOOD answer runs out.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from asn1crypto import crl
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from xcapki.crypto.caches import BoundedCache, CacheStatistics, Window
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation._status import CertificateStatus, RevocationStatus

__all__ = [
    "CachedIntermediatePath",
    "CheckedLeaf",
    "CheckedLeafCache",
    "CrlCache",
    "FetchCounter",
    "IntermediatePathCache",
    "IssuerKey",
    "ProfileCache",
    "StatusCache",
    "Window",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Tier(Generic[K, V]):
    """One concern's cache: a ``BoundedCache`` and its statistics."""

    __slots__ = ("_entries",)

    def __init__(self, capacity: int) -> None:
        self._entries: BoundedCache[K, V] = BoundedCache(capacity)

    def statistics(self) -> CacheStatistics:
        return self._entries.statistics()

    def __len__(self) -> int:
        return len(self._entries)


class CrlCache(_Tier[tuple[str, ...], list[crl.CertificateList]]):
    """CRLs by the tuple of URLs they were fetched from, until their nextUpdate."""

    def get(
        self, urls: tuple[str, ...], moment: datetime.datetime
    ) -> list[crl.CertificateList] | None:
        return self._entries.get(urls, moment)

    def put(self, urls: tuple[str, ...], crls: list[crl.CertificateList]) -> None:
        if not urls or not crls:
            return
        this_updates = [c["tbs_cert_list"]["this_update"].native for c in crls]
        next_updates = [c["tbs_cert_list"]["next_update"].native for c in crls]
        if any(n is None for n in next_updates):
            return
        self._entries.put(
            urls, crls, Window(not_before=max(this_updates), not_after=min(next_updates))
        )


class StatusCache(_Tier[bytes, RevocationStatus]):
    """GOOD verdicts by certificate SHA-256, inside their answer's update window."""

    def get(self, cert_sha256: bytes, moment: datetime.datetime) -> RevocationStatus | None:
        return self._entries.get(cert_sha256, moment)

    def put(self, cert_sha256: bytes, status: RevocationStatus) -> None:
        if status.this_update is None or status.next_update is None:
            return
        window = Window(not_before=status.this_update, not_after=status.next_update)
        self._entries.put(cert_sha256, status, window)


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerKey:
    """An issuing CA's public key and subject, loaded once for checking its leaves directly."""

    public_key: rsa.RSAPublicKey | ec.EllipticCurvePublicKey
    subject_der: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedIntermediatePath:
    """A validated path from a trust anchor down to one issuing CA.

    ``issuer`` is the CA that signs leaves; ``chain`` runs from it up to (not
    including) ``trust_anchor``; ``statuses`` are their revocation verdicts.
    It is only used for leaves issued directly by ``issuer``, so no CA
    certificate ever follows it and path-length limits cannot be exceeded.
    ``issuer_key`` is None when the fast path does not serve this CA's leaves.
    """

    issuer: x509.Certificate
    issuer_asn1: asn1_x509.Certificate
    issuer_key: IssuerKey | None
    chain: tuple[x509.Certificate, ...]
    trust_anchor: x509.Certificate
    statuses: tuple[CertificateStatus, ...]
    window: Window


class IntermediatePathCache(_Tier[bytes, CachedIntermediatePath]):
    """Validated intermediate paths by the issuing CA's certificate SHA-256."""

    def get(self, issuer_sha256: bytes, moment: datetime.datetime) -> CachedIntermediatePath | None:
        return self._entries.get(issuer_sha256, moment)

    def put(self, issuer_sha256: bytes, entry: CachedIntermediatePath) -> None:
        self._entries.put(issuer_sha256, entry, entry.window)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckedLeaf:
    """A leaf that passed the fast path's checks of itself under one cached CA.

    Signature, algorithm, extensions and name are functions of the leaf's and
    the CA's bytes alone, so they hold for as long as that same CA is the one
    a validation would use.
    """

    issuer_sha256: bytes
    authority_key_identifier: bytes
    issuer_name_der: bytes


class CheckedLeafCache(_Tier[bytes, CheckedLeaf]):
    """Checked leaves by their SHA-256, within their validity period widened by the skew."""

    def get(self, leaf_sha256: bytes, moment: datetime.datetime) -> CheckedLeaf | None:
        return self._entries.get(leaf_sha256, moment)

    def put(self, leaf_sha256: bytes, validity: Window, leaf: CheckedLeaf) -> None:
        self._entries.put(leaf_sha256, leaf, validity)


class ProfileCache(_Tier[x509.Certificate, TaiwanCertificate]):
    """Certificates read through the Taiwan profile, by certificate (equal when their DER is)."""

    def read(self, certificate: x509.Certificate, trust_store: TrustStore) -> TaiwanCertificate:
        """The profile of ``certificate`` under ``trust_store``; ``CertificateError`` if refused.

        One cache serves one validator, whose trust store never changes, so
        the certificate alone is the key; a refusal is not remembered.
        """
        profile = self._entries.get(certificate)
        if profile is None:
            profile = TaiwanCertificate.from_certificate(certificate, trust_store=trust_store)
            self._entries.put(certificate, profile)
        return profile


class FetchCounter:
    """Network requests made and cache hits, for operators and tests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ocsp_requests = 0
        self.crl_requests = 0
        self.path_cache_hits = 0
        self.status_cache_hits = 0
        self.fast_path_hits = 0

    def count_ocsp(self) -> None:
        with self._lock:
            self.ocsp_requests += 1

    def count_crl(self) -> None:
        with self._lock:
            self.crl_requests += 1

    def count_path_hit(self) -> None:
        with self._lock:
            self.path_cache_hits += 1

    def count_status_hit(self) -> None:
        with self._lock:
            self.status_cache_hits += 1

    def count_fast_path_hit(self, *, status_hit: bool) -> None:
        """A validation served by the fast path, which reused a cached path (and status)."""
        with self._lock:
            self.fast_path_hits += 1
            self.path_cache_hits += 1
            if status_hit:
                self.status_cache_hits += 1
