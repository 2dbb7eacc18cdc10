"""The internal interface between a loaded module and the objects built on it.

``Pkcs11Module`` (public) owns one ``ModuleLink``; ``TokenSession`` and the
provisioning helpers use the link and nothing else of the module. The link
holds the binding's handle, the module's lock, which tokens have a logged-in
session in this process, the reading of tokens as ``TokenInfo``, and module
recovery.

Recovery: modules differ in how they report a pulled and reinserted card, and
some (SoftHSM2 once its token files were unreadable, drivers after a reader
hiccup) keep failing, or keep a token out of their slot list, until they are
finalised and initialised again. So the link re-initialises the module
(C_Finalize, C_Initialize, list again) when a listing fails, when a token that
was listed is missing from the next listing, or when a session reports that the
module lost its token or failed (device removed or in error, token not present,
general error, handles gone). A token that vanished from a slot the module still
lists, while no session reported trouble with it (a card pulled from a reader
that is still there, unused), needs no re-initialisation: the module reports
the card when it is back. Attempts are spaced out
(``RecoveryBackoff``): a
re-initialisation closes every session of the module, and the sessions of the
other cards reconnect on their next call, so the module is not re-initialised
more often than a recovery needs. A token missing for longer than
``MISSING_WATCH_SECONDS`` is taken as pulled for good and no longer watched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from xcapki.token.errors import (
    DeviceError,
    ModuleError,
    SessionError,
    TokenError,
    TokenNotFoundError,
    TokenRemovedError,
)
from xcapki.token.tokens import TokenFlags, TokenInfo

if TYPE_CHECKING:
    import threading

    from xcapki.token._pkcs11 import ModuleHandle, RawSession

__all__ = ["MISSING_WATCH_SECONDS", "ModuleLink", "RecoveryBackoff", "needs_recovery"]

MISSING_WATCH_SECONDS: Final = 120.0
"""How long a token that vanished from the slot list makes listings try to recover it."""


def needs_recovery(error: TokenError) -> bool:
    """True for errors saying the module lost the token or failed: device removed or in
    error, token not present, general error, sessions or handles gone."""
    return isinstance(error, TokenRemovedError | DeviceError)


class RecoveryBackoff:
    """When the next re-initialisation may run: at once the first time, then after a delay
    doubling from ``first`` to ``longest``; back to at once after ``quiet`` seconds
    without an attempt."""

    def __init__(
        self,
        *,
        first: float = 0.25,
        longest: float = 2.0,
        quiet: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._first = first
        self._longest = longest
        self._quiet = quiet
        self._clock = clock
        self._delay = 0.0
        self._last: float | None = None

    def ready(self) -> bool:
        """Whether an attempt may run now."""
        last = self._last
        return last is None or self._clock() - last >= min(self._delay, self._quiet)

    def attempted(self) -> None:
        """Record an attempt made now."""
        now = self._clock()
        if self._last is None or now - self._last >= self._quiet:
            self._delay = self._first
        else:
            self._delay = min(self._delay * 2, self._longest)
        self._last = now


class ModuleLink:
    """What sessions need from their module: listing, re-reading, sessions, claims.

    Every method takes the module's lock itself; a caller holding ``lock`` may call
    them (the lock is re-entrant) to make a sequence of calls atomic.
    """

    def __init__(
        self,
        handle: ModuleHandle,
        *,
        display_path: str,
        backoff: RecoveryBackoff | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._handle = handle
        self._display_path = display_path
        self._claimed: set[str] = set()
        self._backoff = backoff or RecoveryBackoff(clock=clock)
        self._clock = clock
        self._listed: dict[str, int] = {}
        self._missing: dict[str, float] = {}
        self._suspects: set[str] = set()
        self._failed = False
        self.recoveries = 0
        """Re-initialisations made to recover (for diagnostics and tests)."""

    @property
    def lock(self) -> threading.RLock:
        """Held by every call into the module."""
        return self._handle.lock

    def tokens(self) -> tuple[TokenInfo, ...]:
        """Every token present, read now, recovering the module first when it needs it."""
        with self.lock:
            if self._failed:
                self._recover()
            try:
                found = self._read_tokens()
            except (DeviceError, TokenRemovedError, ModuleError):
                if not self._recover():
                    raise
                found = self._read_tokens()
            serials = {token.serial for token in found}
            now = self._clock()
            gone = {s: slot for s, slot in self._listed.items() if s not in serials}
            if gone:
                readers = {slot.slot_id for slot in self._handle.slots(token_present=False)}
                for serial, slot_id in gone.items():
                    if slot_id not in readers or serial in self._suspects:
                        self._missing.setdefault(serial, now)
            self._missing = {
                serial: since
                for serial, since in self._missing.items()
                if serial not in serials and now - since < MISSING_WATCH_SECONDS
            }
            if self._missing and self._recover():
                found = self._read_tokens()
                serials = {token.serial for token in found}
                self._missing = {s: t for s, t in self._missing.items() if s not in serials}
            self._listed = {token.serial: token.slot_id for token in found}
            self._suspects -= serials
            return found

    def report_failure(self, error: TokenError, serial: str) -> None:
        """A session's call on the token ``serial`` failed with ``error``; the next listing
        recovers the module when the error says the module lost the token or failed, and
        keeps recovering while the token stays missing."""
        if needs_recovery(error):
            with self.lock:
                self._failed = True
                self._suspects.add(serial)

    def _recover(self) -> bool:
        """Re-initialise the module if the backoff allows it now; whether it did."""
        if not self._backoff.ready():
            return False
        self._backoff.attempted()
        self._failed = False
        self.recoveries += 1
        self._handle.reinitialize()
        return True

    def _read_tokens(self) -> tuple[TokenInfo, ...]:
        handle = self._handle
        tokens: list[TokenInfo] = []
        with handle.lock:
            for slot in handle.slots():
                try:
                    raw = handle.token_info(slot.slot_id)
                except TokenRemovedError:
                    continue
                except DeviceError:
                    # This card fails; the others are still listed, and the next listing
                    # recovers the module.
                    self._failed = True
                    continue
                tokens.append(
                    TokenInfo(
                        module_path=self._display_path,
                        reader_name=slot.description,
                        label=raw.label,
                        manufacturer=raw.manufacturer,
                        model=raw.model,
                        serial=raw.serial,
                        min_pin_length=raw.min_pin_length,
                        max_pin_length=raw.max_pin_length,
                        flags=TokenFlags(raw.flags),
                        slot_id=slot.slot_id,
                    )
                )
        return tuple(tokens)

    def reread(self, token: TokenInfo) -> TokenInfo:
        """``token`` read again now, found by serial and label even if its slot changed."""
        for candidate in self.tokens():
            if candidate.serial == token.serial and candidate.label == token.label:
                return candidate
        raise TokenNotFoundError(
            f"the token {token.describe()} is no longer present: insert the card and try again"
        )

    def open_session(self, slot_id: int, *, read_write: bool = False) -> RawSession:
        """A new, not logged-in session on the token in ``slot_id``."""
        return self._handle.open_session(slot_id, read_write=read_write)

    def mechanisms(self, slot_id: int) -> frozenset[int]:
        """The CKM codes the token in ``slot_id`` supports."""
        return self._handle.mechanisms(slot_id)

    def claim(self, token: TokenInfo) -> None:
        """Record that this process now has a logged-in session on ``token``; a second is
        refused, since closing either would log out the other."""
        with self.lock:
            if token.serial in self._claimed:
                raise SessionError(
                    f"{token.describe()} already has a logged-in session in this process: share"
                    " that TokenSession (it is thread-safe) or close it first"
                )
            self._claimed.add(token.serial)

    def release(self, serial: str) -> None:
        """The logged-in session on the token ``serial`` is gone."""
        with self.lock:
            self._claimed.discard(serial)

    def reinitialize(self) -> None:
        """C_Finalize + C_Initialize now (an explicit refresh, outside the backoff): every
        session of the module closes, tokens are re-listed."""
        with self.lock:
            self._failed = False
            self._handle.reinitialize()
