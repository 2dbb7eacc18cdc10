"""PINs, where they come from, and the PIN state a token reports.

A card locks after 3 wrong PINs, so a PIN is handled as a secret that never
shows up in a repr, a message or a log, and is checked against the token's
length rules before it reaches the card.
"""

from __future__ import annotations

import enum
import getpass
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from xcapki.token.errors import PinFormatError, PinUnavailableError

__all__ = [
    "PROTECTED_AUTH",
    "Pin",
    "PinFromEnvironment",
    "PinPrompt",
    "PinSource",
    "PinState",
    "ProtectedAuth",
    "check_pin_format",
    "resolve_pin",
]


class PinState(enum.Enum):
    """What the token says about its user PIN, read before every login."""

    OK = "ok"
    COUNT_LOW = "count-low"
    FINAL_TRY = "final-try"
    LOCKED = "locked"
    TO_BE_CHANGED = "to-be-changed"
    NOT_INITIALIZED = "not-initialized"


class Pin:
    """A PIN value. Its repr and str hide it; ``reveal()`` is for the token layer only."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The PIN itself, for handing to the card."""
        return self._value

    def __repr__(self) -> str:
        return "Pin(<hidden>)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pin) and other._value == self._value

    def __hash__(self) -> int:
        return hash((Pin, self._value))

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a Pin cannot be pickled")


@dataclass(frozen=True, slots=True, kw_only=True)
class PinFromEnvironment:
    """Read the PIN from an environment variable (for unattended jobs)."""

    variable: str = "XCAPKI_PIN"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinPrompt:
    """Ask for the PIN on the terminal without echo (for the CLI); ``reader`` is getpass."""

    prompt: str = "PIN: "
    reader: Callable[[str], str] | None = field(default=None, repr=False)


class ProtectedAuth:
    """The PIN is entered on the reader's PIN pad, never through the host."""

    _instance: ProtectedAuth | None = None

    def __new__(cls) -> ProtectedAuth:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "PROTECTED_AUTH"


PROTECTED_AUTH: Final = ProtectedAuth()

PinSource = Pin | PinFromEnvironment | PinPrompt | ProtectedAuth
"""Where a login gets its PIN: a value, an environment variable, a prompt, or the PIN pad."""


def resolve_pin(source: PinSource | str, environ: Mapping[str, str] | None = None) -> Pin:
    """The PIN from ``source`` (a plain ``str`` counts as a value); not for ``PROTECTED_AUTH``."""
    if isinstance(source, Pin):
        return source
    if isinstance(source, str):
        return Pin(source)
    if isinstance(source, PinFromEnvironment):
        value = (os.environ if environ is None else environ).get(source.variable)
        if not value:
            raise PinUnavailableError(
                f"environment variable {source.variable} holds no PIN: set it, or use another"
                " PIN source"
            )
        return Pin(value)
    if isinstance(source, PinPrompt):
        try:
            return Pin((source.reader or getpass.getpass)(source.prompt))
        except (EOFError, KeyboardInterrupt, OSError) as exc:
            raise PinUnavailableError(
                "no PIN was entered at the prompt: run interactively, or pass the PIN another way"
            ) from exc
    raise PinUnavailableError(
        "the PIN pad has no PIN to read on the host: log in with PROTECTED_AUTH instead"
    )


def check_pin_format(pin: Pin, *, min_length: int, max_length: int) -> None:
    """Refuse a PIN the token cannot accept, so a typo of the wrong length costs no try.

    Lengths are in bytes, as PKCS#11 counts them; only printable ASCII is
    allowed because card PINs are entered on keypads and encoded byte for byte.
    """
    value = pin.reveal()
    if not all("!" <= char <= "~" for char in value):
        raise PinFormatError(
            "the PIN holds characters a card PIN cannot hold (spaces, control or non-ASCII"
            " characters): type it again"
        )
    if not min_length <= len(value) <= max(max_length, min_length):
        raise PinFormatError(
            f"the PIN has {len(value)} characters but this card takes {min_length} to"
            f" {max_length}: type it again (no try was spent)"
        )
