"""Telling a PDF by its first bytes, without loading pyHanko."""

from __future__ import annotations

from typing import Final

__all__ = ["HEADER_WINDOW", "is_pdf"]

HEADER_WINDOW: Final = 1024
"""Readers accept the ``%PDF-`` header anywhere in the first kilobyte."""


def is_pdf(head: bytes) -> bool:
    """Whether ``head`` (the file's first bytes) carries a PDF header."""
    return b"%PDF-" in head[:HEADER_WINDOW]
