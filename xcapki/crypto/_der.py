"""DER read and written by hand, for the few places where a parsed ASN.1 object costs too much.

asn1crypto (structures) and ``cryptography`` (certificates, signatures) do
xcapki's ASN.1. A few hot or streaming places need no objects, only where an
element of the original bytes starts and ends, or a header in front of bytes
already encoded: the strict check and skeleton walk of a CMS SignedData (every
login), a leaf's TBSCertificate and issuer Name as received (the validator's
fast path), the signed attributes' SET OF, and the BER frame of a streamed
signature. They all read and write tags and lengths here, one way.

Readers raise ``DerError`` and nothing else; it never leaves the crypto
layer, as each caller turns it into its own typed error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

__all__ = [
    "CONSTRUCTED",
    "END_OF_CONTENTS",
    "INTEGER",
    "OCTET_STRING",
    "OID",
    "SEQUENCE",
    "SET",
    "DerError",
    "Element",
    "check_strict",
    "children",
    "elements",
    "encode_length",
    "expect",
    "header",
    "indefinite_header",
    "read_element",
    "read_header",
    "read_stream_header",
    "tlv",
]

INTEGER: Final = 0x02
OCTET_STRING: Final = 0x04
OID: Final = 0x06
SEQUENCE: Final = 0x30
SET: Final = 0x31
CONSTRUCTED: Final = 0x20
"""The bit of the first tag byte that marks a constructed element."""
END_OF_CONTENTS: Final = b"\x00\x00"
"""What closes a BER element of indefinite length."""

_HIGH_TAG: Final = 0x1F
_LONG_LENGTH: Final = 0x80
_INDEFINITE: Final = 0x80
_CONSTRUCTED_STRINGS: Final = frozenset({0x23, 0x24})
_MAX_LENGTH_OCTETS: Final = 4
"""In memory: a length of up to 4 GiB, far above any input size limit."""
_MAX_STREAM_LENGTH_OCTETS: Final = 8
"""Streamed: a file's content may exceed 4 GiB."""
_MAX_STREAM_TAG_OCTETS: Final = 5
_MAX_DEPTH: Final = 48


class DerError(ValueError):
    """The bytes are not the DER (or BER, when streamed) expected: ``reason`` at ``offset``."""

    def __init__(self, reason: str, offset: int | None = None) -> None:
        super().__init__(reason if offset is None else f"{reason} at byte {offset}")
        self.reason = reason
        self.offset = offset


class Element(NamedTuple):
    """Where one element of ``data`` lies: its first tag byte and three offsets."""

    tag: int
    start: int
    """Where its header starts."""
    content: int
    """Where its content starts."""
    end: int
    """Where it ends (one past its last byte)."""

    def encoding(self, data: bytes) -> bytes:
        """The whole element, header included, as it stands in ``data``."""
        return data[self.start : self.end]

    def value(self, data: bytes) -> bytes:
        """The element's content octets."""
        return data[self.content : self.end]


_new_element: Final = tuple.__new__
"""Builds an ``Element`` without the Python-level ``__new__`` (a CMS walk makes ~60)."""


def read_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """One strict DER header at ``pos``: (first tag byte, content start, content end).

    The element must end by ``end``; its length must be definite and minimal.
    """
    tag = data[pos]
    if tag & _HIGH_TAG != _HIGH_TAG and pos + 1 < end:
        first = data[pos + 1]
        if first < _LONG_LENGTH:
            stop = pos + 2 + first
            if stop > end:
                raise DerError("element runs past its container", pos)
            return tag, pos + 2, stop
    return _long_header(data, pos, end)


def _long_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """``read_header`` for high tag numbers and long-form lengths."""
    start = pos
    tag = data[pos]
    pos += 1
    if tag & _HIGH_TAG == _HIGH_TAG:
        if pos >= end or data[pos] == 0x80:
            raise DerError("bad high tag number", start)
        while data[pos] & 0x80:
            pos += 1
            if pos >= end:
                raise DerError("truncated tag", start)
        pos += 1
    if pos >= end:
        raise DerError("truncated length", start)
    first = data[pos]
    pos += 1
    if first < _LONG_LENGTH:
        length = first
    elif first == _INDEFINITE:
        raise DerError("indefinite length", start)
    else:
        count = first & 0x7F
        if count > _MAX_LENGTH_OCTETS or pos + count > end:
            raise DerError("oversized length", start)
        if data[pos] == 0:
            raise DerError("non-minimal length", start)
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
        if length < _LONG_LENGTH:
            raise DerError("non-minimal length", start)
    if pos + length > end:
        raise DerError("element runs past its container", start)
    return tag, pos, pos + length


def read_element(data: bytes, pos: int, end: int) -> Element:
    """The element whose header is at ``pos`` and which ends by ``end``."""
    tag, content, stop = read_header(data, pos, end)
    return _new_element(Element, (tag, pos, content, stop))


