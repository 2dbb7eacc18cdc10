"""The only module that touches pyscard: thin PC/SC calls with errors translated.

pyscard is imported on first use, so ``import xcapki`` works on machines
without it. Every PC/SC return code is turned into a
:class:`~xcapki.reader.errors.ReaderError` subclass here, keeping the native
code as ``pcsc_code``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from xcapki.reader.errors import (
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

# Reader state bits of SCardGetStatusChange; identical in pcsc-lite, Windows and macOS.
STATE_UNAWARE = 0x0000
STATE_CHANGED = 0x0002
STATE_UNKNOWN = 0x0004
STATE_UNAVAILABLE = 0x0008
STATE_EMPTY = 0x0010
STATE_PRESENT = 0x0020
STATE_EXCLUSIVE = 0x0080
STATE_INUSE = 0x0100
STATE_MUTE = 0x0200

PNP_READER = "\\\\?PnP?\\Notification"
"""The pseudo reader whose state changes when readers come and go."""

_S_SUCCESS = 0x00000000
_E_CANCELLED = 0x80100002
_E_INVALID_HANDLE = 0x80100003
_E_UNKNOWN_READER = 0x80100009
_E_TIMEOUT = 0x8010000A
_E_SHARING_VIOLATION = 0x8010000B
_E_NO_SMARTCARD = 0x8010000C
_E_PROTO_MISMATCH = 0x8010000F
_F_COMM_ERROR = 0x80100013
_E_NOT_TRANSACTED = 0x80100016
_E_READER_UNAVAILABLE = 0x80100017
_E_NO_SERVICE = 0x8010001D
_E_SERVICE_STOPPED = 0x8010001E
_E_NO_READERS_AVAILABLE = 0x8010002E
_E_COMM_DATA_LOST = 0x8010002F
_W_UNSUPPORTED_CARD = 0x80100065
_W_UNRESPONSIVE_CARD = 0x80100066
_W_UNPOWERED_CARD = 0x80100067
_W_RESET_CARD = 0x80100068
_W_REMOVED_CARD = 0x80100069

_CONTEXT_LOST = frozenset({_E_NO_SERVICE, _E_SERVICE_STOPPED, _E_INVALID_HANDLE, _F_COMM_ERROR})

_START_SERVICE = (
    "start it: `sudo systemctl start pcscd` on Linux, the Smart Card service "
    "(SCardSvr) on Windows; check PCSCLITE_CSOCK_NAME if you run a private pcscd"
)

_INFINITE = 0xFFFFFFFF

_scard_module: ModuleType | None = None
_import_lock = threading.Lock()


def _scard() -> Any:
    global _scard_module
    with _import_lock:
        if _scard_module is None:
            try:
                from smartcard import scard
            except ImportError as exc:
                raise PcscLibraryMissingError(
                    f"the PC/SC binding cannot be loaded ({exc}); install it with "
                    "`pip install 'xcapki[card]'` and the PC/SC library (Debian: libpcsclite1)"
                ) from None
            _scard_module = scard
        return _scard_module


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


def is_context_lost(error: ReaderError) -> bool:
    """Whether ``error`` means the PC/SC context died (service stopped or restarted)."""
    return error.pcsc_code in _CONTEXT_LOST


def translate(hresult: int, *, action: str, reader: str | None = None) -> ReaderError:
    """The xcapki error for a failed PC/SC call ``action`` on ``reader``."""
    code = _code(hresult)
    where = f" in reader {reader!r}" if reader else ""
    native = _error_text(code)
    if code in (_E_NO_SERVICE, _E_SERVICE_STOPPED, _F_COMM_ERROR, _E_INVALID_HANDLE):
        return PcscServiceUnavailableError(
            f"cannot {action}: the PC/SC service is not running or stopped ({native}); "
            + _START_SERVICE,
            pcsc_code=code,
        )
    if code == _E_NO_READERS_AVAILABLE:
        return NoReaderError(
            f"cannot {action}: no card reader is attached; plug in the reader and "
            "install its driver (most USB readers need the CCID driver, Debian: libccid)",
            pcsc_code=code,
        )
    if code in (_E_UNKNOWN_READER, _E_READER_UNAVAILABLE):
        return ReaderGoneError(
            f"cannot {action}: the reader{where or ''} is not attached; "
            "plug it back in or pick another reader from list_readers()",
            pcsc_code=code,
        )
    if code == _E_NO_SMARTCARD:
        return NoCardError(
            f"cannot {action}: no card{where}; insert the card (chip first, contacts up)",
            pcsc_code=code,
        )
    if code == _W_REMOVED_CARD:
        return CardRemovedError(
            f"cannot {action}: the card was removed{where}; insert it again and retry",
            pcsc_code=code,
        )
    if code == _W_RESET_CARD:
        return CardResetError(
            f"cannot {action}: another application reset the card{where}; "
            "retry (files must be selected and the PIN verified again)",
            pcsc_code=code,
        )
    if code == _E_SHARING_VIOLATION:
        return CardInUseError(
            f"cannot {action}: another application holds the card{where} exclusively; "
            "close that application (or finish its transaction) and retry",
            pcsc_code=code,
        )
    if code in (
        _E_NOT_TRANSACTED,
        _E_COMM_DATA_LOST,
        _E_PROTO_MISMATCH,
        _W_UNSUPPORTED_CARD,
        _W_UNRESPONSIVE_CARD,
        _W_UNPOWERED_CARD,
    ):
        return CardCommunicationError(
            f"cannot {action}: the card{where} does not answer ({native}); "
            "re-insert it, clean its contacts, or try another reader",
            pcsc_code=code,
        )
    if code == _E_TIMEOUT:
        return EventWaitTimeout(
            f"cannot {action}: timed out; retry with a longer timeout", pcsc_code=code
        )
    if code == _E_CANCELLED:
        return WaitCancelledError(f"{action} was cancelled by the caller", pcsc_code=code)
    return PcscError(
        f"cannot {action}{where}: PC/SC error 0x{code:08X} ({native}); "
        "restart pcscd and re-insert the card; report it if it persists",
        pcsc_code=code,
    )


def _error_text(code: int) -> str:
    try:
        return str(_scard().SCardGetErrorMessage(code)).strip()
    except ReaderError:
        return f"0x{code:08X}"


def _check(hresult: int, *, action: str, reader: str | None = None) -> None:
    if _code(hresult) != _S_SUCCESS:
        raise translate(hresult, action=action, reader=reader)


@dataclass(frozen=True, slots=True, kw_only=True)
class RawReaderState:
    """One reader's state as SCardGetStatusChange reports it."""

    name: str
    event_state: int
    atr: bytes


