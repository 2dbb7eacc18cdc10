"""What a caller chooses when signing a PDF: the PAdES level and the visible signature."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from xcapki.pdf.errors import PdfUsageError

__all__ = ["DEFAULT_BOX", "PadesLevel", "VisibleSignature"]

DEFAULT_BOX = (360.0, 60.0, 560.0, 140.0)
"""A box near the bottom right of an A4 or Letter page, in points (x1, y1, x2, y2)."""


class PadesLevel(enum.Enum):
    """The PAdES baseline level (ETSI EN 319 142-1) of a signature."""

    B_B = "b-b"
    """The signature alone."""
    B_T = "b-t"
    """Plus an RFC 3161 timestamp on the signature, from a time-stamping authority."""
    B_LT = "b-lt"
    """Plus the certificates, OCSP answers and CRLs of every path, in the document."""
    B_LTA = "b-lta"
    """Plus a document timestamp over all of it, so the evidence can be renewed."""

    @property
    def needs_timestamp(self) -> bool:
        """Whether the level needs a time-stamping authority."""
        return self is not PadesLevel.B_B

    @property
    def embeds_revocation(self) -> bool:
        """Whether the level embeds validation data (B-LT and B-LTA)."""
        return self in (PadesLevel.B_LT, PadesLevel.B_LTA)


@dataclass(frozen=True, slots=True, kw_only=True)
class VisibleSignature:
    """A stamp showing the holder's organisation and 統一編號 on a page.

    ``page`` counts from 1 (``-1`` is the last page); ``box`` is
    (x1, y1, x2, y2) in PDF points from the page's lower-left corner. ``font``
    names a TrueType/OpenType file (or collection) with CJK glyphs; by default
    a system font is used (Debian fonts-wqy-microhei or Noto CJK).
    """

    page: int = 1
    box: tuple[float, float, float, float] = DEFAULT_BOX
    font: Path | None = None

    def __post_init__(self) -> None:
        if self.page == 0 or not isinstance(self.page, int):
            raise PdfUsageError("the stamp's page counts from 1 (or -1 for the last page)")
        x1, y1, x2, y2 = self.box
        if not (x2 - x1 >= 20 and y2 - y1 >= 10 and min(x1, y1) >= 0):
            raise PdfUsageError(
                f"the stamp's box {self.box} is not x1,y1,x2,y2 with x2 > x1 and y2 > y1 "
                "(at least 20 by 10 points, non-negative); give it in PDF points"
            )
