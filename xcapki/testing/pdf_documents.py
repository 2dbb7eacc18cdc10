"""Test PDFs written byte by byte, independently of pyHanko and of xcapki.pdf.

For the PDF tests and benchmarks (``write_pdf``).

Each document is a classic PDF 1.7 file: a catalog, a page tree, pages with a
Helvetica text line, an optional incompressible filler stream (to reach a size),
and a cross-reference table whose offsets are computed while writing.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

__all__ = ["pdf_bytes", "write_pdf"]

FILLER_CHUNK = 1 << 20


def _object(number: int, body: bytes) -> bytes:
    return b"%d 0 obj\n" % number + body + b"\nendobj\n"


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<<" + dictionary + b" /Length %d>>\nstream\n" % len(data) + data + b"\nendstream"


def write_pdf(path: Path, *, pages: int = 1, text: str = "Annual report", size: int = 0) -> Path:
    """Write a PDF of ``pages`` pages to ``path``; ``size`` pads it with a random stream.

    The filler is written in chunks, so a 50 MB document never sits in memory.
    """
    with path.open("wb") as out:
        _write(out, pages=pages, text=text, size=size)
    return path


def pdf_bytes(*, pages: int = 1, text: str = "Annual report") -> bytes:
    """A small PDF of ``pages`` pages as bytes; ``text`` (Latin-1) heads each page."""
    out = io.BytesIO()
    _write(out, pages=pages, text=text, size=0)
    return out.getvalue()


def _write(out: BinaryIO, *, pages: int, text: str, size: int) -> None:
    page_numbers = [3 + 2 * index for index in range(pages)]
    font = 3 + 2 * pages
    filler = font + 1
    objects: list[tuple[int, bytes]] = [
        (1, b"<< /Type /Catalog /Pages 2 0 R >>"),
        (
            2,
            b"<< /Type /Pages /Kids ["
            + b" ".join(b"%d 0 R" % n for n in page_numbers)
            + b"] /Count %d >>" % pages,
        ),
    ]
    for index, number in enumerate(page_numbers):
        line = f"BT /F1 24 Tf 72 720 Td ({text} page {index + 1}) Tj ET".encode("latin-1")
        objects.append(
            (
                number,
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
                b" /Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (font, number + 1),
            )
        )
        objects.append((number + 1, _stream(b"", line)))
    objects.append((font, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"))
    offsets: dict[int, int] = {}
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    for number, body in objects:
        offsets[number] = out.tell()
        out.write(_object(number, body))
    count = font + 1
    if size > 0:
        offsets[filler] = out.tell()
        count = filler + 1
        length = max(size - out.tell(), 1)
        out.write(b"%d 0 obj\n<< /Length %d >>\nstream\n" % (filler, length))
        remaining = length
        while remaining:
            chunk = min(remaining, FILLER_CHUNK)
            out.write(os.urandom(chunk))
            remaining -= chunk
        out.write(b"\nendstream\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % count)
    for number in range(1, count):
        out.write(b"%010d 00000 n \n" % offsets[number])
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (count, xref))
