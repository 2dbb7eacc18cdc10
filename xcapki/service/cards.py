"""The service's access to cards: finding a token, one logged-in session per card.

Every call here blocks (PKCS#11), so the service runs them off the event loop,
on the thread of the reader a request names (``xcapki.service.lanes``; readers
not seen in the last listing share one lane, ``lane_key``). ``card_guard`` (one
lock per card serial) serialises a card exactly even when two requests reach it
through different lanes (a reader, or none).

A card's ``TokenSession`` stays logged in between requests. Each request still
brings (page mode) or asks for (local mode) the PIN; it is compared with the
PIN the session logged in with through a keyed hash, and a different PIN logs
the session out and tries a real login, so the card is the judge as with
HiPKI. The session is logged out after ``session_idle_seconds``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import SignatureScheme
from xcapki.reader.errors import ReaderError
from xcapki.reader.readers import list_readers
from xcapki.service.config import ServiceConfig
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.signing import bare_scheme
from xcapki.service.translate import hipki_error_for
from xcapki.token.errors import (
    AmbiguousTokenError,
    TokenError,
    TokenNotFoundError,
    TokenRemovedError,
)
from xcapki.token.modules import Pkcs11Module, find_module
from xcapki.token.objects import KeyPurpose
from xcapki.token.pin import Pin
from xcapki.token.session import TokenSession, login
from xcapki.token.signing import TokenSigner
from xcapki.token.tokens import TokenInfo, TokenSelector, choose_token

__all__ = ["LISTING_REUSE_SECONDS", "CardAccess", "LoggedInCard", "ReaderSlot"]

LISTING_REUSE_SECONDS: Final = 0.5
"""How long a signature may reuse the last token listing instead of asking the module again.

Listing takes the module's lock, so a listing per signature would stall the card. A
card pulled since the listing fails its signature (0x76000006) and the listing is
dropped; a reader not in the listing is looked up afresh."""


@dataclass(frozen=True, slots=True)
class ReaderSlot:
    """A reader as pages list it: its name, and its card (None when the reader is empty)."""

    reader_name: str
    token: TokenInfo | None


def _pcsc_reader_names() -> tuple[str, ...]:
    """The PC/SC readers, or none when PC/SC is unavailable (a software token needs none)."""
    try:
        return tuple(reader.name for reader in list_readers())
    except ReaderError:
        return ()


@dataclass(slots=True)
class LoggedInCard:
    """A card's live session, its signing key with its PKCS1 scheme and its certificate (DER,
    base64, as answers carry it), the key's issuing CA certificate when the card holds it, and
    a keyed hash of the PIN it used: all a signature needs, read once per login."""

    session: TokenSession
    signer: TokenSigner
    bare_scheme: SignatureScheme
    certificate_base64: str
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
        self._known_readers: frozenset[str] = frozenset()
        self._listing: tuple[float, tuple[TokenInfo, ...]] | None = None
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

    def tokens(self, *, reuse_seconds: float = 0.0) -> tuple[TokenInfo, ...]:
        """Every card present: initialised tokens only, so a blank slot is no card.

        The last listing is reused when younger than ``reuse_seconds``. A module that fails
        or loses a card it listed is re-initialised by the token layer as part of the
        listing (see docs/token.md, "Recovery"); the cards' sessions reconnect.
        """
        listing = self._listing
        if listing is not None and self._clock() - listing[0] < reuse_seconds:
            return listing[1]
        tokens = tuple(token for token in self._module_tokens() if token.initialized)
        self._known_readers = frozenset(token.reader_name for token in tokens)
        self._listing = (self._clock(), tokens)
        return tokens

    def _module_tokens(self) -> tuple[TokenInfo, ...]:
        """The module's tokens, blank ones included (the module recovers by itself from a
        failed listing)."""
        module = self.module()
        try:
            return module.tokens()
        except TokenError as exc:
            raise hipki_error_for(exc) from None

    def reader_slots(self) -> tuple[ReaderSlot, ...]:
        """Every reader in the order pages number them: the module's slots (a blank token
        counts as an empty reader), then PC/SC readers the module does not name."""
        found = self._module_tokens()
        slots = [ReaderSlot(t.reader_name, t if t.initialized else None) for t in found]
        named = {slot.reader_name.rstrip(" \x00") for slot in slots}
        slots += [ReaderSlot(name, None) for name in _pcsc_reader_names() if name not in named]
        return tuple(slots)

    def reader_at(self, index: int) -> str:
        """The name of reader number ``index`` (from 0) of ``reader_slots``."""
        slots = self.reader_slots()
        if not 0 <= index < len(slots):
            raise HipkiError(
                f"there is no reader number {index}: {len(slots)} readers are attached; send"
                " the slotDescription that pkcs11info lists",
                ret_code=HipkiCode.NO_CARD,
            )
        return slots[index].reader_name

    def choose(
        self, slot_description: str | int | None, *, reuse_seconds: float = 0.0
    ) -> TokenInfo:
        """The card in the named (or numbered) reader, or the only card when none is named.

        A reused listing that lacks the reader is not trusted: the module is asked again.
        """
        if isinstance(slot_description, int):
            slot_description = self.reader_at(slot_description)
        wanted = None if slot_description is None else slot_description.rstrip(" \x00")
        selector = None if wanted is None else TokenSelector(reader_name=wanted)
        try:
            try:
                return choose_token(self.tokens(reuse_seconds=reuse_seconds), selector)
            except TokenNotFoundError:
                if not reuse_seconds:
                    raise
                return choose_token(self.tokens(), selector)
        except TokenNotFoundError:
            if wanted is not None:
                message = f"there is no card in reader {wanted!r}: insert the card or choose"
                message += " another reader"
            else:
                message = "no card is inserted: insert the card in the reader and try again"
            raise HipkiError(message, ret_code=HipkiCode.NO_CARD) from None
        except AmbiguousTokenError as exc:
            found = f"{len(exc.candidates)} cards are inserted ({'; '.join(exc.candidates)})"
            if wanted is None:
                advice = " and the page named no slotDescription: remove the other cards, or"
                advice += " have the page send the reader"
            else:
                advice = f" in reader {wanted!r}: remove all but the one to use"
            raise HipkiError(found + advice, ret_code=HipkiCode.NO_CARD) from None

    def forget_listing(self) -> None:
        """Make the next ``choose`` ask the module, after a card failed to answer."""
        self._listing = None

    def lane_key(self, slot_description: str | int | None) -> str:
        """The lane (worker thread) for requests naming ``slot_description``.

        Readers not seen in the last listing share one lane, so pages cannot grow the
        number of threads with invented reader names.
        """
        if slot_description is not None and slot_description in self._known_readers:
            return slot_description
        return ""

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
            bare_scheme=bare_scheme(signer.certificate),
            certificate_base64=base64.b64encode(
                signer.certificate.public_bytes(Encoding.DER)
            ).decode(),
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
