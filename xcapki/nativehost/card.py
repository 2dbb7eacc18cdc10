"""The card as the native host uses it: one token, its signing certificate, a PIN-safe login.

The PIN is asked in the host's own dialog (pinentry) naming the site, the
card, the operation and what the card says about its tries; the page never
sees it. A malformed PIN is refused before it reaches the card and the
dialog asks again; a wrong one is reported in the dialog, which asks again
while the card allows; the final try is only spent after the user confirms
it in a dialog of its own. A PIN-pad reader takes the PIN on its keypad.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from xcapki.nativehost.errors import NoCardError, PinentryError
from xcapki.nativehost.pinentry import PinDialog, Pinentry
from xcapki.token import (
    PROTECTED_AUTH,
    KeyPurpose,
    Pin,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    PinState,
    Pkcs11Module,
    TokenCertificate,
    TokenInfo,
    TokenNotFoundError,
    TokenSession,
    find_module,
    login,
    read_pin_state,
)
from xcapki.token.objects import choose_certificate

__all__ = ["CardDesk", "Operation"]

log = logging.getLogger("xcapki.nativehost")

_TRIES: Final = {
    PinState.OK: "The card reports no failed tries.",
    PinState.COUNT_LOW: "The card reports failed tries: tries are running low.",
    PinState.FINAL_TRY: "ONE try is left: a wrong PIN now locks the card.",
    PinState.TO_BE_CHANGED: "The card asks for its PIN to be changed.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """What the site asks the card to do, as the dialog names it."""

    origin: str
    action: str


@dataclass(slots=True)
class CardDesk:
    """The one card the host works with during one browser connection."""

    module_path: Path | None
    pinentry: Pinentry | None
    _module: Pkcs11Module | None = field(default=None, init=False)
    _session: TokenSession | None = field(default=None, init=False)

    def module(self) -> Pkcs11Module:
        if self._module is None:
            self._module = find_module(self.module_path)
        return self._module

    def token(self) -> TokenInfo:
        """The one initialised token; ``NoCardError`` when there is none."""
        try:
            return self.module().select_token(None)
        except TokenNotFoundError as exc:
            raise NoCardError(
                f"no card is present ({exc}): insert the card into the reader and try again"
            ) from None

    def signing_certificate(self) -> TokenCertificate:
        """The card's signing certificate, read without a PIN."""
        return choose_certificate(
            self.module().public_certificates(self.token()), purpose=KeyPurpose.SIGNING
        )

    def authority_certificates(self) -> tuple[TokenCertificate, ...]:
        """The CA certificates the card carries (for the chain in a PKCS#7)."""
        listing = self.module().public_certificates(self.token())
        return tuple(c for c in listing if c.purpose is KeyPurpose.AUTHORITY)

    def session(self, operation: Operation, *, page_pin: Pin | None = None) -> TokenSession:
        """A logged-in session: the card's PIN pad, else ``page_pin`` (a SmartPKI page's, in
        the compatible mode), else the dialog. ``page_pin`` is tried once, never repeated."""
        if self._session is not None:
            return self._session
        token = self.token()
        if token.protected_authentication_path:
            self._session = login(self.module(), token, pin=PROTECTED_AUTH)
        elif page_pin is not None:
            self._session = login(self.module(), token, pin=page_pin)
        elif self.pinentry is not None:
            self._session = self._ask(token, operation)
        else:
            raise PinentryError(
                "no PIN dialog program is available and the page sent no PIN: install pinentry"
                " (Debian: pinentry-gnome3; macOS: pinentry-mac)"
            )
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _ask(self, token: TokenInfo, operation: Operation) -> TokenSession:
        assert self.pinentry is not None
        module = self.module()
        problem: str | None = None
        while True:
            state = read_pin_state(module, token)
            if state is PinState.LOCKED:
                raise PinLockedError(
                    f"the PIN of {token.describe()} is locked: only the issuing CA can unlock it"
                )
            final = state is PinState.FINAL_TRY
            if final:
                self.pinentry.confirm(
                    PinDialog(
                        title="xcapki: last PIN try",
                        description=(
                            f"{operation.origin} asks to {operation.action} with the card"
                            f" {token.label} ({token.serial}). Only ONE PIN try is left: a wrong"
                            " PIN locks the card, and only its CA can unlock it. Use the last"
                            " try?"
                        ),
                        ok="Use the last try",
                        cancel="Cancel",
                    )
                )
            pin = self.pinentry.get_pin(_pin_dialog(token, operation, state, problem))
            try:
                return login(module, token, pin=pin, spend_final_try=final)
            except PinFormatError as exc:
                problem = f"That PIN cannot be right: {exc}"
            except PinIncorrectError:
                log.warning("wrong PIN for %s", token.describe())
                problem = "The card refused the PIN."


def _pin_dialog(
    token: TokenInfo, operation: Operation, state: PinState, problem: str | None
) -> PinDialog:
    lengths = f"{token.min_pin_length} to {token.max_pin_length} characters"
    return PinDialog(
        title="xcapki: card PIN",
        description=(
            f"{operation.origin} asks to {operation.action}.\n"
            f"Card: {token.label} (serial {token.serial}) in {token.reader_name}.\n"
            f"{_TRIES.get(state, '')} The PIN has {lengths}."
        ),
        prompt="PIN:",
        error=problem,
    )
