"""The one hand-written DER reader and writer, checked against asn1crypto's encodings.

Every input here is built by asn1crypto (or byte by byte for what DER
forbids), never by the module under test: what it writes must be what
asn1crypto writes, and what it reads must be where asn1crypto put it.
"""

from __future__ import annotations

import io

import pytest
from asn1crypto import core
from hypothesis import given
from hypothesis import strategies as st

from xcapki.crypto import _der

SIZES = st.one_of(
    st.integers(min_value=0, max_value=300),
    st.sampled_from([0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x10000, 0x123456]),
)


@given(SIZES)
def test_header_and_tlv_are_asn1cryptos_encoding(size: int) -> None:
    content = bytes(size)
    expected = core.OctetString(content).dump()
    assert _der.tlv(_der.OCTET_STRING, content) == expected
    assert _der.header(_der.OCTET_STRING, size) + content == expected
    assert bytes((_der.OCTET_STRING,)) + _der.encode_length(size) + content == expected


@given(st.lists(st.binary(max_size=300), max_size=8))
def test_elements_lie_where_asn1crypto_put_them(values: list[bytes]) -> None:
    children = [core.OctetString(value).dump() for value in values]
    outer = _sequence(children)
    top = _der.read_element(outer, 0, len(outer))
    assert top == _der.Element(top.tag, 0, top.content, len(outer))
    assert top.tag == _der.SEQUENCE
    found = _der.children(outer, top)
    assert [element.encoding(outer) for element in found] == children
    assert [element.value(outer) for element in found] == values
    assert all(element.tag == _der.OCTET_STRING for element in found)


class _Elements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.Any


def _sequence(children: list[bytes]) -> bytes:
    """A SEQUENCE of already encoded elements, as asn1crypto writes it."""
    return bytes(_Elements([core.Any.load(child) for child in children]).dump())


def test_expect_refuses_another_tag() -> None:
    integer = core.Integer(5).dump()
    assert _der.expect(integer, 0, len(integer), _der.INTEGER).value(integer) == b"\x05"
    with pytest.raises(_der.DerError, match="tag 0x02 where 0x30 belongs at byte 0"):
        _der.expect(integer, 0, len(integer), _der.SEQUENCE)


def test_a_high_tag_number_and_a_long_length_are_read() -> None:
    tagged = core.OctetString(bytes(200), explicit=("context", 40)).dump()
    element = _der.read_element(tagged, 0, len(tagged))
    assert element.tag == tagged[0]
    inner = _der.read_element(tagged, element.content, element.end)
    assert inner.value(tagged) == bytes(200)
    assert inner.end == element.end == len(tagged)


NESTED = st.recursive(
    st.binary(max_size=140).map(lambda value: core.OctetString(value).dump()),
    lambda inner: st.lists(inner, max_size=4).map(_sequence),
    max_leaves=12,
)


@given(NESTED)
def test_asn1crypto_der_passes_the_strict_check(encoded: bytes) -> None:
    _der.check_strict(encoded)


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        (b"", "no element"),
        (b"\x30\x80\x04\x00\x00\x00", "indefinite length"),
        (b"\x04\x81\x05hello", "non-minimal length"),
        (b"\x04\x82\x00\x80" + bytes(128), "non-minimal length"),
        (b"\x04\x85\x01\x00\x00\x00\x00", "oversized length"),
        (b"\x30\x04\x24\x02\x04\x00", "constructed string"),
        (b"\x04\x01x\x00", "1 bytes after the element"),
        (b"\x30\x04\x04\x05ab", "element runs past its container"),
        (b"\x04\x05ab", "element runs past its container"),
        (b"\x30\x01\x04", "truncated length"),
        (b"\x1f\x80\x01\x00", "bad high tag number"),
        (b"\x30\x02\x1f\x81", "truncated tag"),
    ],
)
def test_what_der_forbids_is_refused(encoded: bytes, reason: str) -> None:
    with pytest.raises(_der.DerError) as caught:
        _der.check_strict(encoded)
    assert caught.value.reason == reason


def test_nesting_beyond_48_is_refused() -> None:
    deep = core.Null().dump()
    for _ in range(48):
        deep = _sequence([deep])
    _der.check_strict(deep)
    with pytest.raises(_der.DerError, match="nesting too deep"):
        _der.check_strict(_sequence([deep]))


def test_an_opaque_element_is_left_unchecked_at_its_depth_only() -> None:
    outer = b"\x30\x08" + b"\xa0\x06" + b"\x30\x80\x05\x00\x00\x00"
    _der.check_strict(outer, opaque=(0xA0, 1))
    with pytest.raises(_der.DerError, match="indefinite length"):
        _der.check_strict(outer, opaque=(0xA0, 2))
    with pytest.raises(_der.DerError, match="indefinite length"):
        _der.check_strict(outer)


def _stream_header(data: bytes) -> tuple[bytes, int | None]:
    stream = io.BytesIO(data)

    def read(size: int) -> bytes:
        chunk = stream.read(size)
        assert len(chunk) == size, "the test stream ran out"
        return chunk

    return _der.read_stream_header(read)


@given(SIZES)
def test_stream_headers_read_asn1cryptos_lengths(size: int) -> None:
    assert _stream_header(core.OctetString(bytes(size)).dump()) == (b"\x04", size)


def test_stream_headers_read_ber() -> None:
    indefinite = _der.indefinite_header(_der.SEQUENCE) + b"\x05\x00" + _der.END_OF_CONTENTS
    assert core.Sequence.load(indefinite).native == {"0": None}
    assert _stream_header(indefinite) == (b"\x30", None)
    assert _stream_header(b"\x04\x82\x00\x05hello") == (b"\x04", 5)
    assert _stream_header(b"\xbf\x81\x00\x00") == (b"\xbf\x81\x00", 0)


@pytest.mark.parametrize(
    ("encoded", "reason"),
    [
        (b"\x04\x80", "a primitive element of indefinite length"),
        (b"\x04\x89" + bytes(9), "a length too large"),
        (b"\x1f\x81\x81\x81\x81\x81\x01\x00", "a tag number too large"),
    ],
)
def test_stream_headers_refuse_what_no_ber_reader_should_take(encoded: bytes, reason: str) -> None:
    with pytest.raises(_der.DerError) as caught:
        _stream_header(encoded)
    assert caught.value.reason == reason
    assert caught.value.offset is None
