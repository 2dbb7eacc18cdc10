"""Running pyHanko's coroutines from xcapki.pdf's synchronous functions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from xcapki.pdf.errors import PdfUsageError

__all__ = ["run_to_completion"]

_T = TypeVar("_T")


def run_to_completion(start: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """``start()`` run on a fresh event loop; refused inside a running one (it would block it)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(start())
    raise PdfUsageError(
        "xcapki.pdf's functions block (the card, the network); inside an event loop, run them "
        "in a worker thread (asyncio.to_thread or anyio.to_thread.run_sync)"
    )
