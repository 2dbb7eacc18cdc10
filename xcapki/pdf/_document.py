"""Opening a PDF for signing or verification, and refusing the ones built to deceive.

pyHanko parses the file strictly (a broken cross-reference table is an error,
not something to repair). On top of that, each signature's ``/ByteRange`` must
start at byte 0, stay inside the file, and leave out exactly its own
``/Contents`` string: anything else would let bytes outside the signature pass
as signed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, Final

from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields

from xcapki.pdf.errors import PdfFormatError, PdfUsageError
from xcapki.pdf.header import HEADER_WINDOW, is_pdf

__all__ = [
    "PARSE_FAILURES",
    "check_byte_range",
    "check_gap",
    "check_page_tree",
    "is_pdf",
    "open_document",
    "signature_field_names",
]

_HEX_DIGITS: Final = frozenset(b"0123456789abcdefABCDEF \r\n\t")
PARSE_FAILURES: Final = (
    PyHankoPdfError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    RecursionError,
)


@contextmanager
def open_document(
    source: str | os.PathLike[str] | bytes,
) -> Iterator[tuple[IO[bytes], PdfFileReader]]:
    """The open file (or the bytes given) and pyHanko's strict reader over it.

    ``PdfUsageError`` if the file cannot be opened, ``PdfFormatError`` if it is
    not a readable PDF.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        name = "the document"
        handle: IO[bytes] = io.BytesIO(bytes(source))
    else:
        name = os.fspath(source)
        try:
            handle = open(name, "rb")  # noqa: SIM115 - closed below, after the caller is done
        except OSError as exc:
            raise PdfUsageError(f"cannot read {name} ({exc.strerror}); check the path") from exc
    with handle:
        if not is_pdf(handle.read(HEADER_WINDOW)):
            raise PdfFormatError(f"{name} is not a PDF (no %PDF- header); give a PDF file")
        handle.seek(0)
        try:
            reader = PdfFileReader(handle, strict=True)
            reader.root  # noqa: B018 - resolves the catalog, which a broken xref cannot
        except PARSE_FAILURES as exc:
            raise PdfFormatError(
                f"{name} is damaged: its cross-reference table or catalog cannot be read; "
                "ask the sender for an intact copy"
            ) from exc
        yield handle, reader


def check_page_tree(reader: PdfFileReader, page_index: int) -> None:
    """Refuse a document whose page tree cannot be walked to the page a signature's widget
    goes on (a loop, a missing or malformed node), as pyHanko walks it when it signs."""
    try:
        reader.find_page_for_modification(page_index)  # type: ignore[no-untyped-call]
    except PARSE_FAILURES as exc:
        raise PdfFormatError(
            f"the document's page tree cannot be read ({exc}): it is damaged; ask the sender"
            " for an intact copy"
        ) from exc


def signature_field_names(reader: PdfFileReader) -> frozenset[str]:
    """The names of every signature field, filled or not."""
    try:
        return frozenset(name for name, _, _ in enumerate_sig_fields(reader, filled_status=None))
    except PARSE_FAILURES as exc:
        raise PdfFormatError(
            "the document's form fields cannot be read: it is damaged; ask the sender for an"
            " intact copy"
        ) from exc


def check_byte_range(field: str, byte_range: Any, contents_length: int, file_size: int) -> None:
    """Refuse a ``/ByteRange`` that does not cover all but the signature's own ``/Contents``.

    ``contents_length`` is the length of the decoded ``/Contents``; the gap must
    hold exactly its hex string with the angle brackets.
    """
    try:
        values = [int(value) for value in byte_range]
    except (TypeError, ValueError) as exc:
        raise PdfFormatError(f"signature {field!r} has an unreadable /ByteRange") from exc
    if len(values) != 4 or values[0] != 0 or min(values) < 0:
        raise PdfFormatError(
            f"signature {field!r} has /ByteRange {values}, which does not start at byte 0 "
            "in two parts: it cannot cover the document"
        )
    _, first_length, second_start, second_length = values
    if second_start + second_length > file_size or first_length > second_start:
        raise PdfFormatError(
            f"signature {field!r} has /ByteRange {values}, pointing outside the "
            f"{file_size}-byte file: the signature does not belong to this document"
        )
    gap = second_start - first_length
    if gap != 2 * contents_length + 2:
        raise PdfFormatError(
            f"signature {field!r} has /ByteRange {values}, which leaves {gap} bytes unsigned "
            f"where its /Contents takes {2 * contents_length + 2}: content outside the "
            "signature is not covered"
        )


def check_gap(field: str, handle: IO[bytes], byte_range: Any) -> None:
    """Refuse a ``/ByteRange`` whose unsigned gap holds anything but one hex string."""
    first_length, second_start = int(byte_range[1]), int(byte_range[2])
    handle.seek(first_length)
    gap = handle.read(second_start - first_length)
    if len(gap) < 2 or gap[:1] != b"<" or gap[-1:] != b">" or not set(gap[1:-1]) <= _HEX_DIGITS:
        raise PdfFormatError(
            f"signature {field!r} leaves bytes {first_length}-{second_start} unsigned, and "
            "they are not just its /Contents: content outside the signature could be changed"
        )
