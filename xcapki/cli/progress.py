"""A progress bar on stderr for work that can take more than a second (hashing a file).

Shown only when stderr is a terminal and ``--quiet`` is not given, so logs,
pipes and scripts see nothing of it; rich draws it (a base dependency; an
installation without it just shows no bar).
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator

from xcapki.cli.console import Console

__all__ = ["BAR_THRESHOLD", "progress_bar"]

BAR_THRESHOLD = 16 * 1024 * 1024
"""Below this many bytes the work is too quick for a bar to help."""


@contextlib.contextmanager
def progress_bar(
    console: Console, *, total: int | None, label: str
) -> Iterator[Callable[[int], None]]:
    """A callback taking the bytes just processed; it draws a bar when one is wanted.

    ``total`` is the expected byte count (None when unknown, e.g. a pipe).
    """
    if not _wanted(console, total) or importlib.util.find_spec("rich") is None:
        yield _ignore
        return
    from rich.console import Console as RichConsole
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(binary_units=True),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    target = RichConsole(file=console.stderr, stderr=True)
    with Progress(*columns, console=target, transient=True) as bar:
        task = bar.add_task(label, total=total)

        def advance(size: int) -> None:
            bar.advance(task, size)

        yield advance


def _wanted(console: Console, total: int | None) -> bool:
    if console.quiet or (total is not None and total < BAR_THRESHOLD):
        return False
    isatty = getattr(console.stderr, "isatty", None)
    return bool(isatty and isatty())


def _ignore(size: int) -> None:
    """No bar: nothing to draw."""
