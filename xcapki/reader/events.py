"""Card and reader events, driven by SCardGetStatusChange rather than polling.

A wait blocks inside the PC/SC service until a reader's state changes, so an
insertion reaches the caller as soon as pcscd has seen it. Cancellation
goes through SCardCancel, which wakes the blocked call at once.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from xcapki.reader import _pcsc
from xcapki.reader.errors import EventWaitTimeout, ReaderGoneError, WaitCancelledError
from xcapki.reader.readers import (
    Reader,
    ReaderStatus,
    resolve_reader_name,
    status_from_raw,
)

__all__ = [
    "CancelToken",
    "CardEvent",
    "CardEventKind",
    "wait_for_card",
    "wait_for_removal",
]

_CANCEL_RACE_SLICE = 2.0
"""Longest single block while a cancel token is attached: a cancel that lands
between the token check and the blocking call is seen within this time."""


class CardEventKind(enum.Enum):
    """What happened."""

    INSERTED = "card inserted"
    REMOVED = "card removed"
    READER_ADDED = "reader attached"
    READER_REMOVED = "reader detached"
    SERVICE_LOST = "PC/SC service stopped"
    SERVICE_RESTORED = "PC/SC service running again"


@dataclass(frozen=True, slots=True, kw_only=True)
class CardEvent:
    """One event; ``status`` is the reader's state after it (``None`` for service events)."""

    kind: CardEventKind
    reader: Reader | None
    status: ReaderStatus | None
    observed_at: float
    """``time.perf_counter()`` when xcapki received the event from PC/SC."""


class CancelToken:
    """Cancels card waits from any thread; a cancelled wait raises :class:`WaitCancelledError`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._contexts: set[_pcsc.PcscContext] = set()

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancelled

    def cancel(self) -> None:
        """Wake every wait using this token now."""
        with self._lock:
            self._cancelled = True
            contexts = list(self._contexts)
        for context in contexts:
            context.cancel()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`WaitCancelledError` if cancelled."""
        if self._cancelled:
            raise WaitCancelledError("the card wait was cancelled by the caller")

    @contextmanager
    def watching(self, context: _pcsc.PcscContext) -> Iterator[None]:
        """Route :meth:`cancel` to ``context`` while the block runs."""
        with self._lock:
            self._contexts.add(context)
        try:
            self.raise_if_cancelled()
            yield
        finally:
            with self._lock:
                self._contexts.discard(context)


class ReaderWatcher:
    """Tracks every reader's state on one context and turns state changes into events."""

    def __init__(
        self,
        context: _pcsc.PcscContext,
        known: dict[str, tuple[int, ReaderStatus]] | None = None,
    ) -> None:
        self.context = context
        self.known: dict[str, tuple[int, ReaderStatus]] = dict(known or {})
        self._pnp_state = _pcsc.STATE_UNAWARE

    def resync(self) -> list[CardEvent]:
        """Read every reader's current state; events for what differs from the last known."""
        names = self.context.list_readers()
        raw = (
            self.context.get_status_change([(n, _pcsc.STATE_UNAWARE) for n in names], timeout=0)
            if names
            else ()
        )
        current = {
            r.name: (r.event_state & ~_pcsc.STATE_CHANGED, status_from_raw(r)) for r in raw or ()
        }
        events = _diff(self.known, current, time.perf_counter())
        self.known = current
        return events

    def wait(self, timeout: float | None) -> list[CardEvent] | None:
        """Block until some reader changes; its events, or ``None`` on timeout."""
        entries = [(name, state) for name, (state, _status) in self.known.items()]
        entries.append((_pcsc.PNP_READER, self._pnp_state))
        raw = self.context.get_status_change(entries, timeout)
        if raw is None:
            return None
        observed_at = time.perf_counter()
        readers_changed = False
        updated = dict(self.known)
        for entry in raw:
            state = entry.event_state & ~_pcsc.STATE_CHANGED
            if entry.name == _pcsc.PNP_READER:
                readers_changed = readers_changed or state != self._pnp_state
                self._pnp_state = state
            elif entry.event_state & (_pcsc.STATE_UNKNOWN | _pcsc.STATE_UNAVAILABLE):
                readers_changed = True
            elif entry.name in updated:
                updated[entry.name] = (state, status_from_raw(entry))
        events = _diff(self.known, updated, observed_at)
        self.known = updated
        if readers_changed:
            events += self.resync()
        return events


