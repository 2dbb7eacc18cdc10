"""The per-CA status ledger, kept in the index format ``openssl ocsp`` serves from."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace
from pathlib import Path

from cryptography import x509


class RevocationReason(enum.Enum):
    """RFC 5280 reason codes, named as OpenSSL's index file spells them."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "keyCompromise"
    CA_COMPROMISE = "CACompromise"
    AFFILIATION_CHANGED = "affiliationChanged"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessationOfOperation"
    CERTIFICATE_HOLD = "certificateHold"

    @property
    def crl_reason(self) -> x509.ReasonFlags:
        """The same reason as ``cryptography`` names it."""
        return x509.ReasonFlags(self.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """One issued certificate and, once revoked, when and why."""

    serial: int
    not_after: dt.datetime
    revoked_at: dt.datetime | None = None
    reason: RevocationReason | None = None


def _asn1_time(moment: dt.datetime) -> str:
    fmt = "%y%m%d%H%M%SZ" if moment.year < 2050 else "%Y%m%d%H%M%SZ"
    return moment.astimezone(dt.UTC).strftime(fmt)


def _parse_asn1_time(text: str) -> dt.datetime:
    fmt = "%y%m%d%H%M%SZ" if len(text) == 13 else "%Y%m%d%H%M%SZ"
    return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.UTC)


class RevocationIndex:
    """The statuses of one CA's certificates, persisted as an OpenSSL ``index.txt``.

    ``openssl ocsp`` rereads the file when it changes, so a revocation is
    visible to the running responder at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[int, IndexEntry] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                entry = self._parse_line(line)
                self._entries[entry.serial] = entry
        else:
            self._write()
        attributes = path.with_name(path.name + ".attr")
        if not attributes.exists():
            attributes.write_text("unique_subject = no\n")

    @staticmethod
    def _parse_line(line: str) -> IndexEntry:
        flag, expiry, revocation, serial, _file, _subject = line.split("\t")
        entry = IndexEntry(serial=int(serial, 16), not_after=_parse_asn1_time(expiry))
        if flag == "R":
            when, _, reason = revocation.partition(",")
            return replace(
                entry,
                revoked_at=_parse_asn1_time(when),
                reason=RevocationReason(reason) if reason else RevocationReason.UNSPECIFIED,
            )
        return entry

    @staticmethod
    def _format_line(entry: IndexEntry) -> str:
        serial = f"{entry.serial:X}"
        serial = serial.rjust(len(serial) + len(serial) % 2, "0")
        if entry.revoked_at is None:
            flag, revocation = "V", ""
        else:
            reason = entry.reason or RevocationReason.UNSPECIFIED
            flag, revocation = "R", f"{_asn1_time(entry.revoked_at)},{reason.value}"
        return "\t".join(
            [flag, _asn1_time(entry.not_after), revocation, serial, "unknown", f"/CN={serial}"]
        )

    def _write(self) -> None:
        text = "".join(self._format_line(entry) + "\n" for entry in self._entries.values())
        staged = self.path.with_name(self.path.name + ".new")
        staged.write_text(text)
        staged.replace(self.path)

    def add(self, certificate: x509.Certificate) -> None:
        """Record a newly issued certificate as valid."""
        self._entries[certificate.serial_number] = IndexEntry(
            serial=certificate.serial_number, not_after=certificate.not_valid_after_utc
        )
        self._write()

    def revoke(self, serial: int, *, when: dt.datetime, reason: RevocationReason) -> None:
        """Mark a recorded certificate revoked."""
        self._entries[serial] = replace(self._entries[serial], revoked_at=when, reason=reason)
        self._write()

    def knows(self, serial: int) -> bool:
        """Whether this CA issued the certificate with ``serial``."""
        return serial in self._entries

    def revoked(self) -> tuple[IndexEntry, ...]:
        """The revoked entries, for the CRL."""
        return tuple(entry for entry in self._entries.values() if entry.revoked_at is not None)
