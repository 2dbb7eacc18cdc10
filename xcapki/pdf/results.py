"""What ``verify_pdf`` reports: one typed result per signature in the document."""

from __future__ import annotations

import datetime
import enum
from dataclasses import dataclass

from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation import RevocationState
from xcapki.pdf.options import PadesLevel

__all__ = [
    "Coverage",
    "LaterChanges",
    "PdfSignatureCheck",
    "PdfVerification",
    "RevocationEvidence",
    "SignatureKind",
    "TimestampCheck",
]


class SignatureKind(enum.Enum):
    """A signer's signature, or a document timestamp (PAdES B-LTA)."""

    SIGNATURE = "signature"
    DOCUMENT_TIMESTAMP = "document-timestamp"


class Coverage(enum.Enum):
    """How much of the file the signature's ByteRange covers."""

    ENTIRE_FILE = "entire-file"
    """Every byte but the signature itself: nothing was added after signing."""
    ENTIRE_REVISION = "entire-revision"
    """A whole earlier revision; incremental updates follow (see ``LaterChanges``)."""


class LaterChanges(enum.Enum):
    """What the incremental updates after the signed revision changed."""

    NONE = "none"
    VALIDATION_DATA = "validation-data"
    """Revocation data and document timestamps only (PAdES B-LT and B-LTA)."""
    FORM_FILLING = "form-filling"
    """Form fields filled in or further signatures added."""
    ANNOTATIONS = "annotations"
    """Comments and other annotations."""
    CONTENT = "content"
    """The signed content itself: what was signed is not what the document shows."""


class RevocationEvidence(enum.Enum):
    """Where the signer's revocation answer came from."""

    EMBEDDED = "embedded"
    """OCSP answers or CRLs carried in the document (DSS or the signature)."""
    ONLINE = "online"
    """Fetched from the certificate's OCSP responder or CRL distribution point."""
    NONE = "none"


@dataclass(frozen=True, slots=True, kw_only=True)
class TimestampCheck:
    """An RFC 3161 timestamp on a signature: when, and whether it holds."""

    time: datetime.datetime
    intact: bool
    trusted: bool
    authority: str

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfSignatureCheck:
    """One signature of the document, every question answered apart.

    ``revision`` counts the document's revisions from 1 (the one the signature
    signs). ``failure`` says in words why the signature is not valid, if not.
    """

    field_name: str
    kind: SignatureKind
    revision: int
    intact: bool
    coverage: Coverage
    later_changes: LaterChanges
    trusted: bool
    revocation: RevocationState
    revocation_evidence: RevocationEvidence
    signing_time: datetime.datetime | None
    timestamp: TimestampCheck | None
    level: PadesLevel | None
    signer: TaiwanCertificate
    failure: str | None

    @property
    def valid(self) -> bool:
        """Intact, trusted, not revoked, nothing signed changed, any timestamp valid."""
        return (
            self.intact
            and self.trusted
            and self.revocation in (RevocationState.GOOD, RevocationState.NOT_CHECKED)
            and self.later_changes is not LaterChanges.CONTENT
            and (self.timestamp is None or self.timestamp.valid)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PdfVerification:
    """Every signature of a PDF, in the order they were added."""

    signatures: tuple[PdfSignatureCheck, ...]
    revisions: int

    @property
    def valid(self) -> bool:
        """At least one signature, and every one valid."""
        return bool(self.signatures) and all(s.valid for s in self.signatures)
