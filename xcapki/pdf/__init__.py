"""PDF signatures (PAdES) made with an xcapki ``Signer`` and checked against GPKI trust.

``sign_pdf`` signs at PAdES B-B, B-T, B-LT or B-LTA, optionally with a visible
stamp, and ``check_signable`` refuses a document it could not sign before a
card is asked for its PIN; ``verify_pdf`` checks every signature of a
document. They need the ``pdf`` extra (pyHanko), which loads on their first
use, so the options, results and errors here can be imported (by the CLI,
say) without it. See docs/pdf.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from xcapki.pdf.external import PreparedPdfSignature, prepare_pdf_signature
    from xcapki.pdf.sign import SignedPdf, check_signable, sign_pdf
    from xcapki.pdf.verify import verify_pdf

_NEEDS_PYHANKO = {
    "PreparedPdfSignature": "xcapki.pdf.external",
    "prepare_pdf_signature": "xcapki.pdf.external",
    "SignedPdf": "xcapki.pdf.sign",
    "check_signable": "xcapki.pdf.sign",
    "sign_pdf": "xcapki.pdf.sign",
    "verify_pdf": "xcapki.pdf.verify",
}

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
    "PreparedPdfSignature",
    "RevocationEvidence",
    "SignatureKind",
    "SignedPdf",
    "TimestampCheck",
    "TimestampError",
    "VisibleSignature",
    "check_signable",
    "prepare_pdf_signature",
    "sign_pdf",
    "verify_pdf",
]


def __getattr__(name: str) -> object:
    """Load the signing and verification functions (and pyHanko) on first use."""
    module = _NEEDS_PYHANKO.get(name)
    if module is None:
        raise AttributeError(f"module 'xcapki.pdf' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise PdfUsageError(
            f"PDF signing needs pyHanko, which is not installed ({exc}); "
            "install it with: pip install 'xcapki[pdf]'"
        ) from exc
    globals()[name] = value
    return value
