"""Which PKCS#11 slot belongs to which PC/SC reader, so front ends show one list.

PKCS#11 modules that sit on PC/SC (OpenSC, HiCOS) name a slot after its
reader, but ``CK_SLOT_INFO.slotDescription`` is a 64-byte, blank-padded
field: long reader names arrive cut, and some modules drop pcsc-lite's
``" 00 00"`` reader index or wrap the name in their own text. This module
matches on those rules, best rule first, and says which rule matched. It
takes plain strings so it needs neither the token layer nor a reader.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass

from xcapki.reader.readers import Reader

__all__ = ["SlotMatch", "SlotMatchKind", "match_slots_to_readers"]

SLOT_DESCRIPTION_SIZE = 64
"""Bytes in CK_SLOT_INFO.slotDescription."""

_PCSCLITE_INDEX = re.compile(r" \d\d \d\d$")


class SlotMatchKind(enum.Enum):
    """How a slot description was tied to a reader, best first."""

    EXACT = "description equals the reader name"
    TRUNCATED = "description is the reader name cut to 64 bytes"
    WITHOUT_INDEX = "description is the reader name without pcsc-lite's index"
    CONTAINS = "description contains the reader name"
    AMBIGUOUS = "description fits several readers equally well"
    NONE = "description fits no reader"


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotMatch:
    """One slot description and the reader it belongs to (``None`` if none or ambiguous)."""

    slot_description: str
    reader: Reader | None
    kind: SlotMatchKind


def _clean(text: str) -> str:
    return text.rstrip(" \x00")


def _truncated(name: str) -> str:
    return _clean(name.encode()[:SLOT_DESCRIPTION_SIZE].decode(errors="ignore"))


def _rules(description: str, reader: str) -> SlotMatchKind | None:
    if description == reader:
        return SlotMatchKind.EXACT
    if len(reader.encode()) > SLOT_DESCRIPTION_SIZE and description == _truncated(reader):
        return SlotMatchKind.TRUNCATED
    if _PCSCLITE_INDEX.search(reader) and description == _PCSCLITE_INDEX.sub("", reader):
        return SlotMatchKind.WITHOUT_INDEX
    if reader in description:
        return SlotMatchKind.CONTAINS
    return None


_RANK = [
    SlotMatchKind.EXACT,
    SlotMatchKind.TRUNCATED,
    SlotMatchKind.WITHOUT_INDEX,
    SlotMatchKind.CONTAINS,
]


def match_slots_to_readers(
    slot_descriptions: Sequence[str], readers: Sequence[Reader | str]
) -> tuple[SlotMatch, ...]:
    """Match each slot description to at most one reader, in the order given."""
    names = [r.name if isinstance(r, Reader) else r for r in readers]
    matches: list[SlotMatch] = []
    for raw_description in slot_descriptions:
        description = _clean(raw_description)
        found = [(kind, name) for name in names if (kind := _rules(description, name))]
        if not found:
            matches.append(
                SlotMatch(slot_description=description, reader=None, kind=SlotMatchKind.NONE)
            )
            continue
        best = min(_RANK.index(kind) for kind, _name in found)
        winners = [name for kind, name in found if _RANK.index(kind) == best]
        if len(winners) > 1:
            matches.append(
                SlotMatch(slot_description=description, reader=None, kind=SlotMatchKind.AMBIGUOUS)
            )
        else:
            matches.append(
                SlotMatch(
                    slot_description=description,
                    reader=Reader(name=winners[0]),
                    kind=_RANK[best],
                )
            )
    return tuple(matches)
