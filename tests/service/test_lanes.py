"""Reader lanes: one thread per reader, its jobs in order, other readers alongside."""

from __future__ import annotations

import asyncio
import threading

import pytest

from xcapki.service.lanes import ReaderLanes


def test_a_lane_runs_its_jobs_in_order_on_one_thread_while_other_lanes_go_on() -> None:
    async def scenario() -> tuple[list[tuple[str, str]], list[str], str]:
        lanes = ReaderLanes()
        first_may_end = threading.Event()
        ran: list[tuple[str, str]] = []

        def job(name: str) -> str:
            if name == "a1":
                assert first_may_end.wait(timeout=30)
            ran.append((name, threading.current_thread().name))
            return name

        queued = [
            asyncio.ensure_future(lanes.run("reader A", lambda n=n: job(n)))
            for n in ("a1", "a2", "a3")
        ]
        other = await lanes.run("reader B", lambda: job("b1"))  # while a1 still holds lane A
        first_may_end.set()
        results = list(await asyncio.gather(*queued))
        await asyncio.to_thread(lanes.close)
        return ran, results, other

    ran, results, other = asyncio.run(scenario())
    assert other == "b1"
    assert results == ["a1", "a2", "a3"]
    assert [name for name, _ in ran] == ["b1", "a1", "a2", "a3"]
    lane_a_threads = {thread for name, thread in ran if name.startswith("a")}
    assert len(lane_a_threads) == 1
    assert ran[0][1] not in lane_a_threads


def test_a_failing_or_abandoned_job_leaves_the_lane_serving() -> None:
    async def scenario() -> list[str]:
        lanes = ReaderLanes()
        hold = threading.Event()
        ran: list[str] = []

        def fail() -> None:
            raise ValueError("the card said no")

        with pytest.raises(ValueError, match="the card said no"):
            await lanes.run("reader", fail)
        blocker = asyncio.ensure_future(lanes.run("reader", lambda: hold.wait(timeout=30)))
        abandoned = asyncio.ensure_future(lanes.run("reader", lambda: ran.append("abandoned")))
        await asyncio.sleep(0.05)
        abandoned.cancel()
        hold.set()
        assert await blocker is True
        assert await lanes.run("reader", lambda: "next") == "next"
        await asyncio.to_thread(lanes.close)
        return ran

    assert asyncio.run(scenario()) == []
