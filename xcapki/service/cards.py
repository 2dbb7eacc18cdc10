"""The service's access to cards: finding a token, one logged-in session per card.

Every call here blocks (PKCS#11), so the service runs them in worker threads.
Requests naming one reader queue on an ``asyncio.Lock`` (``reader_lock``)
before taking a thread, so a busy card holds one thread and other cards and
endpoints are not blocked; inside the thread, ``card_guard`` (one lock per
card serial) makes the serialisation exact even when two requests reach one
card by different names (a reader, or none).

A card's ``TokenSession`` stays logged in between requests. Each request still
brings (page mode) or asks for (local mode) the PIN; it is compared with the
PIN the session logged in with through a keyed hash, and a different PIN logs
the session out and tries a real login, so the card is the judge as with
HiPKI. The session is logged out after ``session_idle_seconds``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509

from xcapki.service.config import ServiceConfig
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.translate import hipki_error_for
from xcapki.token.errors import DeviceError, TokenError, TokenRemovedError
from xcapki.token.modules import Pkcs11Module, find_module
from xcapki.token.objects import KeyPurpose
from xcapki.token.pin import Pin
from xcapki.token.session import TokenSession, login
from xcapki.token.signing import TokenSigner
from xcapki.token.tokens import TokenFlags, TokenInfo

__all__ = ["CardAccess", "LoggedInCard"]


@dataclass(slots=True)
class LoggedInCard:
    """A card's live session, its signing key, the key's issuing CA certificate when the card
    holds it, and a keyed hash of the PIN it used."""

    session: TokenSession
    signer: TokenSigner
    issuers: tuple[x509.Certificate, ...]
    pin_digest: bytes
    last_used: float


class CardAccess:
    """Tokens of the configured module and one cached login per card."""

    def __init__(self, config: ServiceConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._config = config
        self._clock = clock
        self._module: Pkcs11Module | None = None
        self._module_lock = threading.Lock()
        self._cards: dict[str, LoggedInCard] = {}
        self._reader_locks: dict[str, asyncio.Lock] = {}
        self._known_readers: frozenset[str] = frozenset()
        self._card_guards: dict[str, threading.Lock] = {}
        self._guards_lock = threading.Lock()
        self._pin_key = secrets.token_bytes(32)

    def module(self) -> Pkcs11Module:
        """The PKCS#11 module, loaded on first use."""
        with self._module_lock:
            if self._module is None:
                try:
                    self._module = find_module(self._config.module_path)
                except TokenError as exc:
                    raise HipkiError(
                        f"no card can be reached: {exc}", ret_code=HipkiCode.NO_CARD
                    ) from None
            return self._module

    def tokens(self) -> tuple[TokenInfo, ...]:
        """Every card present now: initialised tokens only, so a blank slot is no card.

        A module whose slot listing fails outright (SoftHSM2 once a token vanished; some
        drivers after a reader was unplugged) is re-initialised once and asked again, as the
        token layer does when a session's token vanished; the cards' sessions reconnect.
        """
        module = self.module()
        try:
            tokens = module.tokens()
        except DeviceError:
            module._handle.reinitialize()
            try:
                tokens = module.tokens()
            except TokenError as exc:
                raise hipki_error_for(exc) from None
        except TokenError as exc:
            raise hipki_error_for(exc) from None
        tokens = tuple(t for t in tokens if t.flags & TokenFlags.TOKEN_INITIALIZED)
        self._known_readers = frozenset(t.reader_name for t in tokens)
        return tokens

    def choose(self, slot_description: str | None) -> TokenInfo:
        """The token in the named reader, or the only token when no reader is named."""
        tokens = self.tokens()
        if slot_description is not None:
            wanted = slot_description.rstrip(" \x00")
            for token in tokens:
                if token.reader_name == wanted:
                    return token
            raise HipkiError(
                f"there is no card in reader {wanted!r}: insert the card or choose another reader",
                ret_code=HipkiCode.NO_CARD,
            )
        if not tokens:
            raise HipkiError(
                "no card is inserted: insert the card in the reader and try again",
                ret_code=HipkiCode.NO_CARD,
            )
        if len(tokens) > 1:
            readers = ", ".join(repr(t.reader_name) for t in tokens)
            raise HipkiError(
                f"{len(tokens)} cards are inserted ({readers}) and the page named no"
                " slotDescription: remove the other cards, or have the page send the reader",
                ret_code=HipkiCode.NO_CARD,
            )
        return tokens[0]

    def reader_lock(self, slot_description: str | None) -> asyncio.Lock:
        """The queue for requests naming one reader (event-loop side only).

        Readers not seen in the last listing share one queue, so pages cannot grow the
        table with invented reader names.
        """
        known = slot_description is not None and slot_description in self._known_readers
        key = slot_description if known and slot_description is not None else ""
        lock = self._reader_locks.get(key)
        if lock is None:
            lock = self._reader_locks[key] = asyncio.Lock()
        return lock

    def card_guard(self, serial: str) -> threading.Lock:
        """The lock held while one request uses the card ``serial`` (worker-thread side)."""
        with self._guards_lock:
            guard = self._card_guards.get(serial)
            if guard is None:
                guard = self._card_guards[serial] = threading.Lock()
            return guard

    def pin_digest(self, pin: Pin) -> bytes:
        """A keyed hash of ``pin``, valid for this process only."""
        return hmac.new(self._pin_key, pin.reveal().encode(), hashlib.sha256).digest()

    def cached(self, token: TokenInfo, pin: Pin) -> LoggedInCard | None:
        """The card's live login when ``pin`` is the PIN it used; otherwise it is logged out."""
        card = self._cards.get(token.serial)
        if card is None:
            return None
        fresh = self._clock() - card.last_used < self._config.session_idle_seconds
        if fresh and hmac.compare_digest(card.pin_digest, self.pin_digest(pin)):
            card.last_used = self._clock()
            return card
        self.log_out(token.serial)
        return None

    def log_in(self, token: TokenInfo, pin: Pin, *, spend_final_try: bool) -> LoggedInCard:
        """A new login to ``token`` with every PIN check of the token layer."""
        self.log_out(token.serial)
        try:
            session = login(self.module(), token, pin=pin, spend_final_try=spend_final_try)
        except TokenError as exc:
            raise hipki_error_for(exc) from None
        try:
            signer = session.signer(KeyPurpose.SIGNING)
            issuers = tuple(
                c.certificate
                for c in session.certificates()
                if c.purpose is KeyPurpose.AUTHORITY
                and c.certificate.subject == signer.certificate.issuer
                and c.certificate.subject != c.certificate.issuer
            )
        except TokenError as exc:
            session.close()
            raise hipki_error_for(exc) from None
        card = LoggedInCard(
            session=session,
            signer=signer,
            issuers=issuers,
            pin_digest=self.pin_digest(pin),
            last_used=self._clock(),
        )
        self._cards[token.serial] = card
        return card

    def forget_if_removed(self, serial: str, error: TokenError) -> None:
        """Drop the login of a card that vanished, so its next use logs in afresh."""
        if isinstance(error, TokenRemovedError) or error.ckr in (0x30, 0x32, 0xE0):
            self.log_out(serial)

    def log_out(self, serial: str) -> None:
        """Close the card's session, if any."""
        card = self._cards.pop(serial, None)
        if card is not None:
            try:
                card.session.close()
            except TokenError:
                return

    def log_out_if_idle(self, serial: str) -> None:
        """Log out of ``serial`` if it is idle past the limit and not in use now."""
        guard = self.card_guard(serial)
        if not guard.acquire(blocking=False):
            return
        try:
            if serial in self.idle_serials():
                self.log_out(serial)
        finally:
            guard.release()

    def idle_serials(self) -> tuple[str, ...]:
        """Cards whose session has been idle past the limit."""
        limit = self._clock() - self._config.session_idle_seconds
        return tuple(s for s, card in self._cards.items() if card.last_used <= limit)

    def close(self) -> None:
        """Log out of every card."""
        for serial in tuple(self._cards):
            self.log_out(serial)
