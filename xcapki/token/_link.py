"""The internal interface between a loaded module and the objects built on it.

``Pkcs11Module`` (public) owns one ``ModuleLink``; ``TokenSession`` and the
provisioning helpers use the link and nothing else of the module. The link
holds the binding's handle, the module's lock, which tokens have a logged-in
session in this process, and the reading of tokens as ``TokenInfo``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xcapki.token.errors import SessionError, TokenNotFoundError, TokenRemovedError
from xcapki.token.tokens import TokenFlags, TokenInfo

if TYPE_CHECKING:
    import threading

    from xcapki.token._pkcs11 import ModuleHandle, RawSession

__all__ = ["ModuleLink"]


class ModuleLink:
    """What sessions need from their module: listing, re-reading, sessions, claims.

    Every method takes the module's lock itself; a caller holding ``lock`` may call
    them (the lock is re-entrant) to make a sequence of calls atomic.
    """

    def __init__(self, handle: ModuleHandle, *, display_path: str) -> None:
        self._handle = handle
        self._display_path = display_path
        self._claimed: set[str] = set()

    @property
    def lock(self) -> threading.RLock:
        """Held by every call into the module."""
        return self._handle.lock

    def tokens(self) -> tuple[TokenInfo, ...]:
        """Every token present, read now."""
        handle = self._handle
        tokens: list[TokenInfo] = []
        with handle.lock:
            for slot in handle.slots():
                try:
                    raw = handle.token_info(slot.slot_id)
                except TokenRemovedError:
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
        """C_Finalize + C_Initialize: every session of the module closes, tokens are re-listed."""
        self._handle.reinitialize()
