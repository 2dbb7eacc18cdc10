"""What a token says about itself, and choosing one by serial, label or reader.

A front end's single "which card" argument is ``serial_or_label``: a serial
match wins, else a label match, so a label that happens to equal another
card's serial can never pick the wrong card.

Slot numbers change when readers come and go, so a token is never chosen by
slot number; ``TokenInfo.slot_id`` is kept only to reach the token right after
listing it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from xcapki.token.errors import AmbiguousTokenError, TokenNotFoundError
from xcapki.token.pin import PinState

__all__ = ["TokenFlags", "TokenInfo", "TokenSelector", "choose_token", "pin_state_from_flags"]


class TokenFlags(enum.IntFlag):
    """CK_TOKEN_INFO flags (PKCS#11 ``CKF_*``)."""

    RNG = 0x1
    WRITE_PROTECTED = 0x2
    LOGIN_REQUIRED = 0x4
    USER_PIN_INITIALIZED = 0x8
    RESTORE_KEY_NOT_NEEDED = 0x20
    CLOCK_ON_TOKEN = 0x40
    PROTECTED_AUTHENTICATION_PATH = 0x100
    DUAL_CRYPTO_OPERATIONS = 0x200
    TOKEN_INITIALIZED = 0x400
    SECONDARY_AUTHENTICATION = 0x800
    USER_PIN_COUNT_LOW = 0x10000
    USER_PIN_FINAL_TRY = 0x20000
    USER_PIN_LOCKED = 0x40000
    USER_PIN_TO_BE_CHANGED = 0x80000
    SO_PIN_COUNT_LOW = 0x100000
    SO_PIN_FINAL_TRY = 0x200000
    SO_PIN_LOCKED = 0x400000
    SO_PIN_TO_BE_CHANGED = 0x800000
    ERROR_STATE = 0x1000000


def pin_state_from_flags(flags: TokenFlags) -> PinState:
    """The user PIN state, worst first: locked, final try, count low, to be changed."""
    if flags & TokenFlags.USER_PIN_LOCKED:
        return PinState.LOCKED
    if flags & TokenFlags.USER_PIN_FINAL_TRY:
        return PinState.FINAL_TRY
    if flags & TokenFlags.USER_PIN_COUNT_LOW:
        return PinState.COUNT_LOW
    if flags & TokenFlags.USER_PIN_TO_BE_CHANGED:
        return PinState.TO_BE_CHANGED
    if not flags & TokenFlags.USER_PIN_INITIALIZED:
        return PinState.NOT_INITIALIZED
    return PinState.OK


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenInfo:
    """One token (card) in one slot (reader), as read from the module."""

    module_path: str
    reader_name: str
    label: str
    manufacturer: str
    model: str
    serial: str
    min_pin_length: int
    max_pin_length: int
    flags: TokenFlags
    slot_id: int = field(repr=False, compare=False)

    @property
    def pin_state(self) -> PinState:
        """The user PIN state at the time the token was read."""
        return pin_state_from_flags(self.flags)

    @property
    def initialized(self) -> bool:
        """False for a blank token (no CKF_TOKEN_INITIALIZED), which selection ignores."""
        return bool(self.flags & TokenFlags.TOKEN_INITIALIZED)

    @property
    def protected_authentication_path(self) -> bool:
        """True when the PIN is entered on the reader's PIN pad."""
        return bool(self.flags & TokenFlags.PROTECTED_AUTHENTICATION_PATH)

    def describe(self) -> str:
        """One line naming the token the way a user recognises it."""
        return f"{self.label!r} serial {self.serial!r} in reader {self.reader_name!r}"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenSelector:
    """Which token to use: every given field must match exactly; none given matches all.

    ``serial_or_label`` matches a token whose serial or label equals it; when
    choosing, tokens matching it by serial win over those matching by label.
    """

    serial: str | None = None
    label: str | None = None
    reader_name: str | None = None
    serial_or_label: str | None = None

    def matches(self, token: TokenInfo) -> bool:
        """True when ``token`` agrees with every field that is set."""
        either = self.serial_or_label
        return (
            (self.serial is None or token.serial == self.serial)
            and (self.label is None or token.label == self.label)
            and (self.reader_name is None or token.reader_name == self.reader_name)
            and (either is None or either in (token.serial, token.label))
        )

    def preferred(self, matching: Sequence[TokenInfo]) -> list[TokenInfo]:
        """Of tokens that match, those a serial match makes win (all when none does)."""
        if self.serial_or_label is None:
            return list(matching)
        by_serial = [token for token in matching if token.serial == self.serial_or_label]
        return by_serial or list(matching)

    def describe(self) -> str:
        """The selector in words, for messages."""
        parts = [
            f"{name} {value!r}"
            for name, value in (
                ("serial", self.serial),
                ("label", self.label),
                ("reader", self.reader_name),
                ("serial or label", self.serial_or_label),
            )
            if value is not None
        ]
        return ", ".join(parts) or "any token"


def choose_token(tokens: Sequence[TokenInfo], selector: TokenSelector | None) -> TokenInfo:
    """The single initialised token matching ``selector``; an error naming the candidates
    otherwise. Uninitialised tokens hold no keys, so they are neither chosen nor candidates."""
    wanted = selector or TokenSelector()
    usable = [token for token in tokens if token.initialized]
    matching = wanted.preferred([token for token in usable if wanted.matches(token)])
    if len(matching) == 1:
        return matching[0]
    if not matching:
        present = "; ".join(token.describe() for token in usable) or "none"
        blank = len(tokens) - len(usable)
        ignored = f"; {blank} uninitialised token(s) ignored" if blank else ""
        raise TokenNotFoundError(
            f"no token matches {wanted.describe()} (tokens present: {present}{ignored}): insert"
            " the card or correct the selector"
        )
    candidates = [token.describe() for token in matching]
    raise AmbiguousTokenError(
        f"{len(matching)} tokens match {wanted.describe()}: {'; '.join(candidates)}. Choose one"
        " by serial, label or reader name",
        candidates=candidates,
    )