class PcscContext:
    """An established PC/SC context; release it (or use ``with``) when done."""

    def __init__(self) -> None:
        scard = _scard()
        hresult, handle = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        _check(hresult, action="connect to the PC/SC service")
        self._handle = handle
        self._released = False

    def __enter__(self) -> PcscContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    def release(self) -> None:
        """Release the context; further calls on it fail."""
        if not self._released:
            self._released = True
            _scard().SCardReleaseContext(self._handle)

    def list_readers(self) -> tuple[str, ...]:
        """Names of the attached readers (empty when none is attached)."""
        hresult, readers = _scard().SCardListReaders(self._handle, [])
        if _code(hresult) == _E_NO_READERS_AVAILABLE:
            return ()
        _check(hresult, action="list card readers")
        return tuple(readers)

    def get_status_change(
        self, states: Sequence[tuple[str, int]], timeout: float | None
    ) -> tuple[RawReaderState, ...] | None:
        """Block until a state differs from the one given, or the timeout; ``None`` on timeout.

        Raises :class:`WaitCancelledError` when :meth:`cancel` interrupts the wait.
        """
        scard = _scard()
        timeout_ms = _INFINITE if timeout is None else max(0, int(timeout * 1000))
        hresult, new_states = scard.SCardGetStatusChange(
            self._handle, timeout_ms, [(name, state) for name, state in states]
        )
        code = _code(hresult)
        if code == _E_TIMEOUT:
            return None
        _check(hresult, action="wait for a card reader event")
        return tuple(
            RawReaderState(name=name, event_state=event & 0xFFFFFFFF, atr=bytes(atr))
            for name, event, atr in new_states
        )

    def cancel(self) -> None:
        """Interrupt a :meth:`get_status_change` blocked in another thread."""
        _scard().SCardCancel(self._handle)

    def connect(self, reader: str, *, exclusive: bool, protocols: int) -> PcscCard:
        """Connect to the card in ``reader``; ``protocols`` is a mask from :func:`protocol_mask`."""
        scard = _scard()
        share = scard.SCARD_SHARE_EXCLUSIVE if exclusive else scard.SCARD_SHARE_SHARED
        hresult, handle, active = scard.SCardConnect(self._handle, reader, share, protocols)
        _check(hresult, action="connect to the card", reader=reader)
        return PcscCard(handle=handle, reader=reader, protocol=int(active))


def protocol_mask(*, t0: bool, t1: bool) -> int:
    """The PC/SC protocol bit mask for the wanted transmission protocols."""
    scard = _scard()
    mask = 0
    if t0:
        mask |= scard.SCARD_PROTOCOL_T0
    if t1:
        mask |= scard.SCARD_PROTOCOL_T1
    return int(mask)


def protocol_is_t0(protocol: int) -> bool:
    """Whether an active-protocol value returned by connect means T=0."""
    return protocol == int(_scard().SCARD_PROTOCOL_T0)


class PcscCard:
    """A connected card handle."""

    def __init__(self, *, handle: Any, reader: str, protocol: int) -> None:
        self._handle = handle
        self.reader = reader
        self.protocol = protocol

    def transmit(self, apdu: bytes) -> bytes:
        """Send one APDU and return the raw response (data and status word)."""
        scard = _scard()
        pci = scard.SCARD_PCI_T0 if protocol_is_t0(self.protocol) else scard.SCARD_PCI_T1
        hresult, response = scard.SCardTransmit(self._handle, pci, list(apdu))
        _check(hresult, action="send a command to the card", reader=self.reader)
        return bytes(response)

    def status(self) -> tuple[int, bytes]:
        """The card's state bits and ATR."""
        hresult, _reader, state, _protocol, atr = _scard().SCardStatus(self._handle)
        _check(hresult, action="read the card status", reader=self.reader)
        return int(state), bytes(atr)

    def begin_transaction(self) -> None:
        """Take exclusive access until :meth:`end_transaction`."""
        _check(
            _scard().SCardBeginTransaction(self._handle),
            action="start an exclusive transaction",
            reader=self.reader,
        )

    def end_transaction(self, *, reset: bool) -> None:
        """Give up exclusive access, resetting the card if asked."""
        scard = _scard()
        disposition = scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD
        _check(
            scard.SCardEndTransaction(self._handle, disposition),
            action="end the exclusive transaction",
            reader=self.reader,
        )

    def disconnect(self, *, reset: bool) -> None:
        """Release the handle; errors are ignored because the card may already be gone."""
        scard = _scard()
        disposition = scard.SCARD_RESET_CARD if reset else scard.SCARD_LEAVE_CARD
        scard.SCardDisconnect(self._handle, disposition)
