"""PC/SC reader layer: readers, card presence and events, ATR, APDUs.

Only :mod:`xcapki.reader._pcsc` imports pyscard, and lazily, so importing
this package works on machines without a PC/SC stack.
"""

from __future__ import annotations

from xcapki.reader.apdu import CommandApdu, ResponseApdu, StatusKind, StatusWord
from xcapki.reader.atr import Atr, ChecksumStatus, Convention, InterfaceBytes, Protocol
from xcapki.reader.cards import (
    KNOWN_CARDS,
    UNKNOWN_CARD,
    AtrPattern,
    CardFamily,
    KnownCard,
    identify_card,
)
from xcapki.reader.connection import CardConnection
from xcapki.reader.correlation import SlotMatch, SlotMatchKind, match_slots_to_readers
from xcapki.reader.errors import (
    ApduError,
    ApduFormatError,
    AtrFormatError,
    CardCommunicationError,
    CardInUseError,
    CardRemovedError,
    CardResetError,
    EventWaitTimeout,
    NoCardError,
    NoReaderError,
    PcscError,
    PcscLibraryMissingError,
    PcscServiceUnavailableError,
    ReaderError,
    ReaderGoneError,
    WaitCancelledError,
)
from xcapki.reader.events import (
    CancelToken,
    CardEvent,
    CardEventKind,
    wait_for_card,
    wait_for_removal,
)
from xcapki.reader.monitor import CardMonitor, CardObserver
from xcapki.reader.readers import CardPresence, Reader, ReaderStatus, card_status, list_readers

__all__ = [
    "KNOWN_CARDS",
    "UNKNOWN_CARD",
    "ApduError",
    "ApduFormatError",
    "Atr",
    "AtrFormatError",
    "AtrPattern",
    "CancelToken",
    "CardCommunicationError",
    "CardConnection",
    "CardEvent",
    "CardEventKind",
    "CardFamily",
    "CardInUseError",
    "CardMonitor",
    "CardObserver",
    "CardPresence",
    "CardRemovedError",
    "CardResetError",
    "ChecksumStatus",
    "CommandApdu",
    "Convention",
    "EventWaitTimeout",
    "InterfaceBytes",
    "KnownCard",
    "NoCardError",
    "NoReaderError",
    "PcscError",
    "PcscLibraryMissingError",
    "PcscServiceUnavailableError",
    "Protocol",
    "Reader",
    "ReaderError",
    "ReaderGoneError",
    "ReaderStatus",
    "ResponseApdu",
    "SlotMatch",
    "SlotMatchKind",
    "StatusKind",
    "StatusWord",
    "WaitCancelledError",
    "card_status",
    "identify_card",
    "list_readers",
    "match_slots_to_readers",
    "wait_for_card",
    "wait_for_removal",
]
