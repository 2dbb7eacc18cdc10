"""Which language the CLI speaks: zh-TW or English, from the locale or ``--lang``.

POSIX precedence decides which variable counts: ``LC_ALL``, then
``LC_MESSAGES``, then ``LANG``; the first one set wins, and any value
starting with ``zh`` selects Traditional Chinese.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

__all__ = ["LOCALE_VARIABLES", "Language", "language_from_environment"]

LOCALE_VARIABLES: Final = ("LC_ALL", "LC_MESSAGES", "LANG")


class Language(enum.Enum):
    """A language of the message catalogue; the value is its ``--lang`` spelling."""

    ENGLISH = "en"
    TRADITIONAL_CHINESE = "zh-TW"


def language_from_environment(environ: Mapping[str, str]) -> Language:
    """The language the locale variables ask for; English unless the first set one is zh*."""
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            if value.lower().startswith("zh"):
                return Language.TRADITIONAL_CHINESE
            return Language.ENGLISH
    return Language.ENGLISH
