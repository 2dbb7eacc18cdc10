"""A connection to the card in a reader: APDU exchange with T=0 chaining, transactions.

The card can leave at any moment. A transmit that loses its card raises
:class:`CardRemovedError`; the connection then reconnects on its next call,
so a caller recovers by retrying once a card is back (check :attr:`atr`:
it may be a different card, and its PIN state is reset).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from xcapki.reader import _pcsc
from xcapki.reader.apdu import CommandApdu, ResponseApdu
from xcapki.reader.atr import Atr, Protocol
from xcapki.reader.errors import (
    CardCommunicationError,
    CardRemovedError,
    CardResetError,
    PcscError,
    ReaderError,
)
from xcapki.reader.readers import Reader, resolve_reader_name

__all__ = ["CardConnection"]

_MAX_CHAIN = 256
"""GET RESPONSE rounds after which a card that keeps answering 61xx is deemed broken."""

_GET_RESPONSE = 0xC0


class CardConnection:
    """An open connection to the card in ``reader`` (the first reader when ``None``).

    Use it as a context manager. ``exclusive=True`` keeps other applications
    off the card for the connection's lifetime; :meth:`transaction` does so
    for a block of commands only. ``removal_grace`` bounds how long a failed
    exchange waits for the reader to confirm that the card left (pcscd polls
    some readers only every 0.4 s).
    """

    def __init__(
        self,
        reader: Reader | str | None = None,
        *,
        exclusive: bool = False,
        protocols: Sequence[Protocol] = (Protocol.T0, Protocol.T1),
        removal_grace: float = 1.0,
    ) -> None:
        self._exclusive = exclusive
        self._mask = _pcsc.protocol_mask(t0=Protocol.T0 in protocols, t1=Protocol.T1 in protocols)
        self._removal_grace = removal_grace
        self._lock = threading.RLock()
        self._context = _pcsc.PcscContext()
        try:
            self.reader = Reader(name=resolve_reader_name(self._context, reader))
            self._card: _pcsc.PcscCard | None = None
            self._atr: Atr | None = None
            self._connect()
        except BaseException:
            self._context.release()
            raise

    @property
    def atr(self) -> Atr:
        """The ATR of the card this connection currently talks to."""
        with self._lock:
            self._live_card()
            assert self._atr is not None
            return self._atr

    @property
    def protocol(self) -> Protocol:
        """The protocol negotiated with the card."""
        with self._lock:
            card = self._live_card()
        return Protocol.T0 if _pcsc.protocol_is_t0(card.protocol) else Protocol.T1

    def transmit(self, command: CommandApdu | bytes, *, check: bool = False) -> ResponseApdu:
        """Send ``command``; follow ``61xx`` with GET RESPONSE and resend once on ``6Cxx``.

        Returns the joined response. With ``check=True`` an error status word
        raises :class:`ApduError` (``.sw`` holds it).
        """
        apdu = command if isinstance(command, CommandApdu) else CommandApdu.parse(command)
        with self._lock:
            card = self._live_card()
            response = self._exchange(card, apdu)
            exchanges = 1
            if response.sw.sw1 == 0x6C:
                response = self._exchange(card, apdu.with_le(response.sw.sw2 or 256))
                exchanges += 1
            data = bytearray(response.data)
            while response.sw.sw1 == 0x61:
                if exchanges > _MAX_CHAIN:
                    raise CardCommunicationError(
                        f"the card in {self.reader.name!r} kept answering 61xx after "
                        f"{_MAX_CHAIN} GET RESPONSE commands; re-insert the card"
                    )
                get_response = CommandApdu(
                    cla=apdu.cla & 0x03, ins=_GET_RESPONSE, p1=0, p2=0, le=response.sw.sw2
                )
                response = self._exchange(card, get_response)
                data += response.data
                exchanges += 1
        result = ResponseApdu(data=bytes(data), sw=response.sw, exchanges=exchanges)
        return result.check() if check else result

    @contextmanager
    def transaction(self, *, reset_on_exit: bool = False) -> Iterator[CardConnection]:
        """Exclusive access for the block: no other application talks to the card meanwhile."""
        with self._lock:
            card = self._live_card()
            card.begin_transaction()
        try:
            yield self
        finally:
            with suppress(CardRemovedError, CardCommunicationError):
                card.end_transaction(reset=reset_on_exit)

    def close(self, *, reset: bool = False) -> None:
        """Disconnect (resetting the card if asked) and release the PC/SC context."""
        with self._lock:
            if self._card is not None:
                self._card.disconnect(reset=reset)
                self._card = None
            self._context.release()

    def __enter__(self) -> CardConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _connect(self) -> _pcsc.PcscCard:
        card = self._context.connect(
            self.reader.name, exclusive=self._exclusive, protocols=self._mask
        )
        _state, raw_atr = card.status()
        self._atr = Atr.parse(raw_atr)
        self._card = card
        return card

    def _live_card(self) -> _pcsc.PcscCard:
        if self._card is not None:
            return self._card
        self._context.release()
        self._context = _pcsc.PcscContext()
        return self._connect()

    def _exchange(self, card: _pcsc.PcscCard, apdu: CommandApdu) -> ResponseApdu:
        try:
            raw = card.transmit(apdu.to_bytes())
        except (CardRemovedError, CardResetError):
            self._drop_card()
            raise
        except (CardCommunicationError, PcscError) as failure:
            raise self._diagnose(failure) from None
        if len(raw) < 2:
            raise self._diagnose(None)
        return ResponseApdu.parse(raw)

    def _drop_card(self) -> None:
        if self._card is not None:
            self._card.disconnect(reset=False)
            self._card = None

    def _diagnose(self, failure: ReaderError | None) -> ReaderError:
        """Tell a removed card from a mute one by waiting briefly for the reader's verdict."""
        if self._card_left_within(self._removal_grace):
            self._drop_card()
            return CardRemovedError(
                f"the card was removed from {self.reader.name!r} during a command; "
                "insert it again and retry (the connection reconnects on the next call)",
                pcsc_code=failure.pcsc_code if failure else None,
            )
        self._drop_card()
        detail = f" ({failure})" if failure else " (empty response)"
        return CardCommunicationError(
            f"the card in {self.reader.name!r} gave no valid answer{detail}; "
            "re-insert it, clean its contacts, or try another reader",
            pcsc_code=failure.pcsc_code if failure else None,
        )

    def _card_left_within(self, grace: float) -> bool:
        name = self.reader.name
        deadline = time.monotonic() + grace
        try:
            states = self._context.get_status_change([(name, _pcsc.STATE_UNAWARE)], timeout=0)
            while states is not None:
                current = states[0].event_state
                if not current & _pcsc.STATE_PRESENT:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                states = self._context.get_status_change([(name, current)], timeout=remaining)
        except ReaderError:
            return True
        return False
