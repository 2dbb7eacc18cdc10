"""Known Taiwan GPKI cards by ATR, and an honest "unknown" for everything else.

Only ATRs seen on real cards belong here (see the project's reference notes);
a card not in the table is reported as :attr:`CardFamily.UNKNOWN`, never
guessed from a partial match.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xcapki.reader.atr import Atr
from xcapki.reader.errors import AtrFormatError

__all__ = ["KNOWN_CARDS", "UNKNOWN_CARD", "AtrPattern", "CardFamily", "KnownCard", "identify_card"]


class CardFamily(enum.Enum):
    """A family of cards that share a chip operating system and PKCS#11 module."""

    HICOS_GEN1 = "Chunghwa Telecom HiCOS PKI card, first generation"
    UNKNOWN = "unknown card"


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCard:
    """What the ATR says about a card."""

    family: CardFamily
    description: str
    pkcs11_module_hint: str

    @property
    def known(self) -> bool:
        """Whether the ATR matched the table."""
        return self.family is not CardFamily.UNKNOWN


UNKNOWN_CARD = KnownCard(
    family=CardFamily.UNKNOWN,
    description="a card whose ATR is not in xcapki's table of Taiwan GPKI cards",
    pkcs11_module_hint="",
)
"""The explicit result for an ATR that matches no known card."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AtrPattern:
    """An ATR with a mask: byte ``i`` matches when ``atr[i] & mask[i] == value[i] & mask[i]``."""

    value: bytes
    mask: bytes

    def __post_init__(self) -> None:
        if len(self.value) != len(self.mask):
            raise AtrFormatError(
                "an ATR pattern needs a mask as long as its value; give one mask byte per ATR byte"
            )

    def matches(self, atr: Atr) -> bool:
        """Whether ``atr`` fits this pattern (lengths must be equal)."""
        raw = atr.raw
        return len(raw) == len(self.value) and all(
            a & m == v & m for a, v, m in zip(raw, self.value, self.mask, strict=True)
        )


def _exact(hex_atr: str) -> AtrPattern:
    value = bytes.fromhex(hex_atr)
    return AtrPattern(value=value, mask=b"\xff" * len(value))


KNOWN_CARDS: tuple[tuple[AtrPattern, KnownCard], ...] = (
    (
        _exact("3B B8 13 00 81 31 FA 52 43 48 54 4D 4F 49 43 41 A5"),
        KnownCard(
            family=CardFamily.HICOS_GEN1,
            description=(
                "Chunghwa Telecom HiCOS PKI card, Gen1 (historical bytes 'CHTMOICA'); "
                "issued as MOICA, XCA, GCA and MOEACA certificate cards"
            ),
            pkcs11_module_hint="HiCOS PKCS#11 module (HiCOSPKCS11.dll / libHicos_p11v1.dylib)",
        ),
    ),
)
"""ATR patterns of Taiwan GPKI cards confirmed in the field, first match wins."""


def identify_card(atr: Atr) -> KnownCard:
    """The card family ``atr`` belongs to, or :data:`UNKNOWN_CARD`."""
    for pattern, card in KNOWN_CARDS:
        if pattern.matches(atr):
            return card
    return UNKNOWN_CARD
