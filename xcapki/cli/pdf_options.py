"""The PDF options of ``xcapki sign`` and ``xcapki verify``, kept apart so building the
parser loads neither pyHanko nor the PDF code."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Final

__all__ = ["LEVEL_CHOICES", "add_sign_options", "add_verify_options"]

LEVEL_CHOICES: Final = ("b-b", "b-t", "b-lt", "b-lta")
"""The values of ``xcapki.pdf.PadesLevel`` (a test keeps the two equal)."""


def add_sign_options(parser: argparse.ArgumentParser, t: Callable[[str], str]) -> None:
    """``xcapki sign``'s PDF options (all default to None, so their use can be detected)."""
    group = parser.add_argument_group(t("help.pdf.group"))
    group.add_argument("--pdf", action="store_true", help=t("help.pdf.sign"))
    group.add_argument("--level", choices=LEVEL_CHOICES, help=t("help.pdf.level"))
    group.add_argument("--tsa", metavar="URL", help=t("help.pdf.tsa"))
    group.add_argument(
        "--stamp",
        action="store_true",
        default=None,
        help=t("help.pdf.stamp"),
    )
    group.add_argument("--page", type=int, help=t("help.pdf.page"))
    group.add_argument("--box", metavar="X1,Y1,X2,Y2", help=t("help.pdf.box"))
    group.add_argument("--font", metavar="FILE", help=t("help.pdf.font"))
    group.add_argument("--reason", help=t("help.pdf.reason"))
    group.add_argument("--location", help=t("help.pdf.location"))
    group.add_argument(
        "--trust-root",
        metavar="PEM",
        action="append",
        default=[],
        help=t("help.pdf.trust_root"),
    )
    group.add_argument(
        "--intermediate",
        metavar="PEM",
        action="append",
        default=[],
        help=t("help.pdf.intermediate"),
    )


def add_verify_options(parser: argparse.ArgumentParser, t: Callable[[str], str]) -> None:
    """``xcapki verify``'s PDF option."""
    parser.add_argument("--pdf", action="store_true", help=t("help.pdf.verify"))