def _diff(
    old: dict[str, tuple[int, ReaderStatus]],
    new: dict[str, tuple[int, ReaderStatus]],
    observed_at: float,
) -> list[CardEvent]:
    events: list[CardEvent] = []

    def emit(kind: CardEventKind, status: ReaderStatus) -> None:
        events.append(
            CardEvent(kind=kind, reader=status.reader, status=status, observed_at=observed_at)
        )

    for name, (old_state, old_status) in old.items():
        if name not in new:
            if old_status.has_card:
                emit(CardEventKind.REMOVED, old_status)
            emit(CardEventKind.READER_REMOVED, old_status)
            continue
        new_state, new_status = new[name]
        swapped = _event_count(old_state) != _event_count(new_state)
        if old_status.has_card and (not new_status.has_card or swapped):
            emit(CardEventKind.REMOVED, new_status)
        if new_status.has_card and (not old_status.has_card or swapped):
            emit(CardEventKind.INSERTED, new_status)
    for name, (_state, new_status) in new.items():
        if name not in old:
            emit(CardEventKind.READER_ADDED, new_status)
            if new_status.has_card:
                emit(CardEventKind.INSERTED, new_status)
    return events


def _event_count(state: int) -> int:
    """pcsc-lite counts card insertions and removals in the state's high 16 bits."""
    return state >> 16


def _remaining(deadline: float | None) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise EventWaitTimeout(
            "no card event before the timeout; insert (or remove) the card, or wait longer"
        )
    return remaining


def _wait_until(
    reader: Reader | str | None,
    want_card: bool,
    *,
    timeout: float | None,
    cancel: CancelToken | None,
    skip_current: bool,
) -> CardEvent:
    deadline = None if timeout is None else time.monotonic() + timeout
    token = cancel or CancelToken()
    with _pcsc.PcscContext() as context, token.watching(context):
        any_reader = reader is None and want_card
        name = None if any_reader else resolve_reader_name(context, reader)
        watcher = ReaderWatcher(context)
        watcher.resync()
        if not skip_current:
            for _state, status in watcher.known.values():
                if (name is None or status.reader.name == name) and status.has_card == want_card:
                    kind = CardEventKind.INSERTED if want_card else CardEventKind.REMOVED
                    return CardEvent(
                        kind=kind,
                        reader=status.reader,
                        status=status,
                        observed_at=time.perf_counter(),
                    )
        wanted = CardEventKind.INSERTED if want_card else CardEventKind.REMOVED
        while True:
            token.raise_if_cancelled()
            remaining = _remaining(deadline)
            if cancel is not None:
                remaining = min(remaining or _CANCEL_RACE_SLICE, _CANCEL_RACE_SLICE)
            events = watcher.wait(remaining)
            for event in events or ():
                if event.reader is None or (name is not None and event.reader.name != name):
                    continue
                if event.kind is wanted:
                    return event
                if event.kind is CardEventKind.READER_REMOVED and name is not None:
                    raise ReaderGoneError(
                        f"reader {name!r} was detached while waiting for a card; plug it back in"
                    )


def wait_for_card(
    reader: Reader | str | None = None,
    *,
    timeout: float | None = None,
    cancel: CancelToken | None = None,
    new_insertion: bool = False,
) -> CardEvent:
    """Wait until a card is in ``reader`` (any reader when ``None``).

    Returns at once if a card is already there, unless ``new_insertion``.
    Raises :class:`EventWaitTimeout` after ``timeout`` seconds (``None``
    waits for ever) and :class:`WaitCancelledError` when ``cancel`` fires.
    """
    return _wait_until(reader, True, timeout=timeout, cancel=cancel, skip_current=new_insertion)


def wait_for_removal(
    reader: Reader | str | None = None,
    *,
    timeout: float | None = None,
    cancel: CancelToken | None = None,
) -> CardEvent:
    """Wait until ``reader`` (the first reader when ``None``) holds no card; at once if empty."""
    return _wait_until(reader, False, timeout=timeout, cancel=cancel, skip_current=False)
