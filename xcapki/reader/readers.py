"""Readers and card presence: what a doctor checks first."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from xcapki.reader import _pcsc
from xcapki.reader.atr import Atr
from xcapki.reader.cards import KnownCard, identify_card
from xcapki.reader.errors import AtrFormatError, NoReaderError, ReaderGoneError

__all__ = ["CardPresence", "Reader", "ReaderStatus", "card_status", "list_readers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Reader:
    """A PC/SC reader, named as the PC/SC service names it."""

    name: str

    def __str__(self) -> str:
        return self.name


class CardPresence(enum.Enum):
    """What is in a reader's slot."""

    ABSENT = "no card"
    PRESENT = "card present"
    IN_USE = "card present, in use by an application"
    EXCLUSIVE = "card present, held exclusively by an application"
    MUTE = "card present but it does not answer"
    UNAVAILABLE = "reader unavailable"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderStatus:
    """A reader, its card presence, and the card's ATR and family when one answers."""

    reader: Reader
    presence: CardPresence
    atr: Atr | None
    card: KnownCard | None

    @property
    def has_card(self) -> bool:
        """Whether a card sits in the reader (even a mute one)."""
        return self.presence not in (CardPresence.ABSENT, CardPresence.UNAVAILABLE)


def list_readers() -> tuple[Reader, ...]:
    """The attached readers.

    Raises :class:`PcscServiceUnavailableError` when the PC/SC service is
    down and :class:`NoReaderError` when it runs with no reader attached.
    """
    with _pcsc.PcscContext() as context:
        names = context.list_readers()
    if not names:
        raise NoReaderError(
            "no card reader is attached; plug in the reader and install its driver "
            "(most USB readers need the CCID driver, Debian: libccid)"
        )
    return tuple(Reader(name=name) for name in names)


def card_status(reader: Reader | str | None = None) -> ReaderStatus:
    """The card presence in ``reader`` (the only reader when ``None``)."""
    with _pcsc.PcscContext() as context:
        name = resolve_reader_name(context, reader)
        raw = context.get_status_change([(name, _pcsc.STATE_UNAWARE)], timeout=0)
    if raw is None:
        raise ReaderGoneError(f"reader {name!r} did not report its state; re-plug it and retry")
    return status_from_raw(raw[0])


def resolve_reader_name(context: _pcsc.PcscContext, reader: Reader | str | None) -> str:
    """The reader's name, checked to be attached; ``None`` picks the only (first) reader."""
    names = context.list_readers()
    if not names:
        raise NoReaderError(
            "no card reader is attached; plug in the reader and install its driver "
            "(most USB readers need the CCID driver, Debian: libccid)"
        )
    if reader is None:
        return names[0]
    name = reader.name if isinstance(reader, Reader) else reader
    if name not in names:
        raise ReaderGoneError(
            f"reader {name!r} is not attached (attached: {', '.join(names)}); "
            "plug it in or pick one of the attached readers"
        )
    return name


def presence_from_state(state: int) -> CardPresence:
    """The presence a PC/SC reader state word describes."""
    if state & (_pcsc.STATE_UNAVAILABLE | _pcsc.STATE_UNKNOWN):
        return CardPresence.UNAVAILABLE
    if not state & _pcsc.STATE_PRESENT:
        return CardPresence.ABSENT
    if state & _pcsc.STATE_MUTE:
        return CardPresence.MUTE
    if state & _pcsc.STATE_EXCLUSIVE:
        return CardPresence.EXCLUSIVE
    if state & _pcsc.STATE_INUSE:
        return CardPresence.IN_USE
    return CardPresence.PRESENT


def status_from_raw(raw: _pcsc.RawReaderState) -> ReaderStatus:
    """A :class:`ReaderStatus` from one raw SCardGetStatusChange entry."""
    presence = presence_from_state(raw.event_state)
    atr = parse_atr_if_any(raw.atr) if presence is not CardPresence.ABSENT else None
    return ReaderStatus(
        reader=Reader(name=raw.name),
        presence=presence,
        atr=atr,
        card=identify_card(atr) if atr is not None else None,
    )


def parse_atr_if_any(raw: bytes) -> Atr | None:
    """The parsed ATR, or ``None`` when the reader reported none or a malformed one."""
    if not raw:
        return None
    try:
        return Atr.parse(raw)
    except AtrFormatError:
        return None
