"""What the verifier remembers about certificates it has seen: profiles and paths.

A certificate's GPKI profile is a pure function of its bytes (and the fixed
trust store), so it is kept in a bounded LRU keyed by the certificate (whose
hash and equality are those of its DER: no fingerprint to compute). Path validation
with a cached issuing CA still costs a full certvalidator run per login; a
portal sees the same cards over and over, so the verifier remembers each
validated path by the leaf's SHA-256 for exactly as long as it would
validate again with the same answers: inside every certificate's validity
and every revocation answer's thisUpdate..nextUpdate. A path with any
verdict other than GOOD (soft-fail without an answer) is not remembered.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from cryptography import x509

from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation import RevocationState, ValidatedPath

__all__ = ["PathCache", "ProfileCache"]


class ProfileCache:
    """A bounded, thread-safe LRU of ``TaiwanCertificate`` by certificate."""

    __slots__ = ("_capacity", "_entries", "_lock")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[x509.Certificate, TaiwanCertificate] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, certificate: x509.Certificate) -> TaiwanCertificate | None:
        with self._lock:
            found = self._entries.get(certificate)
            if found is not None:
                self._entries.move_to_end(certificate)
            return found

    def put(self, certificate: x509.Certificate, profile: TaiwanCertificate) -> None:
        with self._lock:
            self._entries[certificate] = profile
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


class PathCache:
    """A bounded, thread-safe LRU of ``ValidatedPath`` by leaf fingerprint."""

    __slots__ = ("_capacity", "_entries", "_lock")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[bytes, tuple[datetime, datetime, ValidatedPath]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, fingerprint: bytes, moment: datetime) -> ValidatedPath | None:
        """The path remembered for ``fingerprint`` if ``moment`` lies in its window."""
        with self._lock:
            found = self._entries.get(fingerprint)
            if found is None:
                return None
            not_before, not_after, path = found
            if moment > not_after:
                del self._entries[fingerprint]
                return None
            if moment < not_before:
                return None
            self._entries.move_to_end(fingerprint)
            return path

    def put(self, fingerprint: bytes, path: ValidatedPath, *, checking: bool) -> None:
        """Remember ``path``; ``checking`` says whether revocation was asked at all."""
        window = _window(path, checking=checking)
        if window is None:
            return
        with self._lock:
            self._entries[fingerprint] = (*window, path)
            self._entries.move_to_end(fingerprint)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _window(path: ValidatedPath, *, checking: bool) -> tuple[datetime, datetime] | None:
    certificates = path.chain
    not_before = max(c.not_valid_before_utc for c in certificates)
    not_after = min(c.not_valid_after_utc for c in certificates)
    for status in path.statuses:
        verdict = status.revocation
        if not checking:
            continue
        if (
            verdict.state is not RevocationState.GOOD
            or verdict.this_update is None
            or verdict.next_update is None
        ):
            return None
        not_before = max(not_before, verdict.this_update)
        not_after = min(not_after, verdict.next_update)
    if not_after < not_before:
        return None
    return not_before, not_after
