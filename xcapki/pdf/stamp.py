"""The visible signature: organisation name and 統一編號 in a CJK font the system ships.

The font is cut down to the glyphs the stamp draws before pyHanko embeds it;
a font collection (.ttc, as Debian's WenQuanYi Micro Hei) is opened at its
first face.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont, TTLibError
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.api import FontEngineFactory
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

from xcapki.crypto.profile import TaiwanCertificate
from xcapki.pdf.errors import PdfUsageError

__all__ = ["SYSTEM_CJK_FONTS", "find_cjk_font", "stamp_lines", "stamp_style"]

SYSTEM_CJK_FONTS: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
"""Where Debian's CJK font packages install a font with traditional Chinese glyphs."""

_FONT_SIZE: Final = 10
_TIME_LABEL: Final = "簽章時間"


def find_cjk_font(font: Path | None = None) -> Path:
    """``font`` if given and present, else the first system CJK font found."""
    if font is not None:
        if not font.is_file():
            raise PdfUsageError(f"the font {font} does not exist; name a .ttf, .otf or .ttc file")
        return font
    for candidate in SYSTEM_CJK_FONTS:
        if candidate.is_file():
            return candidate
    raise PdfUsageError(
        "no CJK font found for the visible signature; install Debian's fonts-wqy-microhei "
        "or name a font file with traditional Chinese glyphs"
    )


_ALWAYS_DRAWN: Final = "".join(chr(code) for code in range(0x20, 0x7F))
"""Printable ASCII: the signing time and anything the stamp's lines spell in Latin."""


@functools.lru_cache(maxsize=16)
def _font_bytes(path: Path, text: str) -> bytes:
    """The glyphs ``text`` needs from ``path`` (first face of a collection), at 1000 units/em.

    pyHanko writes glyph widths in the font's own units while PDF reads them
    per 1000 em, so a 2048-unit font (WenQuanYi) would be drawn twice as wide;
    rescaling first keeps the stamp's spacing right, and the subset keeps it small.
    """
    try:
        if path.read_bytes()[:4] == b"ttcf":
            font = TTCollection(str(path), lazy=True).fonts[0]
        else:
            font = TTFont(str(path), lazy=True)
        options = subset.Options()
        options.notdef_outline = True
        options.drop_tables += ["FFTM"]  # FontForge's timestamps: nothing to draw
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=text + _ALWAYS_DRAWN)
        subsetter.subset(font)
        scale_upem(font, 1000)
        face = io.BytesIO()
        font.save(face)
    except (TTLibError, OSError, ValueError, KeyError, IndexError, AssertionError) as exc:
        raise PdfUsageError(
            f"the font {path} cannot be used for the stamp ({exc}); name a TrueType or "
            "OpenType font with traditional Chinese glyphs"
        ) from exc
    return face.getvalue()


@dataclass(frozen=True)
class _EmbeddedFont(FontEngineFactory):
    """pyHanko's glyph accumulator over font bytes already in memory."""

    data: bytes
    font_size: int = _FONT_SIZE

    def create_font_engine(self, writer: Any, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(
            writer=writer,
            font_handle=io.BytesIO(self.data),
            font_size=self.font_size,
            obj_stream=obj_stream,
        )


def stamp_lines(profile: TaiwanCertificate) -> tuple[str, ...]:
    """What the stamp says: organisation, 統一編號 and card number when present."""
    lines = [profile.organisation_name or profile.common_name or "—"]
    if profile.unified_business_number:
        lines.append(f"統一編號 {profile.unified_business_number}")
    if profile.card_serial:
        lines.append(f"卡號 {profile.card_serial}")
    return tuple(lines)


def stamp_style(profile: TaiwanCertificate, font: Path | None) -> TextStampStyle:
    """A pyHanko text stamp with the holder's lines and the signing time."""
    lines = (*stamp_lines(profile), _TIME_LABEL)
    data = _font_bytes(find_cjk_font(font), "".join(lines))
    text = "\n".join(line.replace("%", "%%") for line in lines)
    return TextStampStyle(
        stamp_text=text + " %(ts)s",
        text_box_style=TextBoxStyle(font=_EmbeddedFont(data)),
        border_width=1,
        background=None,
        timestamp_format="%Y-%m-%d %H:%M:%S %Z",
    )
