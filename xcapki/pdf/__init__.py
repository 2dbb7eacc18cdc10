"""PDF signatures (PAdES) made with an xcapki ``Signer`` and checked against GPKI trust.

Needs the ``pdf`` extra (pyHanko). ``sign_pdf`` signs at PAdES B-B, B-T, B-LT
or B-LTA, optionally with a visible stamp; ``verify_pdf`` checks every
signature of a document. See docs/pdf.md.
"""

from __future__ import annotations

from xcapki.pdf.errors import (
    PdfError,
    PdfFormatError,
    PdfSigningError,
    PdfUsageError,
    TimestampError,
)
from xcapki.pdf.options import DEFAULT_BOX, PadesLevel, VisibleSignature
from xcapki.pdf.results import (
    Coverage,
    LaterChanges,
    PdfSignatureCheck,
    PdfVerification,
    RevocationEvidence,
    SignatureKind,
    TimestampCheck,
)
from xcapki.pdf.sign import SignedPdf, sign_pdf
from xcapki.pdf.verify import verify_pdf

__all__ = [
    "DEFAULT_BOX",
    "Coverage",
    "LaterChanges",
    "PadesLevel",
    "PdfError",
    "PdfFormatError",
    "PdfSignatureCheck",
    "PdfSigningError",
    "PdfUsageError",
    "PdfVerification",
    "RevocationEvidence",
    "SignatureKind",
    "SignedPdf",
    "TimestampCheck",
    "TimestampError",
    "VisibleSignature",
    "sign_pdf",
    "verify_pdf",
]
