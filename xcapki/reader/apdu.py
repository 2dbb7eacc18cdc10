"""Typed ISO 7816-4 command and response APDUs and status words with meanings."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from xcapki.reader.errors import ApduError, ApduFormatError

__all__ = ["CommandApdu", "ResponseApdu", "StatusKind", "StatusWord"]


class StatusKind(enum.Enum):
    """What a status word says about the command's outcome."""

    SUCCESS = "success"
    MORE_DATA = "more data available"
    WARNING = "warning"
    WRONG_LENGTH = "wrong Le, exact length given"
    ERROR = "error"


_EXACT_MEANINGS: dict[int, str] = {
    0x9000: "success",
    0x6200: "warning: no information given, non-volatile memory unchanged",
    0x6281: "warning: part of the returned data may be corrupted",
    0x6282: "warning: end of file or record reached before Le bytes",
    0x6283: "warning: selected file invalidated",
    0x6284: "warning: file control information not formatted",
    0x6300: "verification failed (wrong PIN or key)",
    0x6400: "execution error, non-volatile memory unchanged",
    0x6581: "memory failure",
    0x6700: "wrong length (Lc or Le)",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6982: "security status not satisfied (verify the PIN first)",
    0x6983: "authentication method blocked (PIN locked)",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current file)",
    0x6A80: "incorrect data in the command",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A84: "not enough memory space in the file",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters P1-P2",
    0x6D00: "instruction not supported",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusWord:
    """SW1-SW2 of a response, with its ISO 7816-4 meaning."""

    sw1: int
    sw2: int

    def __post_init__(self) -> None:
        if not (0 <= self.sw1 <= 0xFF and 0 <= self.sw2 <= 0xFF):
            raise ApduFormatError(
                f"status word bytes must be 0..255, got {self.sw1!r} {self.sw2!r}; "
                "pass the two last bytes of the response"
            )

    @classmethod
    def from_int(cls, value: int) -> StatusWord:
        """From the 16-bit value, e.g. ``0x9000``."""
        if not 0 <= value <= 0xFFFF:
            raise ApduFormatError(f"a status word is 16 bits, got 0x{value:X}; pass 0..0xFFFF")
        return cls(sw1=value >> 8, sw2=value & 0xFF)

    @property
    def value(self) -> int:
        """The 16-bit value, e.g. ``0x9000``."""
        return self.sw1 << 8 | self.sw2

    @property
    def kind(self) -> StatusKind:
        """Success, more data, warning, wrong length or error."""
        if self.value == 0x9000:
            return StatusKind.SUCCESS
        if self.sw1 == 0x61:
            return StatusKind.MORE_DATA
        if self.sw1 == 0x6C:
            return StatusKind.WRONG_LENGTH
        if self.sw1 in (0x62, 0x63):
            return StatusKind.WARNING
        return StatusKind.ERROR

    @property
    def ok(self) -> bool:
        """Whether the command succeeded: ``9000`` or a ``62xx`` warning (data still returned).

        ``63xx`` is not success: ``63Cx`` is a failed PIN verification.
        """
        return self.kind is StatusKind.SUCCESS or self.sw1 == 0x62

    @property
    def tries_left(self) -> int | None:
        """For ``63Cx`` after a PIN verification: the tries left; otherwise ``None``."""
        return self.sw2 & 0x0F if self.sw1 == 0x63 and self.sw2 & 0xF0 == 0xC0 else None

    @property
    def meaning(self) -> str:
        """A short English explanation."""
        exact = _EXACT_MEANINGS.get(self.value)
        if exact is not None:
            return exact
        if self.sw1 == 0x61:
            return f"success, {self.sw2 or 256} more bytes available (GET RESPONSE)"
        if self.sw1 == 0x6C:
            return f"wrong Le, resend with Le={self.sw2 or 256}"
        if self.tries_left is not None:
            return f"verification failed, {self.tries_left} tries left"
        if self.sw1 == 0x62:
            return "warning, non-volatile memory unchanged"
        if self.sw1 == 0x63:
            return "warning, non-volatile memory changed"
        return "unknown status"

    def __str__(self) -> str:
        return f"{self.value:04X} ({self.meaning})"


