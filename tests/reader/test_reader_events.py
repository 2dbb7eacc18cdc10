"""Card waits and the monitor, on real pcscd: timeouts, cancellation, restarts."""

from __future__ import annotations

import threading
import time

import pytest

from xcapki.reader import (
    CancelToken,
    CardEvent,
    CardEventKind,
    CardFamily,
    CardMonitor,
    EventWaitTimeout,
    WaitCancelledError,
    wait_for_card,
    wait_for_removal,
)
from xcapki.testing.pcscd import PcscdSite, PrivatePcscd, vpcd_reader_names
from xcapki.testing.virtual_reader import EmulatedCard

pytestmark = pytest.mark.pcscd


def next_of_kind(monitor: CardMonitor, kind: CardEventKind, timeout: float = 5) -> CardEvent:
    deadline = time.monotonic() + timeout
    while True:
        event = monitor.next_event(timeout=max(0.0, deadline - time.monotonic()))
        if event.kind is kind:
            return event


def test_wait_times_out(reader_name: str) -> None:
    started = time.monotonic()
    with pytest.raises(EventWaitTimeout):
        wait_for_card(reader_name, timeout=0.3)
    # the wait gives up only once its timeout has passed, never early
    assert time.monotonic() - started >= 0.3


def test_cancel_wakes_a_blocked_wait_at_once(reader_name: str) -> None:
    token = CancelToken()
    threading.Timer(0.2, token.cancel).start()
    # SCardCancel wakes the call: a wait that ignored the cancel would end in
    # EventWaitTimeout after its (long) timeout instead
    with pytest.raises(WaitCancelledError):
        wait_for_card(reader_name, cancel=token, timeout=60)


def test_cancelled_token_refuses_to_wait(reader_name: str) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(WaitCancelledError):
        wait_for_card(reader_name, cancel=token, timeout=5)


def test_insertion_and_removal_are_reported(reader_name: str, virtual_card: EmulatedCard) -> None:
    threading.Timer(0.1, virtual_card.insert).start()
    inserted = wait_for_card(reader_name, timeout=5)
    assert inserted.kind is CardEventKind.INSERTED
    assert inserted.reader is not None
    assert inserted.reader.name == reader_name
    assert inserted.status is not None
    assert inserted.status.card is not None
    assert inserted.status.card.family is CardFamily.HICOS_GEN1
    assert wait_for_card(timeout=1).reader == inserted.reader
    threading.Timer(0.1, virtual_card.remove).start()
    removed = wait_for_removal(reader_name, timeout=5)
    assert removed.kind is CardEventKind.REMOVED
    assert removed.status is not None
    assert not removed.status.has_card


def test_new_insertion_ignores_the_card_already_there(
    reader_name: str, virtual_card: EmulatedCard
) -> None:
    virtual_card.insert()
    wait_for_card(reader_name, timeout=5)
    with pytest.raises(EventWaitTimeout):
        wait_for_card(reader_name, timeout=0.6, new_insertion=True)


def test_monitor_reports_to_observers_and_iterators(
    reader_name: str, virtual_card: EmulatedCard
) -> None:
    seen: list[CardEventKind] = []
    with CardMonitor() as monitor:
        monitor.subscribe(lambda event: seen.append(event.kind))
        virtual_card.insert()
        inserted = next_of_kind(monitor, CardEventKind.INSERTED)
        assert inserted.reader is not None
        assert inserted.reader.name == reader_name
        virtual_card.remove()
        next_of_kind(monitor, CardEventKind.REMOVED)
    assert seen == [CardEventKind.INSERTED, CardEventKind.REMOVED]
    assert list(monitor) == []


def test_monitor_reports_cards_present_at_start(
    reader_name: str, virtual_card: EmulatedCard
) -> None:
    virtual_card.insert()
    wait_for_card(reader_name, timeout=5)
    with CardMonitor() as monitor:
        first = [monitor.next_event(timeout=2).kind for _ in range(3)]
    assert first == [
        CardEventKind.READER_ADDED,
        CardEventKind.INSERTED,
        CardEventKind.READER_ADDED,
    ]
    with CardMonitor(report_present=False) as quiet, pytest.raises(EventWaitTimeout):
        quiet.next_event(timeout=0.3)


def test_monitor_survives_pcscd_restart(
    pcscd: PrivatePcscd, reader_name: str, virtual_card: EmulatedCard
) -> None:
    with CardMonitor(retry_interval=0.1) as monitor:
        virtual_card.insert()
        next_of_kind(monitor, CardEventKind.INSERTED)
        pcscd.stop()
        next_of_kind(monitor, CardEventKind.SERVICE_LOST)
        pcscd.start()
        next_of_kind(monitor, CardEventKind.SERVICE_RESTORED)
        # the old daemon took the card's vpcd connection with it
        virtual_card.remove()
        virtual_card.insert()
        event = next_of_kind(monitor, CardEventKind.INSERTED)
        assert event.reader is not None
        assert event.reader.name == reader_name


def test_monitor_survives_readers_being_unplugged(
    pcsc_session: PcscdSite, pcscd: PrivatePcscd
) -> None:
    with CardMonitor(retry_interval=0.1) as monitor:
        pcscd.stop()
        readerless = pcsc_session.daemon(with_reader=False)
        readerless.start()
        try:
            gone = {next_of_kind(monitor, CardEventKind.READER_REMOVED).reader for _ in range(2)}
            assert {r.name for r in gone if r} == set(vpcd_reader_names())
        finally:
            readerless.stop()
        pcscd.start()
        back = next_of_kind(monitor, CardEventKind.READER_ADDED)
        assert back.reader is not None
        assert back.reader.name in vpcd_reader_names()
