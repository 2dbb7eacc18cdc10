"""ATR parsing, the card table, APDU encoding and status words: pure functions."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xcapki.reader import (
    UNKNOWN_CARD,
    ApduError,
    ApduFormatError,
    Atr,
    AtrFormatError,
    CardFamily,
    ChecksumStatus,
    CommandApdu,
    Convention,
    Protocol,
    ResponseApdu,
    StatusKind,
    StatusWord,
    identify_card,
)
from xcapki.testing.virtual_reader import HICOS_GEN1_ATR


def test_hicos_gen1_atr() -> None:
    atr = Atr.parse(HICOS_GEN1_ATR)
    assert atr.convention is Convention.DIRECT
    assert atr.protocols == (Protocol.T1,)
    assert atr.historical_bytes == b"CHTMOICA"
    assert atr.tck == 0xA5
    assert atr.checksum is ChecksumStatus.VALID
    assert atr.interface_bytes[0].ta == 0x13
    assert atr.interface_bytes[2].ta == 0xFA
    assert atr.hex() == "3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5"
    assert identify_card(atr).family is CardFamily.HICOS_GEN1


def test_t0_only_atr_has_no_checksum() -> None:
    atr = Atr.parse(bytes.fromhex("3B 02 14 50"))
    assert atr.protocols == (Protocol.T0,)
    assert atr.historical_bytes == b"\x14\x50"
    assert atr.checksum is ChecksumStatus.ABSENT
    assert identify_card(atr) is UNKNOWN_CARD


def test_wrong_checksum_is_reported_not_hidden() -> None:
    broken = HICOS_GEN1_ATR[:-1] + b"\x00"
    atr = Atr.parse(broken)
    assert atr.checksum is ChecksumStatus.INVALID
    assert identify_card(atr).family is CardFamily.UNKNOWN


def test_t1_atr_without_tck_is_invalid() -> None:
    assert Atr.parse(HICOS_GEN1_ATR[:-1]).checksum is ChecksumStatus.INVALID


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x3b", b"\x00\x00", bytes.fromhex("3B 88"), bytes.fromhex("3B 10"), bytes(40)],
)
def test_malformed_atr_is_a_typed_error(raw: bytes) -> None:
    with pytest.raises(AtrFormatError):
        Atr.parse(raw)


@given(st.binary(max_size=40))
def test_any_bytes_parse_or_raise_atr_format_error(raw: bytes) -> None:
    try:
        atr = Atr.parse(raw)
    except AtrFormatError:
        return
    assert atr.raw == raw
    assert atr.protocol_numbers  # T=0 when none is announced
    # only T=0 and T=1 are usable through PC/SC; a card announcing just T=2..14 offers none
    assert {p.value for p in atr.protocols} == set(atr.protocol_numbers) & {0, 1}


@pytest.mark.parametrize(
    ("apdu", "encoded"),
    [
        (CommandApdu(cla=0, ins=0xA4, p1=4, p2=0), "00A40400"),
        (CommandApdu(cla=0, ins=0xB0, p1=0, p2=0, le=0), "00B0000000"),
        (CommandApdu(cla=0, ins=0xA4, p1=4, p2=0, data=b"\xa0\x01"), "00A4040002A001"),
        (CommandApdu(cla=0x80, ins=0xEE, p1=0, p2=0, data=b"\x01", le=256), "80EE00000101" + "00"),
        (CommandApdu(cla=0, ins=0xB0, p1=0, p2=0, le=300), "00B00000" + "00012C"),
        (
            CommandApdu(cla=0, ins=0xD6, p1=0, p2=0, data=bytes(300), le=0x10000),
            "00D60000" + "00012C" + "00" * 300 + "0000",
        ),
    ],
)
def test_command_encoding(apdu: CommandApdu, encoded: str) -> None:
    assert apdu.to_bytes().hex().upper() == encoded.upper()
    parsed = CommandApdu.parse(apdu.to_bytes())
    assert parsed.to_bytes() == apdu.to_bytes()


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=600),
    st.one_of(st.none(), st.integers(1, 65535)),
)
def test_command_round_trip(ins: int, p1: int, data: bytes, le: int | None) -> None:
    apdu = CommandApdu(cla=0x00, ins=ins, p1=p1, p2=0, data=data, le=le)
    parsed = CommandApdu.parse(apdu.to_bytes())
    # a short Le byte 00 asks for 256 bytes, which the model also spells le=0 (the maximum)
    expected = 0 if le == 256 and not apdu.extended else le
    assert parsed == dataclasses.replace(apdu, le=expected)
    assert parsed.to_bytes() == apdu.to_bytes()


@pytest.mark.parametrize(
    "fields",
    [{"cla": 256}, {"ins": -1}, {"le": 65537}, {"data": "text"}],
)
def test_bad_command_fields_are_typed_errors(fields: dict[str, object]) -> None:
    arguments: dict[str, object] = {"cla": 0, "ins": 0xA4, "p1": 0, "p2": 0} | fields
    with pytest.raises(ApduFormatError):
        CommandApdu(**arguments)  # type: ignore[arg-type]


def test_short_command_is_a_typed_error() -> None:
    with pytest.raises(ApduFormatError):
        CommandApdu.parse(b"\x00\xa4")
    with pytest.raises(ApduFormatError):
        CommandApdu.parse(bytes.fromhex("00A4040005A0"))


def test_a_command_parses_from_any_byte_buffer_and_nothing_else() -> None:
    encoded = bytes.fromhex("00A40400023F00")
    expected = CommandApdu.parse(encoded)
    assert CommandApdu.parse(bytearray(encoded)) == expected
    assert CommandApdu.parse(memoryview(encoded)) == expected
    for wrong in ("00A40400023F00", None, [0, 0xA4, 4, 0]):
        with pytest.raises(ApduFormatError, match="is bytes"):
            CommandApdu.parse(wrong)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind", "ok", "words"),
    [
        (0x9000, StatusKind.SUCCESS, True, "success"),
        (0x6110, StatusKind.MORE_DATA, False, "16 more bytes"),
        (0x6C20, StatusKind.WRONG_LENGTH, False, "Le=32"),
        (0x6282, StatusKind.WARNING, True, "end of file"),
        (0x63C2, StatusKind.WARNING, False, "2 tries left"),
        (0x6983, StatusKind.ERROR, False, "PIN locked"),
        (0x6982, StatusKind.ERROR, False, "verify the PIN"),
        (0x6A82, StatusKind.ERROR, False, "not found"),
        (0x9F01, StatusKind.ERROR, False, "unknown"),
    ],
)
def test_status_words(value: int, kind: StatusKind, ok: bool, words: str) -> None:
    sw = StatusWord.from_int(value)
    assert sw.value == value
    assert sw.kind is kind
    assert sw.ok is ok
    assert words in sw.meaning


def test_tries_left_only_for_63cx() -> None:
    assert StatusWord.from_int(0x63C1).tries_left == 1
    assert StatusWord.from_int(0x6300).tries_left is None
    assert StatusWord.from_int(0x9000).tries_left is None


def test_response_check() -> None:
    ok = ResponseApdu.parse(b"\x01\x02\x90\x00")
    assert ok.check() is ok
    assert ok.data == b"\x01\x02"
    with pytest.raises(ApduError) as caught:
        ResponseApdu.parse(b"\x69\x82").check()
    assert caught.value.sw == StatusWord(sw1=0x69, sw2=0x82)
    with pytest.raises(ApduFormatError):
        ResponseApdu.parse(b"\x90")


def test_an_atr_announcing_only_a_reserved_protocol_offers_none_to_pcsc() -> None:
    atr = Atr.parse(bytes.fromhex("3B A0 00 02"))  # TD1 announces T=2, reserved by ISO 7816-3
    assert atr.protocol_numbers == (2,)
    assert atr.protocols == ()
