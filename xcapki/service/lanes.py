"""One worker thread per reader, running that reader's requests one after another.

A card signs one request at a time, so a reader's requests queue anyway. Giving
each reader its own thread makes that queue the thread's: when one signature
ends the thread starts the next at once, with no hand-over to another thread
or back through the event loop, and a busy card holds exactly one thread while
other readers and endpoints carry on. Handing a job over costs one queue put
and one ``call_soon_threadsafe`` back, less than a general thread pool's.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["ReaderLanes"]

_T = TypeVar("_T")
_Job = tuple[Callable[[], Any], asyncio.Future[Any], asyncio.AbstractEventLoop]


def _settle(future: asyncio.Future[Any], result: object, error: BaseException | None) -> None:
    """Finish ``future`` on the event loop, unless its request was abandoned meanwhile."""
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _serve(jobs: queue.SimpleQueue[_Job | None]) -> None:
    while (job := jobs.get()) is not None:
        work, future, loop = job
        if future.cancelled():  # its request is gone: nobody is asked for a PIN for it
            continue
        try:
            result = work()
        except BaseException as error:  # delivered to the awaiting request, as to_thread does
            loop.call_soon_threadsafe(_settle, future, None, error)
        else:
            loop.call_soon_threadsafe(_settle, future, result, None)
        del job, work, future


class ReaderLanes:
    """Threads keyed by reader (event-loop side); a lane's jobs run in submission order."""

    def __init__(self) -> None:
        self._lanes: dict[str, tuple[queue.SimpleQueue[_Job | None], threading.Thread]] = {}

    async def run(self, key: str, work: Callable[[], _T]) -> _T:
        """Run ``work`` on the lane ``key`` after the jobs queued before it; its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        lane = self._lanes.get(key)
        if lane is None:
            jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
            thread = threading.Thread(
                target=_serve, args=(jobs,), name=f"xcapki-reader-{len(self._lanes)}", daemon=True
            )
            thread.start()
            lane = self._lanes[key] = (jobs, thread)
        lane[0].put((work, future, loop))
        return await future

    def close(self) -> None:
        """Let every lane finish its queued jobs, then end its thread (blocking)."""
        lanes, self._lanes = self._lanes, {}
        for jobs, _ in lanes.values():
            jobs.put(None)
        for _, thread in lanes.values():
            thread.join()
