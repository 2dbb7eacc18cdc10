"""Answer-To-Reset parsing (ISO 7816-3): protocols, historical bytes, checksum."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xcapki.reader.errors import AtrFormatError

__all__ = ["Atr", "ChecksumStatus", "Convention", "InterfaceBytes", "Protocol"]

_MAX_ATR_LENGTH = 33


class Protocol(enum.Enum):
    """A transmission protocol a card speaks and a reader can connect with."""

    T0 = 0
    T1 = 1


class Convention(enum.Enum):
    """The bit convention announced by TS."""

    DIRECT = 0x3B
    INVERSE = 0x3F


class ChecksumStatus(enum.Enum):
    """Whether the ATR's check byte TCK is right; T=0-only ATRs carry none."""

    VALID = "valid"
    INVALID = "invalid"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceBytes:
    """One group i of interface bytes TAi, TBi, TCi, TDi (``None`` when absent)."""

    ta: int | None
    tb: int | None
    tc: int | None
    td: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Atr:
    """A parsed ATR. Build it with :meth:`parse`."""

    raw: bytes
    convention: Convention
    interface_bytes: tuple[InterfaceBytes, ...]
    protocol_numbers: tuple[int, ...]
    historical_bytes: bytes
    tck: int | None
    checksum: ChecksumStatus

    @classmethod
    def parse(cls, raw: bytes) -> Atr:
        """Parse ``raw``; raises :class:`AtrFormatError` if it is not a well-formed ATR."""
        if not isinstance(raw, bytes | bytearray):
            raise AtrFormatError(f"an ATR is bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        if not 2 <= len(raw) <= _MAX_ATR_LENGTH:
            raise AtrFormatError(
                f"an ATR has 2 to {_MAX_ATR_LENGTH} bytes, got {len(raw)}; "
                "read it again from the reader"
            )
        try:
            convention = Convention(raw[0])
        except ValueError:
            raise AtrFormatError(
                f"TS byte 0x{raw[0]:02X} is neither 3B nor 3F; this is not an ATR"
            ) from None
        groups, protocols, position = _interface_groups(raw)
        historical_count = raw[1] & 0x0F
        historical = raw[position : position + historical_count]
        if len(historical) != historical_count:
            raise AtrFormatError(
                f"the ATR announces {historical_count} historical bytes but ends early"
            )
        position += historical_count
        needs_tck = any(number != 0 for number in protocols)
        tck = raw[position] if position < len(raw) else None
        if position + (1 if tck is not None else 0) != len(raw):
            raise AtrFormatError(f"the ATR has {len(raw) - position - 1} stray bytes after TCK")
        if tck is None:
            status = ChecksumStatus.INVALID if needs_tck else ChecksumStatus.ABSENT
        else:
            status = ChecksumStatus.VALID if _xor(raw[1:]) == 0 else ChecksumStatus.INVALID
        return cls(
            raw=raw,
            convention=convention,
            interface_bytes=groups,
            protocol_numbers=tuple(sorted(set(protocols) - {15})) or (0,),
            historical_bytes=historical,
            tck=tck,
            checksum=status,
        )

    @property
    def protocols(self) -> tuple[Protocol, ...]:
        """The PC/SC-usable protocols the card offers (T=0 if none is announced)."""
        return tuple(Protocol(n) for n in self.protocol_numbers if n in (0, 1))

    def hex(self, sep: str = " ") -> str:
        """The ATR as upper-case hex, bytes separated by ``sep``."""
        return self.raw.hex(sep).upper() if sep else self.raw.hex().upper()

    def __str__(self) -> str:
        return self.hex()


def _interface_groups(raw: bytes) -> tuple[tuple[InterfaceBytes, ...], list[int], int]:
    groups: list[InterfaceBytes] = []
    protocols: list[int] = []
    indicator = raw[1] >> 4
    position = 2
    while True:
        values: list[int | None] = []
        for bit in (0x1, 0x2, 0x4, 0x8):
            if indicator & bit:
                if position >= len(raw):
                    raise AtrFormatError("the ATR ends inside its interface bytes")
                values.append(raw[position])
                position += 1
            else:
                values.append(None)
        ta, tb, tc, td = values
        groups.append(InterfaceBytes(ta=ta, tb=tb, tc=tc, td=td))
        if td is None:
            return tuple(groups), protocols, position
        protocols.append(td & 0x0F)
        indicator = td >> 4


def _xor(data: bytes) -> int:
    result = 0
    for byte in data:
        result ^= byte
    return result
