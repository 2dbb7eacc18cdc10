"""Errors of PDF signing and verification (PAdES through pyHanko).

``PdfError`` is the subtree's root; no pyHanko exception escapes xcapki.pdf::

    PdfError
    ├── PdfFormatError       the file is not a PDF xcapki will read (broken, hostile)
    ├── PdfUsageError        an argument that cannot work (page, box, font, level)
    └── PdfSigningError      signing could not finish (card, timestamp, revocation data)
        └── TimestampError   the time-stamping authority did not give a usable token
"""

from __future__ import annotations

from xcapki.errors import XcapkiError

__all__ = ["PdfError", "PdfFormatError", "PdfSigningError", "PdfUsageError", "TimestampError"]


class PdfError(XcapkiError):
    """A PDF that cannot be signed or verified as asked."""


class PdfFormatError(PdfError):
    """A file that is not a well-formed PDF, or whose signatures are laid out to deceive."""


class PdfUsageError(PdfError):
    """A signing or verification option that cannot work with this document or system."""


class PdfSigningError(PdfError):
    """Signing started but could not produce a signed document; the output is not written."""


class TimestampError(PdfSigningError):
    """The time-stamping authority could not be reached or gave an unusable answer."""
