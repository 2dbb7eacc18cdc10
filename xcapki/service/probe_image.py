"""``/p11Image.bmp``: text drawn as pixels, the way HiPKI pages probe the local service.

A page draws the image on a canvas and reads row 0 from the left, three
characters per pixel (``String.fromCharCode(B, G, R)``, blue first), until
the first pixel whose blue is 0. So the text must be single-byte without NUL
(JSON with every non-ASCII character escaped is), is padded with spaces
(JSON whitespace) to whole pixels, and ends with a black pixel. The image is
one row high: an uncompressed 24-bit BMP is 54 bytes of header and the row.
"""

from __future__ import annotations

import struct

__all__ = ["WAITING_GIF", "text_bitmap"]

_FILE_HEADER = struct.Struct("<2sIHHI")
_INFO_HEADER = struct.Struct("<IiiHHIIiiII")
_PIXELS_PER_METRE = 2835  # 72 dpi


def text_bitmap(text: str) -> bytes:
    """A one-row 24-bit BMP whose pixels spell ``text`` (printable ASCII) and then stop."""
    data = text.encode("ascii")
    if b"\x00" in data:
        raise ValueError("the text holds NUL, which ends the page's reading early")
    data += b" " * (-len(data) % 3) + b"\x00\x00\x00"
    width = len(data) // 3
    row = data + b"\x00" * (-len(data) % 4)
    offset = _FILE_HEADER.size + _INFO_HEADER.size
    info = _INFO_HEADER.pack(
        _INFO_HEADER.size, width, 1, 1, 24, 0, len(row), _PIXELS_PER_METRE, _PIXELS_PER_METRE, 0, 0
    )
    return _FILE_HEADER.pack(b"BM", offset + len(row), 0, 0, offset) + info + row


WAITING_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
"""``/waiting.gif``: a transparent 1x1 GIF, the placeholder some pages open as the popup."""
