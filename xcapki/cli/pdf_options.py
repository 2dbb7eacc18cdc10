"""The PDF options of ``xcapki sign`` and ``xcapki verify``, kept apart so building the
parser loads neither pyHanko nor the PDF code."""

from __future__ import annotations

import argparse
from typing import Final

__all__ = ["LEVEL_CHOICES", "add_sign_options", "add_verify_options"]

LEVEL_CHOICES: Final = ("b-b", "b-t", "b-lt", "b-lta")
"""The values of ``xcapki.pdf.PadesLevel`` (a test keeps the two equal)."""


def add_sign_options(parser: argparse.ArgumentParser) -> None:
    """``xcapki sign``'s PDF options (all default to None, so their use can be detected)."""
    group = parser.add_argument_group("PDF (PAdES) options")
    group.add_argument(
        "--pdf", action="store_true", help="sign as PAdES even without a %%PDF header"
    )
    group.add_argument("--level", choices=LEVEL_CHOICES, help="PAdES level (default: b-b)")
    group.add_argument("--tsa", metavar="URL", help="RFC 3161 time-stamping authority (b-t and up)")
    group.add_argument(
        "--stamp",
        action="store_true",
        default=None,
        help="draw organisation and 統一編號 on a page",
    )
    group.add_argument("--page", type=int, help="page of the stamp, from 1; -1 is the last")
    group.add_argument(
        "--box", metavar="X1,Y1,X2,Y2", help="the stamp's box in points (default: bottom right)"
    )
    group.add_argument("--font", metavar="FILE", help="a CJK font for the stamp (.ttf/.otf/.ttc)")
    group.add_argument("--reason", help="the reason recorded in the signature")
    group.add_argument("--location", help="the place recorded in the signature")
    group.add_argument(
        "--trust-root",
        metavar="PEM",
        action="append",
        default=[],
        help="b-lt/b-lta: collect revocation data up to this root instead of GRCA (repeatable)",
    )
    group.add_argument(
        "--intermediate", metavar="PEM", action="append", default=[], help="an intermediate CA"
    )


def add_verify_options(parser: argparse.ArgumentParser) -> None:
    """``xcapki verify``'s PDF option."""
    parser.add_argument(
        "--pdf", action="store_true", help="verify as a PDF even without a %%PDF header"
    )
