"""argparse's own words (usage, section titles, its errors) in the CLI's language.

argparse looks each of its sentences up through its module-level ``_`` and
``ngettext`` (gettext) when it formats them; ``argparse_language`` points
those at ``ARGPARSE_ZH`` while the CLI builds and runs its parser, so
``--help`` and usage errors read in Traditional Chinese under ``--lang
zh-TW``. A sentence missing from the table stays English; the catalogue test
lists argparse's sentences so none is missed.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator, Mapping
from typing import Final

from xcapki.cli.language import Language

__all__ = ["ARGPARSE_ZH", "argparse_language"]

ARGPARSE_ZH: Final[Mapping[str, str]] = {
    "usage: ": "用法：",
    "positional arguments": "位置參數",
    "options": "選項",
    "show this help message and exit": "顯示此說明並結束",
    "show program's version number and exit": "顯示程式版本並結束",
    "argument %(argument_name)s: %(message)s": "參數 %(argument_name)s：%(message)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：錯誤：%(message)s\n",
    "unrecognized arguments: %s": "無法辨識的參數：%s",
    "the following arguments are required: %s": "缺少必要的參數：%s",
    "one of the arguments %s is required": "必須提供下列參數之一：%s",
    "not allowed with argument %s": "不可與參數 %s 同時使用",
    "ignored explicit argument %r": "此選項不接受值：%r",
    "expected one argument": "需要一個值",
    "expected at most one argument": "最多只能有一個值",
    "expected at least one argument": "至少需要一個值",
    "expected %s argument": "需要 %s 個值",
    "expected %s arguments": "需要 %s 個值",
    "ambiguous option: %(option)s could match %(matches)s": (
        "選項 %(option)s 不明確，可能是 %(matches)s"
    ),
    "unexpected option string: %s": "非預期的選項：%s",
    "invalid %(type)s value: %(value)r": "無效的值（%(type)s）：%(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "無效的選擇：%(value)r（可選：%(choices)s）"
    ),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "沒有這個指令：%(parser_name)r（可用：%(choices)s）"
    ),
    "can't open '%(filename)s': %(error)s": "無法開啟 '%(filename)s'：%(error)s",
    "not a size such as 512M or 4G: %r": "不是有效的大小（例如 512M 或 4G）：%r",
    "not a web address such as https://onestop.nat.gov.tw/: %r": (
        "不是有效的網址（例如 https://onestop.nat.gov.tw/）：%r"
    ),
}


def _zh(message: str) -> str:
    return ARGPARSE_ZH.get(message, message)


def _zh_plural(singular: str, plural: str, count: int) -> str:
    return _zh(singular if count == 1 else plural)


@contextlib.contextmanager
def argparse_language(language: Language) -> Iterator[None]:
    """argparse speaks ``language`` inside the block (English needs no change)."""
    if language is not Language.TRADITIONAL_CHINESE:
        yield
        return
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = _zh  # type: ignore[attr-defined]
    argparse.ngettext = _zh_plural  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]
