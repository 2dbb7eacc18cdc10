"""Error classes renamed to the shared vocabulary keep their old names for one release.

A module lists its old names in a table and answers them from its
``__getattr__`` with a ``DeprecationWarning`` that names the class to use.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

from xcapki.errors import XcapkiError

__all__ = ["renamed_names"]


def renamed_names(
    module: str, renamed: Mapping[str, type[XcapkiError]]
) -> Callable[[str], type[XcapkiError]]:
    """A module ``__getattr__`` answering each old name of ``renamed`` with its new class."""

    def old_name(name: str) -> type[XcapkiError]:
        new = renamed.get(name)
        if new is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(
            f"{module}.{name} is deprecated and will be removed in the next release; "
            f"use {new.__module__}.{new.__qualname__}",
            DeprecationWarning,
            stacklevel=2,
        )
        return new

    return old_name
