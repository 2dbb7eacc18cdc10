"""A strict DER check of the TLV skeleton, before any ASN.1 library sees the bytes.

asn1crypto accepts BER (indefinite lengths, constructed strings, long-form
lengths that could be short). A signature is only unambiguous in DER, so
the whole input is walked once: every length definite and minimal, no
constructed OCTET or BIT STRING, one top-level element, nothing after it.
Certificates are skipped here because ``cryptography`` parses them as
strict DER anyway.
"""

from __future__ import annotations

from typing import Final

from xcapki.crypto.cms.errors import CmsMalformedError

_CONSTRUCTED: Final = 0x20
_CONSTRUCTED_STRINGS: Final = frozenset({0x23, 0x24})
_CERTIFICATES_TAG: Final = 0xA0
_SIGNED_DATA_FIELD_DEPTH: Final = 3
_MAX_DEPTH: Final = 48


def _not_der(reason: str, offset: int) -> CmsMalformedError:
    return CmsMalformedError(
        f"the CMS is not strict DER ({reason} at byte {offset}); "
        "the signer must send a DER-encoded SignedData"
    )


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """Read one TLV header at ``pos``: (first tag byte, content start, content end)."""
    tag = data[pos]
    if tag & 0x1F != 0x1F and pos + 1 < end:
        first = data[pos + 1]
        if first < 0x80:
            stop = pos + 2 + first
            if stop > end:
                raise _not_der("element runs past its container", pos)
            return tag, pos + 2, stop
    return _long_header(data, pos, end)


def _long_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """``read_header`` for high tag numbers and long-form lengths."""
    start = pos
    tag = data[pos]
    pos += 1
    if tag & 0x1F == 0x1F:
        if pos >= end or data[pos] == 0x80:
            raise _not_der("bad high tag number", start)
        while data[pos] & 0x80:
            pos += 1
            if pos >= end:
                raise _not_der("truncated tag", start)
        pos += 1
    if pos >= end:
        raise _not_der("truncated length", start)
    first = data[pos]
    pos += 1
    if first < 0x80:
        length = first
    elif first == 0x80:
        raise _not_der("indefinite length", start)
    else:
        count = first & 0x7F
        if count > 4 or pos + count > end:
            raise _not_der("oversized length", start)
        if data[pos] == 0:
            raise _not_der("non-minimal length", start)
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < 0x80:
            raise _not_der("non-minimal length", start)
    if pos + length > end:
        raise _not_der("element runs past its container", start)
    return tag, pos, pos + length


def check_der(data: bytes) -> None:
    """Raise ``CmsMalformedError`` unless ``data`` is one DER element, nothing more."""
    if not data:
        raise CmsMalformedError("the CMS is empty; the signer sent no signature")
    _, _, top_end = read_header(data, 0, len(data))
    if top_end != len(data):
        raise _not_der(f"{len(data) - top_end} bytes after the SignedData", top_end)
    regions: list[tuple[int, int, int]] = [(0, len(data), 0)]
    # Short primitive elements (most of a CMS) are stepped over inline: a
    # call per element would cost more than the check itself.
    while regions:
        pos, end, depth = regions.pop()
        while pos < end:
            tag = data[pos]
            if tag & _CONSTRUCTED == 0 and tag & 0x1F != 0x1F and pos + 1 < end:
                first = data[pos + 1]
                if first < 0x80:
                    pos += 2 + first
                    if pos > end:
                        raise _not_der("element runs past its container", pos - 2 - first)
                    continue
            tag, start, stop = read_header(data, pos, end)
            if tag & _CONSTRUCTED:
                if tag in _CONSTRUCTED_STRINGS:
                    raise _not_der("constructed string", pos)
                if depth >= _MAX_DEPTH:
                    raise _not_der("nesting too deep", pos)
                if not (tag == _CERTIFICATES_TAG and depth == _SIGNED_DATA_FIELD_DEPTH):
                    regions.append((start, stop, depth + 1))
            pos = stop
