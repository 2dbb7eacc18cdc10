"""The defaults shared by the CMS verifier, the path validator and the login verifier.

Each is defined here once, so a signature, its path and a login are judged
with the same tolerance unless the caller chooses otherwise.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = [
    "DEFAULT_CACHE_CAPACITY",
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_FETCH_TIMEOUT",
    "DEFAULT_MAX_CRL_BYTES",
    "Clock",
    "system_clock",
    "with_given",
]

DEFAULT_CLOCK_SKEW: Final = timedelta(minutes=5)
"""Tolerated difference between the server's clock and a signingTime, a certificate's
validity bounds, and a revocation answer's thisUpdate/nextUpdate."""

DEFAULT_FETCH_TIMEOUT: Final = timedelta(seconds=5)
"""Longest wait for one OCSP or CRL request."""

DEFAULT_MAX_CRL_BYTES: Final = 10 * 1024 * 1024
"""Largest CRL downloaded: GPKI CRLs are a few MiB; a larger body is refused, not read."""

DEFAULT_CACHE_CAPACITY: Final = 10_000
"""Entries kept per cache (paths, revocation answers, certificate profiles)."""

Clock = Callable[[], datetime]
"""Where "now" comes from; inject a fixed one in tests."""


def system_clock() -> datetime:
    """The current UTC time: the default clock of every verifier and store."""
    return datetime.now(UTC)


_Options = TypeVar("_Options", bound="DataclassInstance")


def with_given(options: _Options, **given: object) -> _Options:
    """``options`` with each keyword argument the caller gave (not None) in its place.

    The public functions keep their keyword arguments, defaulting to None,
    and pass one frozen options object on; this is where the two meet.
    """
    changes = {name: value for name, value in given.items() if value is not None}
    return dataclasses.replace(options, **changes) if changes else options
