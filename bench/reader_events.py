"""Card insertion latency and APDU throughput: xcapki beside pyscard, same run, same card.

Starts a private pcscd with the vpcd reader and a virtual card, then inserts
the card 50 times while xcapki's CardMonitor and pyscard's own CardMonitor
watch. For each insertion it records the time from the card connecting to
vpcd until each monitor's observer runs, and the part of it after pcscd
first polled the card (vpcd has no insertion interrupt: pcscd polls it every
0.4 s, which bounds the end-to-end latency for any PC/SC client). Then it
counts APDU round trips per second through xcapki's CardConnection and
pyscard's connection. The last line is JSON.

Run: .venv/bin/python bench/reader_events.py [--insertions N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from xcapki.testing.pcscd import PcscdSite, find_free_port_pair, vpcd_reader_names
from xcapki.testing.virtual_reader import EmulatedCard


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, percentile(values, 0.95) * 1000


class Arrivals:
    """Timestamps at which one monitor reported insertions and removals."""

    def __init__(self) -> None:
        self.inserted = threading.Event()
        self.removed = threading.Event()
        self.inserted_at = 0.0

    def on_insert(self) -> None:
        self.inserted_at = time.perf_counter()
        self.inserted.set()


def measure_insertions(card: EmulatedCard, reader: str, count: int) -> dict[str, list[float]]:
    from smartcard.CardMonitoring import CardMonitor as PyscardMonitor
    from smartcard.CardMonitoring import CardObserver

    from xcapki.reader import CardEvent, CardEventKind, CardMonitor

    ours, theirs = Arrivals(), Arrivals()

    def on_xcapki(event: CardEvent) -> None:
        if event.reader is None or event.reader.name != reader:
            return
        if event.kind is CardEventKind.INSERTED:
            ours.on_insert()
        elif event.kind is CardEventKind.REMOVED:
            ours.removed.set()

    class PyscardObserver(CardObserver):  # type: ignore[misc]
        def update(self, observable: Any, handlers: Any) -> None:
            added, removed = handlers
            if any(c.reader == reader for c in added):
                theirs.on_insert()
            if any(c.reader == reader for c in removed):
                theirs.removed.set()

    results: dict[str, list[float]] = {"xcapki": [], "pyscard": [], "after_poll": [], "poll": []}
    xcapki_monitor = CardMonitor(report_present=False)
    xcapki_monitor.subscribe(on_xcapki)
    xcapki_monitor.start()
    pyscard_monitor = PyscardMonitor()
    pyscard_observer = PyscardObserver()
    pyscard_monitor.addObserver(pyscard_observer)
    try:
        for _ in range(count):
            for arrivals in (ours, theirs):
                arrivals.inserted.clear()
                arrivals.removed.clear()
            time.sleep(random.uniform(0, 0.4))
            connected = time.perf_counter()
            card.insert()
            if not (ours.inserted.wait(5) and theirs.inserted.wait(5)):
                raise SystemExit("an insertion was not reported within 5 s")
            assert card.seen_at is not None
            results["xcapki"].append(ours.inserted_at - connected)
            results["pyscard"].append(theirs.inserted_at - connected)
            results["poll"].append(card.seen_at - connected)
            results["after_poll"].append(ours.inserted_at - card.seen_at)
            card.remove()
            if not (ours.removed.wait(5) and theirs.removed.wait(5)):
                raise SystemExit("a removal was not reported within 5 s")
    finally:
        pyscard_monitor.deleteObserver(pyscard_observer)
        xcapki_monitor.stop()
    return results


def measure_apdus(reader: str, seconds: float) -> tuple[float, float]:
    from smartcard.System import readers as pyscard_readers

    from xcapki.reader import CardConnection, CommandApdu

    echo = CommandApdu(cla=0x80, ins=0xEE, p1=0, p2=0, data=b"\x01\x02\x03\x04", le=0)
    with CardConnection(reader) as connection:
        count, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            connection.transmit(echo)
            count += 1
        ours = count / seconds
    pyscard_reader = next(r for r in pyscard_readers() if str(r) == reader)
    theirs_connection = pyscard_reader.createConnection()
    theirs_connection.connect()
    try:
        raw = list(echo.to_bytes())
        count, deadline = 0, time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            theirs_connection.transmit(raw)
            count += 1
    finally:
        theirs_connection.disconnect()
    return ours, count / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--insertions", type=int, default=50)
    parser.add_argument("--apdu-seconds", type=float, default=2.0)
    arguments = parser.parse_args()

    workdir = tempfile.TemporaryDirectory(prefix="reader-bench-")
    site = PcscdSite(workdir=Path(workdir.name), vpcd_port=find_free_port_pair())
    os.environ["PCSCLITE_CSOCK_NAME"] = str(site.socket_path)
    reader = vpcd_reader_names()[0]
    with workdir, site.daemon(), EmulatedCard(site.vpcd_port) as card:
        card.remove()
        latencies = measure_insertions(card, reader, arguments.insertions)
        card.insert()
        from xcapki.reader import wait_for_card

        wait_for_card(reader, timeout=5)
        apdu_ours, apdu_theirs = measure_apdus(reader, arguments.apdu_seconds)
        card.remove()

    median_ms, p95_ms = summary(latencies["xcapki"])
    ref_median_ms, ref_p95_ms = summary(latencies["pyscard"])
    poll_median_ms, poll_p95_ms = summary(latencies["poll"])
    after_median_ms, after_p95_ms = summary(latencies["after_poll"])
    print(f"insertions: {arguments.insertions} on {reader!r} (pcsc-lite polls vpcd every 0.4 s)")
    rows = [
        ("card connect -> xcapki CardMonitor", median_ms, p95_ms),
        ("card connect -> pyscard CardMonitor", ref_median_ms, ref_p95_ms),
        ("card connect -> pcscd's first poll", poll_median_ms, poll_p95_ms),
        ("pcscd's poll -> xcapki CardMonitor", after_median_ms, after_p95_ms),
    ]
    for label, median, p95 in rows:
        print(f"  {label:<37} median {median:7.1f} ms  p95 {p95:7.1f} ms")
    print(f"APDU round trips/s: xcapki {apdu_ours:8.0f}   pyscard {apdu_theirs:8.0f}")
    figures = {
        "median_ms": round(median_ms, 2),
        "p95_ms": round(p95_ms, 2),
        "apdu_per_s": round(apdu_ours, 1),
        "pyscard_median_ms": round(ref_median_ms, 2),
        "pyscard_p95_ms": round(ref_p95_ms, 2),
        "pyscard_apdu_per_s": round(apdu_theirs, 1),
        "pcscd_poll_median_ms": round(poll_median_ms, 2),
        "after_poll_median_ms": round(after_median_ms, 2),
        "after_poll_p95_ms": round(after_p95_ms, 2),
        "insertions": arguments.insertions,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
