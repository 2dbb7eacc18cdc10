"""The crypto layer's one kind of cache: bounded, locked, counted.

Every cache on the server side is a ``BoundedCache``: a least-recently-used
map of at most ``capacity`` entries behind a lock, so hostile inputs can only
churn it, never grow it. An entry may hold only inside a ``Window`` of
validation times. Each cache counts its hits and misses, reported as
``CacheStatistics``. There are two owners: each ``ChainValidator`` (revocation
lists, verdicts, paths, checked leaves, profiles; ``validator.statistics()``)
and, once per process, ``PARSED_CERTIFICATES``: certificates parsed from DER
(by the CMS parser, ``load_certificate`` and the login verifiers) with the
facts the CMS code works out of them.
"""

from __future__ import annotations

import datetime
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Final, Generic, TypeVar, cast

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

__all__ = [
    "PARSED_CERTIFICATES",
    "BoundedCache",
    "CacheStatistics",
    "CertificateCache",
    "Window",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStatistics:
    """One cache's lookups since it was built (hits and misses), its size and its bound."""

    hits: int
    misses: int
    size: int
    capacity: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """A closed interval of validation times in which a cached fact holds."""

    not_before: datetime.datetime
    not_after: datetime.datetime

    def covers(self, moment: datetime.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


class BoundedCache(Generic[K, V]):
    """A thread-safe LRU map of at most ``capacity`` entries, each optionally windowed.

    An entry put without a window holds until it is evicted. One put with a
    window is returned only for moments inside it, and is dropped once a
    lookup comes after its end.
    """

    __slots__ = ("_capacity", "_entries", "_hits", "_lock", "_misses")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[K, tuple[Window | None, V]] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: K, moment: datetime.datetime | None = None) -> V | None:
        """The value for ``key`` that holds at ``moment`` (any, for an unwindowed entry)."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                window, value = found
                if window is None or (moment is not None and window.covers(moment)):
                    self._entries.move_to_end(key)
                    self._hits += 1
                    return value
                if moment is not None and moment > window.not_after:
                    del self._entries[key]
            self._misses += 1
            return None

    def put(self, key: K, value: V, window: Window | None = None) -> None:
        """Remember ``value``, evicting the least recently used entry beyond capacity."""
        if window is not None and window.not_after < window.not_before:
            return
        with self._lock:
            self._entries[key] = (window, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def statistics(self) -> CacheStatistics:
        with self._lock:
            return CacheStatistics(
                hits=self._hits,
                misses=self._misses,
                size=len(self._entries),
                capacity=self._capacity,
            )

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class _Parsed:
    """One certificate and the facts worked out of it so far."""

    __slots__ = ("certificate", "facts")

    def __init__(self, certificate: x509.Certificate) -> None:
        self.certificate = certificate
        self.facts: dict[Callable[[x509.Certificate], object], object] = {}


class CertificateCache:
    """Certificates by their DER bytes: each parsed once, each fact of it worked out once.

    A fact is a pure function of the certificate (its key, its issuer's DER,
    a hash of it), so two threads racing on one only compute it twice; a
    function that raises remembers nothing.
    """

    __slots__ = ("_entries",)

    def __init__(self, capacity: int) -> None:
        self._entries: BoundedCache[bytes, _Parsed] = BoundedCache(capacity)

    def parsed(self, der: bytes) -> x509.Certificate:
        """``cryptography``'s strict DER parse of ``der`` (``ValueError`` if it is not one)."""
        entry = self._entries.get(der)
        if entry is None:
            entry = _Parsed(x509.load_der_x509_certificate(der))
            self._entries.put(der, entry)
        return entry.certificate

    def remembered(self, certificate: x509.Certificate, fact: Callable[[x509.Certificate], T]) -> T:
        """``fact(certificate)``, worked out the first time it is asked for this certificate."""
        der = certificate.public_bytes(Encoding.DER)
        entry = self._entries.get(der)
        if entry is None:
            entry = _Parsed(certificate)
            self._entries.put(der, entry)
        if fact in entry.facts:
            return cast(T, entry.facts[fact])
        value = fact(certificate)
        entry.facts[fact] = value
        return value

    def statistics(self) -> CacheStatistics:
        return self._entries.statistics()


PARSED_CERTIFICATES: Final = CertificateCache(256)
"""The process's parsed certificates: far more than the cards and CAs a portal sees at once."""