def expect(data: bytes, pos: int, end: int, tag: int) -> Element:
    """``read_element``, refusing any first tag byte but ``tag``."""
    element = read_element(data, pos, end)
    if element.tag != tag:
        raise DerError(f"tag {element.tag:#04x} where {tag:#04x} belongs", pos)
    return element


def elements(data: bytes, start: int, end: int) -> list[Element]:
    """The elements one after the other from ``start`` to exactly ``end``."""
    found = []
    while start < end:
        # Low tag number and short length (most elements) are read inline, as in
        # ``read_header``: a call per element would cost more than the reading.
        tag = data[start]
        if tag & _HIGH_TAG != _HIGH_TAG and start + 1 < end and data[start + 1] < _LONG_LENGTH:
            content = start + 2
            stop = content + data[start + 1]
            if stop > end:
                raise DerError("element runs past its container", start)
        else:
            tag, content, stop = _long_header(data, start, end)
        found.append(_new_element(Element, (tag, start, content, stop)))
        start = stop
    return found


def children(data: bytes, parent: Element) -> list[Element]:
    """The elements inside a constructed ``parent``."""
    return elements(data, parent.content, parent.end)


def check_strict(data: bytes, *, opaque: tuple[int, int] | None = None) -> None:
    """Raise ``DerError`` unless ``data`` is exactly one element, strict DER throughout.

    Every length definite and minimal, no constructed OCTET or BIT STRING,
    nesting at most 48 deep, nothing after the element. ``opaque`` is the
    (first tag byte, depth) of a constructed element whose inside is left to
    a parser as strict as this check (certificates, to ``cryptography``).
    """
    if not data:
        raise DerError("no element", 0)
    _, _, top_end = read_header(data, 0, len(data))
    if top_end != len(data):
        raise DerError(f"{len(data) - top_end} bytes after the element", top_end)
    opaque_tag, opaque_depth = (-1, -1) if opaque is None else opaque
    regions: list[tuple[int, int, int]] = [(0, len(data), 0)]
    # Short primitive elements (most of a CMS) are stepped over inline: a
    # call per element would cost more than the check itself.
    while regions:
        pos, end, depth = regions.pop()
        while pos < end:
            tag = data[pos]
            if tag & CONSTRUCTED == 0 and tag & _HIGH_TAG != _HIGH_TAG and pos + 1 < end:
                first = data[pos + 1]
                if first < _LONG_LENGTH:
                    pos += 2 + first
                    if pos > end:
                        raise DerError("element runs past its container", pos - 2 - first)
                    continue
            tag, start, stop = read_header(data, pos, end)
            if tag & CONSTRUCTED:
                if tag in _CONSTRUCTED_STRINGS:
                    raise DerError("constructed string", pos)
                if depth >= _MAX_DEPTH:
                    raise DerError("nesting too deep", pos)
                if not (tag == opaque_tag and depth == opaque_depth):
                    regions.append((start, stop, depth + 1))
            pos = stop


def read_stream_header(read: Callable[[int], bytes]) -> tuple[bytes, int | None]:
    """One BER header from a stream: (tag bytes, content length, or None for indefinite).

    ``read(n)`` returns exactly ``n`` bytes or raises. Lengths need not be
    minimal (BER); a primitive element may not be indefinite.
    """
    tag = read(1)
    if tag[0] & _HIGH_TAG == _HIGH_TAG:
        while True:
            more = read(1)
            tag += more
            if not more[0] & 0x80:
                break
            if len(tag) > _MAX_STREAM_TAG_OCTETS:
                raise DerError("a tag number too large")
    first = read(1)[0]
    if first < _LONG_LENGTH:
        return tag, first
    if first == _INDEFINITE:
        if not tag[0] & CONSTRUCTED:
            raise DerError("a primitive element of indefinite length")
        return tag, None
    count = first & 0x7F
    if count > _MAX_STREAM_LENGTH_OCTETS:
        raise DerError("a length too large")
    return tag, int.from_bytes(read(count), "big")


def encode_length(size: int) -> bytes:
    """The DER length octets of ``size`` content bytes (short form below 128)."""
    if size < _LONG_LENGTH:
        return bytes((size,))
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((_LONG_LENGTH | len(octets),)) + octets


def header(tag: int, size: int) -> bytes:
    """The DER header of an element with first tag byte ``tag`` and ``size`` content bytes."""
    if size < _LONG_LENGTH:
        return bytes((tag, size))
    return bytes((tag,)) + encode_length(size)


def tlv(tag: int, content: bytes) -> bytes:
    """The DER element ``tag`` holding ``content`` (already encoded)."""
    return header(tag, len(content)) + content


def indefinite_header(tag: int) -> bytes:
    """A BER header of indefinite length, closed later by ``END_OF_CONTENTS``."""
    return bytes((tag, _INDEFINITE))
