"""A card monitor that survives pcscd restarting and readers coming and going.

pyscard's own monitors stop for good when their PC/SC context dies. This one
runs one background thread that blocks in SCardGetStatusChange; when the
context dies (service stopped or restarted) it reports SERVICE_LOST, retries
establishing a context with a capped back-off (the one place where polling is
unavoidable: PC/SC cannot announce its own start), then reports
SERVICE_RESTORED and whatever changed while it was gone.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

from xcapki.reader import _pcsc
from xcapki.reader.errors import (
    EventWaitTimeout,
    PcscServiceUnavailableError,
    ReaderError,
    WaitCancelledError,
)
from xcapki.reader.events import CardEvent, CardEventKind, ReaderWatcher
from xcapki.reader.readers import ReaderStatus

__all__ = ["CardMonitor", "CardObserver"]

CardObserver = Callable[[CardEvent], None]
"""Called from the monitor thread for every event; keep it short."""

_log = logging.getLogger(__name__)

_STOP_RACE_SLICE = 2.0
_FIRST_RETRY = 0.05
_MAX_RETRY = 0.5


class CardMonitor:
    """Reports card and reader events to observers and to iterators.

    ``with CardMonitor() as monitor: for event in monitor: ...``. Cards already
    present when the monitor starts are reported as READER_ADDED (and cards
    in them as INSERTED), so a front end can build its list from events alone,
    unless ``report_present=False``. ``retry_interval`` caps the back-off between
    attempts to reach a stopped PC/SC service.
    """

    def __init__(self, *, report_present: bool = True, retry_interval: float = _MAX_RETRY) -> None:
        self._report_present = report_present
        self._retry_interval = retry_interval
        self._observers: list[CardObserver] = []
        self._queue: queue.Queue[CardEvent | None] = queue.Queue()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._context: _pcsc.PcscContext | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def subscribe(self, observer: CardObserver) -> Callable[[], None]:
        """Call ``observer`` for every event; returns a function that unsubscribes it."""
        with self._lock:
            self._observers.append(observer)

        def unsubscribe() -> None:
            with self._lock:
                if observer in self._observers:
                    self._observers.remove(observer)

        return unsubscribe

    def start(self, ready_timeout: float = 5.0) -> None:
        """Start the monitor thread; returns once it has read the initial reader states."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="xcapki-card-monitor", daemon=True)
        self._thread.start()
        self._ready.wait(ready_timeout)

    def stop(self) -> None:
        """Stop the thread and end every iteration over the monitor."""
        self._stopping.set()
        with self._lock:
            context = self._context
        if context is not None:
            context.cancel()
        if self._thread is not None:
            self._thread.join()
        self._queue.put(None)

    def __enter__(self) -> CardMonitor:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def next_event(self, timeout: float | None = None) -> CardEvent:
        """The next event; :class:`EventWaitTimeout` if none comes in time."""
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise EventWaitTimeout(
                f"no card event within {timeout} s; insert or remove a card, or wait longer"
            ) from None
        if event is None:
            self._queue.put(None)
            raise WaitCancelledError("the card monitor was stopped")
        return event

    def __iter__(self) -> Iterator[CardEvent]:
        while True:
            event = self._queue.get()
            if event is None:
                self._queue.put(None)
                return
            yield event

    def _run(self) -> None:
        known: dict[str, tuple[int, ReaderStatus]] = {}
        service_lost = False
        first = True
        retry = _FIRST_RETRY
        while not self._stopping.is_set():
            try:
                context = _pcsc.PcscContext()
            except PcscServiceUnavailableError:
                if not service_lost:
                    service_lost = True
                    self._emit_service(CardEventKind.SERVICE_LOST)
                self._ready.set()
                self._stopping.wait(retry)
                retry = min(retry * 2, self._retry_interval)
                continue
            retry = _FIRST_RETRY
            with self._lock:
                self._context = context
            if service_lost:
                service_lost = False
                self._emit_service(CardEventKind.SERVICE_RESTORED)
            watcher = ReaderWatcher(context, known)
            try:
                self._watch(watcher, first)
            except WaitCancelledError:
                pass
            except ReaderError as failure:
                if _pcsc.is_context_lost(failure):
                    service_lost = True
                    self._emit_service(CardEventKind.SERVICE_LOST)
                else:
                    _log.warning("card monitor restarts after: %s", failure)
            finally:
                known = watcher.known
                first = False
                with self._lock:
                    self._context = None
                context.release()

    def _watch(self, watcher: ReaderWatcher, first: bool) -> None:
        events = watcher.resync()
        self._ready.set()
        if not first or self._report_present:
            self._emit_all(events)
        while not self._stopping.is_set():
            self._emit_all(watcher.wait(_STOP_RACE_SLICE) or [])

    def _emit_service(self, kind: CardEventKind) -> None:
        self._emit_all(
            [CardEvent(kind=kind, reader=None, status=None, observed_at=time.perf_counter())]
        )

    def _emit_all(self, events: list[CardEvent]) -> None:
        for event in events:
            with self._lock:
                observers = list(self._observers)
            for observer in observers:
                try:
                    observer(event)
                except Exception:
                    _log.exception("card observer %r failed on %s", observer, event.kind.name)
            self._queue.put(event)
