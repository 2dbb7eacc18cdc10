"""Errors of the PC/SC reader layer.

::

    ReaderError                      (.pcsc_code: the PC/SC return code, if any)
    ├── PcscServiceUnavailableError  pcscd / the Smart Card service is not running
    │   └── PcscLibraryMissingError  pyscard or libpcsclite is not installed
    ├── NoReaderError                the service runs but no reader is attached
    ├── ReaderGoneError              the named reader is not (or no longer) there
    ├── NoCardError                  the reader holds no card
    ├── CardRemovedError             the card left the reader during use
    ├── CardResetError               another application reset the card
    ├── CardInUseError               another application holds the card exclusively
    ├── CardCommunicationError       the card does not answer sensibly
    ├── EventWaitTimeout             no card event before the timeout
    ├── WaitCancelledError           the wait was cancelled by the caller
    ├── AtrFormatError               bytes that are not a well-formed ATR
    ├── ApduFormatError              a command APDU that cannot be encoded
    ├── ApduError                    the card answered with an error status (.sw)
    └── PcscError                    any other PC/SC failure

Each message names the problem and the remedy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xcapki.errors import XcapkiError

if TYPE_CHECKING:
    from xcapki.reader.apdu import StatusWord

__all__ = [
    "ApduError",
    "ApduFormatError",
    "AtrFormatError",
    "CardCommunicationError",
    "CardInUseError",
    "CardRemovedError",
    "CardResetError",
    "EventWaitTimeout",
    "NoCardError",
    "NoReaderError",
    "PcscError",
    "PcscLibraryMissingError",
    "PcscServiceUnavailableError",
    "ReaderError",
    "ReaderGoneError",
    "WaitCancelledError",
]


class ReaderError(XcapkiError):
    """Root of the reader layer's errors; ``pcsc_code`` keeps the native PC/SC code."""

    def __init__(self, message: str, *, pcsc_code: int | None = None) -> None:
        super().__init__(message)
        self.pcsc_code = pcsc_code


class PcscServiceUnavailableError(ReaderError):
    """The PC/SC service (pcscd on Linux) is not running or not reachable."""


class PcscLibraryMissingError(PcscServiceUnavailableError):
    """The PC/SC client library or its Python binding is not installed."""


class NoReaderError(ReaderError):
    """The PC/SC service runs but no card reader is attached."""


class ReaderGoneError(ReaderError):
    """The named reader is not attached (any more)."""


class NoCardError(ReaderError):
    """The reader holds no card."""


class CardRemovedError(ReaderError):
    """The card was removed while in use; the next call reconnects if a card is back."""


class CardResetError(ReaderError):
    """Another application reset the card; its selected files and PIN state are gone."""


class CardInUseError(ReaderError):
    """Another application holds the card exclusively."""


class CardCommunicationError(ReaderError):
    """The card gave no usable answer (mute card, protocol failure, bad contact)."""


class EventWaitTimeout(ReaderError):
    """No matching card event arrived before the timeout."""


class WaitCancelledError(ReaderError):
    """The caller cancelled the wait."""


class AtrFormatError(ReaderError):
    """Bytes that are not a well-formed Answer-To-Reset."""


class ApduFormatError(ReaderError):
    """A command APDU whose fields cannot be encoded."""


class ApduError(ReaderError):
    """The card answered a command with an error status word (kept as ``.sw``)."""

    def __init__(self, message: str, *, sw: StatusWord) -> None:
        super().__init__(message)
        self.sw = sw


class PcscError(ReaderError):
    """A PC/SC failure without a more specific type; ``pcsc_code`` says which."""
