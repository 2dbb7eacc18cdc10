"""What path validation reports: the revocation status of each certificate and the path."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

from cryptography import x509

__all__ = [
    "NO_REVOCATION_DATA",
    "CertificateStatus",
    "RevocationData",
    "RevocationMode",
    "RevocationReason",
    "RevocationSource",
    "RevocationState",
    "RevocationStatus",
    "ValidatedPath",
]


class RevocationMode(enum.Enum):
    """How hard revocation checking insists on an answer.

    OFF never asks. SOFT_FAIL accepts a certificate whose responder cannot be
    reached. HARD_FAIL refuses it when the certificate names an OCSP responder
    or CRL and none answers. REQUIRE refuses any certificate below the root
    without a usable OCSP or CRL answer, named or not.
    """

    OFF = "off"
    SOFT_FAIL = "soft-fail"
    HARD_FAIL = "hard-fail"
    REQUIRE = "require"


class RevocationState(enum.Enum):
    """The revocation verdict for one certificate."""

    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    UNAVAILABLE = "unavailable"
    NOT_CHECKED = "not-checked"


class RevocationSource(enum.Enum):
    """Where a verdict came from; NONE when nothing answered or nothing was asked."""

    OCSP = "ocsp"
    CRL = "crl"
    NONE = "none"


class RevocationReason(enum.Enum):
    """RFC 5280 CRLReason; the value is the asn1crypto name."""

    UNSPECIFIED = "unspecified"
    KEY_COMPROMISE = "key_compromise"
    CA_COMPROMISE = "ca_compromise"
    AFFILIATION_CHANGED = "affiliation_changed"
    SUPERSEDED = "superseded"
    CESSATION_OF_OPERATION = "cessation_of_operation"
    CERTIFICATE_HOLD = "certificate_hold"
    REMOVE_FROM_CRL = "remove_from_crl"
    PRIVILEGE_WITHDRAWN = "privilege_withdrawn"
    AA_COMPROMISE = "aa_compromise"

    @classmethod
    def from_name(cls, name: str | None) -> RevocationReason:
        """The reason named ``name``; UNSPECIFIED for None or an unknown name."""
        for member in cls:
            if member.value == name:
                return member
        return cls.UNSPECIFIED


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationData:
    """The signed answers a verdict rests on, as received (DER).

    Kept so that they can be handed on, e.g. embedded in a PAdES B-LT
    signature, instead of being fetched again. ``ocsp_responses`` holds the
    OCSPResponse that decided, ``crls`` the CRLs (with any delta CRL) that
    decided; both are empty when nothing was used.
    """

    ocsp_responses: tuple[bytes, ...] = ()
    crls: tuple[bytes, ...] = ()


NO_REVOCATION_DATA = RevocationData()


@dataclass(frozen=True, slots=True, kw_only=True)
class RevocationStatus:
    """One certificate's revocation verdict.

    ``this_update``/``next_update`` bound the answer's validity (None when no
    answer was used); ``reason`` and ``revoked_at`` are set only for REVOKED.
    ``data`` holds the answers themselves, reused with the verdict while it
    is cached.
    """

    state: RevocationState
    source: RevocationSource
    this_update: datetime.datetime | None = None
    next_update: datetime.datetime | None = None
    reason: RevocationReason | None = None
    revoked_at: datetime.datetime | None = None
    data: RevocationData = NO_REVOCATION_DATA


NOT_CHECKED = RevocationStatus(state=RevocationState.NOT_CHECKED, source=RevocationSource.NONE)
UNAVAILABLE = RevocationStatus(state=RevocationState.UNAVAILABLE, source=RevocationSource.NONE)


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateStatus:
    """A certificate of the path with its revocation verdict."""

    certificate: x509.Certificate
    revocation: RevocationStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidatedPath:
    """A path that validated: leaf first, trust anchor last.

    ``statuses`` holds every certificate below the anchor, leaf first (a trust
    anchor is trusted, not checked). ``reused_intermediates`` is True when the
    part above the leaf came from the validator's cache of validated paths.
    """

    chain: tuple[x509.Certificate, ...]
    trust_anchor: x509.Certificate
    statuses: tuple[CertificateStatus, ...]
    validated_at: datetime.datetime
    reused_intermediates: bool

    @property
    def certificate(self) -> x509.Certificate:
        """The validated (leaf) certificate."""
        return self.chain[0]

    @property
    def leaf_revocation(self) -> RevocationStatus:
        """The leaf's revocation verdict (NOT_CHECKED when the leaf is itself a root)."""
        return self.statuses[0].revocation if self.statuses else NOT_CHECKED

    @property
    def revocation_data(self) -> RevocationData:
        """Every answer the path's verdicts rest on, leaf first, each once.

        Per certificate, each ``statuses[i].revocation.data``; this is their
        union, what a long-term signature embeds for the whole path.
        """
        responses = (s.revocation.data.ocsp_responses for s in self.statuses)
        crls = (s.revocation.data.crls for s in self.statuses)
        return RevocationData(
            ocsp_responses=tuple(dict.fromkeys(r for group in responses for r in group)),
            crls=tuple(dict.fromkeys(c for group in crls for c in group)),
        )