_MAX_SHORT_LC = 255
_MAX_EXTENDED = 65535


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandApdu:
    """A command APDU; ``le=None`` means no response data is expected, ``le=0`` the maximum."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None

    def __post_init__(self) -> None:
        for name in ("cla", "ins", "p1", "p2"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= 0xFF:
                raise ApduFormatError(f"{name} must be a byte (0..255), got {value!r}")
        if not isinstance(self.data, bytes):
            raise ApduFormatError(f"data must be bytes, got {type(self.data).__name__}")
        if len(self.data) > _MAX_EXTENDED:
            raise ApduFormatError(
                f"command data of {len(self.data)} bytes exceeds 65535; split the command"
            )
        if self.le is not None and not 0 <= self.le <= 65536:
            raise ApduFormatError(f"le must be 0..65536 or None, got {self.le!r}")

    @property
    def extended(self) -> bool:
        """Whether the encoding needs extended length fields."""
        return len(self.data) > _MAX_SHORT_LC or (self.le is not None and self.le > 256)

    def to_bytes(self) -> bytes:
        """The ISO 7816-4 encoding (short form when the lengths allow it)."""
        header = bytes((self.cla, self.ins, self.p1, self.p2))
        if not self.extended:
            body = bytes((len(self.data),)) + self.data if self.data else b""
            if self.le is not None:
                body += bytes((self.le % 256,))
            return header + body
        body = b"\x00" + len(self.data).to_bytes(2, "big") + self.data if self.data else b""
        if self.le is not None:
            le = (self.le % 65536).to_bytes(2, "big")
            body += le if self.data else b"\x00" + le
        return header + body

    def with_le(self, le: int) -> CommandApdu:
        """The same command asking for ``le`` bytes (for a ``6Cxx`` resend)."""
        return CommandApdu(
            cla=self.cla, ins=self.ins, p1=self.p1, p2=self.p2, data=self.data, le=le
        )

    @classmethod
    def parse(cls, raw: bytes | bytearray | memoryview) -> CommandApdu:
        """Decode an encoded command APDU (cases 1-4, short and extended)."""
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise ApduFormatError(f"a command APDU is bytes, got {type(raw).__name__}")
        raw = bytes(raw)  # the fields sliced from it must be bytes, whatever buffer came in
        if len(raw) < 4:
            raise ApduFormatError(f"a command APDU has at least 4 bytes, got {len(raw)}")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla=cla, ins=ins, p1=p1, p2=p2)
        if len(body) == 1:
            return cls(cla=cla, ins=ins, p1=p1, p2=p2, le=body[0])
        if body[0] != 0:
            lc = body[0]
            data = body[1 : 1 + lc]
            rest = body[1 + lc :]
            if len(data) != lc or len(rest) > 1:
                raise ApduFormatError(f"Lc={lc} does not match the {len(body) - 1} bytes given")
            return cls(cla=cla, ins=ins, p1=p1, p2=p2, data=data, le=rest[0] if rest else None)
        return cls._parse_extended(cla, ins, p1, p2, body)

    @classmethod
    def _parse_extended(cls, cla: int, ins: int, p1: int, p2: int, body: bytes) -> CommandApdu:
        if len(body) == 3:
            return cls(cla=cla, ins=ins, p1=p1, p2=p2, le=int.from_bytes(body[1:3], "big"))
        lc = int.from_bytes(body[1:3], "big")
        data = body[3 : 3 + lc]
        rest = body[3 + lc :]
        if len(data) != lc or len(rest) not in (0, 2):
            raise ApduFormatError(f"extended Lc={lc} does not match the bytes given")
        le = int.from_bytes(rest, "big") if rest else None
        return cls(cla=cla, ins=ins, p1=p1, p2=p2, data=data, le=le)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseApdu:
    """A response: data (all of a ``61xx`` chain joined) and the final status word."""

    data: bytes
    sw: StatusWord
    exchanges: int = field(default=1)

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        """Split raw response bytes into data and status word."""
        if len(raw) < 2:
            raise ApduFormatError(
                f"a response APDU has at least the 2 status bytes, got {len(raw)} bytes"
            )
        return cls(data=raw[:-2], sw=StatusWord(sw1=raw[-2], sw2=raw[-1]))

    def check(self) -> ResponseApdu:
        """Return self if the status word means success, else raise :class:`ApduError`."""
        if not self.sw.ok:
            raise ApduError(
                f"the card refused the command: status {self.sw}; check the command "
                "and the card's state (selected application, verified PIN)",
                sw=self.sw,
            )
        return self
