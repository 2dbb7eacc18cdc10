"""What each HiPKI request does, independent of HTTP.

Requests arrive on the event loop; a signature runs on its reader's own thread
(``ReaderLanes``), in order behind that reader's earlier requests. A
signing request is checked in this order, cheapest and card-free first: the
package's fields, the page's origin against the trust list, the origin's PIN
failure budget, the card; then the PIN (from the page, or asked locally),
the certificate's validity, and the signature.
"""

from __future__ import annotations

import base64
from typing import Any

from anyio import to_thread

from xcapki.crypto.errors import CryptoError
from xcapki.service.cards import LISTING_REUSE_SECONDS, CardAccess, LoggedInCard
from xcapki.service.config import PinMode, PinRequest, ServiceConfig
from xcapki.service.decrypting import decrypt_cipher, plain_field
from xcapki.service.errors import (
    CKR_FUNCTION_CANCELED,
    CKR_PIN_INCORRECT,
    CKR_PIN_LEN_RANGE,
    HipkiCode,
    HipkiError,
)
from xcapki.service.lanes import ReaderLanes
from xcapki.service.pkcs11info import empty_slot_entry, slot_entry
from xcapki.service.protocol import (
    DecryptRequest,
    SignatureType,
    SignRequest,
    answer,
    parse_decrypt_request,
    parse_sign_request,
)
from xcapki.service.ratelimit import PinFailureLimiter
from xcapki.service.signing import check_validity, make_signature
from xcapki.service.translate import hipki_error_for
from xcapki.service.trust import TrustList
from xcapki.token.errors import TokenError
from xcapki.token.objects import KeyPurpose
from xcapki.token.pin import Pin, PinState
from xcapki.token.tokens import TokenInfo

__all__ = ["HipkiOperations"]


def _operation_shown(request: SignRequest) -> str:
    """What the user is told is signed; a RAW digest's meaning is known only to the page."""
    algorithm = request.hash_algorithm.value
    if request.signature_type is SignatureType.RAW:
        return f"RAW signature of a hash supplied by the page ({algorithm}, {request.tbs.hex()})"
    return f"{request.signature_type.value} signature ({algorithm}) of {len(request.tbs)} bytes"


class HipkiOperations:
    """The service's behaviour: pkcs11info and its image probe, sign, decrypt; answers are
    HiPKI JSON (addDomain is ``SiteApprovals``)."""

    def __init__(
        self,
        config: ServiceConfig,
        *,
        version: str,
        trust: TrustList,
        cards: CardAccess,
        limiter: PinFailureLimiter,
    ) -> None:
        self._config = config
        self.version = version
        self._trust = trust
        self._cards = cards
        self._limiter = limiter
        self._lanes = ReaderLanes()

    def trusts(self, origin: str | None) -> bool:
        """Whether the user trusted the page of ``origin`` to use the card."""
        return self._trust.is_trusted(origin)

    def _require_trusted(self, origin: str | None) -> tuple[str, str]:
        """``origin`` and the trust entry admitting it: the key of its PIN failure budget, so
        one trusted site shares a budget whatever port or spelling its Origin header uses."""
        entry = None if origin is None else self._trust.entry_for(origin)
        if origin is None or entry is None:
            raise HipkiError(
                f"the site {origin or '(unknown origin)'} is not trusted to use the card: open"
                " /addDomain?domain=<its host> and approve it",
                ret_code=HipkiCode.SITE_NOT_TRUSTED,
            )
        return origin, entry

    def _require_pin_budget(self, budget: str, origin: str) -> None:
        wait = self._limiter.retry_after(budget)
        if wait is not None:
            raise HipkiError(
                f"too many wrong PINs from {origin}: wait {int(wait) + 1} seconds, and check the"
                " PIN before trying again (the card locks after 3 wrong PINs)",
                ret_code=HipkiCode.TOO_MANY_PIN_ATTEMPTS,
                http_status=429,
            )

    async def pkcs11info(self, *, with_certs: bool, origin: str | None) -> dict[str, Any]:
        """Readers with cards, and with ``with_certs`` their certificates.

        The certificates name the holder, so only trusted origins get them; the card's
        serial number and label identify the user across sites, so other origins get
        them blank (and still see whether a card is present).
        """
        if with_certs:
            self._require_trusted(origin)
        identified = self._trust.is_trusted(origin)
        slots = await to_thread.run_sync(self._slots, with_certs, identified)
        return answer("pkcs11info", self.version, slots=slots)

    def _slots(self, with_certs: bool, identified: bool) -> list[dict[str, object]]:
        """Every reader, numbered as a page may name it; certificates are read without login
        (no PIN, no try) from each card."""
        module = self._cards.module()
        slots = []
        for reader in self._cards.reader_slots():
            token = reader.token
            if token is None:
                slots.append(empty_slot_entry(reader.reader_name))
                continue
            certificates = None
            if with_certs:
                try:
                    certificates = module.public_certificates(token)
                except TokenError:
                    slots.append(empty_slot_entry(reader.reader_name))
                    continue
            slots.append(slot_entry(token, certificates, identified=identified))
        return slots

    async def sign(self, package: dict[str, Any], origin: str | None) -> dict[str, Any]:
        """``MakeSignature``: a PKCS7 or PKCS1 signature of ``tbs`` on the chosen card."""
        request = parse_sign_request(package)
        origin, budget = self._require_trusted(origin)
        self._require_pin_budget(budget, origin)
        lane = self._cards.lane_key(request.slot_description)
        return await self._lanes.run(lane, lambda: self._sign_on_card(request, origin, budget))

    async def decrypt(self, package: dict[str, Any], origin: str | None) -> dict[str, Any]:
        """``DecryptData``: a PKCS7 envelope or a PKCS1 block, decrypted with the card's KEYX
        key. The origin is checked first, so an untrusted page learns nothing of its package."""
        origin, budget = self._require_trusted(origin)
        request = parse_decrypt_request(package)
        self._require_pin_budget(budget, origin)
        lane = self._cards.lane_key(request.slot_description)
        return await self._lanes.run(lane, lambda: self._decrypt_on_card(request, origin, budget))

    def _decrypt_on_card(self, request: DecryptRequest, origin: str, budget: str) -> dict[str, Any]:
        reuse = LISTING_REUSE_SECONDS if self._config.pin_mode is PinMode.PAGE else 0.0
        token = self._cards.choose(request.slot_description, reuse_seconds=reuse)
        try:
            with self._cards.card_guard(token.serial):
                self._require_pin_budget(budget, origin)
                operation = (
                    f"decryption of a {len(request.cipher)}-byte {request.cipher_type.value}"
                    " cipher with the card's encryption key"
                )
                pin = self._pin(token, request.pin, origin, operation=operation, again="decrypt")
                card = self._cards.cached(token, pin) or self._log_in(token, pin, budget)
                try:
                    decrypter = card.session.decrypter(KeyPurpose.ENCRYPTION)
                    plain = decrypt_cipher(decrypter, request)
                except TokenError as exc:
                    self._cards.forget_if_removed(token.serial, exc)
                    raise hipki_error_for(exc) from None
        except HipkiError as refusal:
            if refusal.ret_code in (HipkiCode.NO_CARD, HipkiCode.CARD_ERROR):
                self._cards.forget_listing()
            raise
        return answer(
            "decrypt", self.version, plain=plain_field(plain, as_base64=request.plain_base64)
        )

    def _sign_on_card(self, request: SignRequest, origin: str, budget: str) -> dict[str, Any]:
        # Page mode may reuse a recent listing; local mode shows the user the PIN state now.
        reuse = LISTING_REUSE_SECONDS if self._config.pin_mode is PinMode.PAGE else 0.0
        token = self._cards.choose(request.slot_description, reuse_seconds=reuse)
        try:
            with self._cards.card_guard(token.serial):
                # Checked again on the card's turn: requests queued together all passed the
                # check before any reached the card, and must not spend PINs past the budget.
                self._require_pin_budget(budget, origin)
                operation = _operation_shown(request)
                pin = self._pin(token, request.pin, origin, operation=operation, again="sign")
                card = self._cards.cached(token, pin) or self._log_in(token, pin, budget)
                check_validity(card.signer.certificate)
                try:
                    signature = make_signature(
                        card.signer,
                        request,
                        card_serial=token.serial,
                        scheme=card.bare_scheme,
                        issuers=card.issuers,
                    )
                except TokenError as exc:
                    self._cards.forget_if_removed(token.serial, exc)
                    raise hipki_error_for(exc) from None
                except CryptoError as exc:
                    raise HipkiError(str(exc), ret_code=HipkiCode.BAD_REQUEST) from None
        except HipkiError as refusal:
            if refusal.ret_code in (HipkiCode.NO_CARD, HipkiCode.CARD_ERROR):
                self._cards.forget_listing()
            raise
        return answer(
            "sign",
            self.version,
            signature=base64.b64encode(signature).decode(),
            certb64=card.certificate_base64,
            cardSN=token.serial,
        )

    def _pin(
        self, token: TokenInfo, page_pin: Pin | None, origin: str, *, operation: str, again: str
    ) -> Pin:
        """The page's PIN in page mode; in local mode the user's, asked with ``operation``
        shown (``again`` names what to redo after a cancelled entry)."""
        if self._config.pin_mode is PinMode.PAGE:
            return page_pin or Pin("")
        asked = PinRequest(
            origin=origin, token=token.describe(), pin_state=token.pin_state, operation=operation
        )
        value = self._config.pin_prompter(asked)
        if value is None:
            raise HipkiError(
                f"the PIN entry was cancelled: {again} again and enter the PIN when asked",
                ret_code=HipkiCode.LOGIN_FAILED,
                last_error=CKR_FUNCTION_CANCELED,
            )
        return Pin(value)

    def _log_in(self, token: TokenInfo, pin: Pin, budget: str) -> LoggedInCard:
        # In local mode the user was told before typing that this is the final try.
        final_try_agreed = (
            self._config.pin_mode is PinMode.LOCAL and token.pin_state is PinState.FINAL_TRY
        )
        try:
            return self._cards.log_in(token, pin, spend_final_try=final_try_agreed)
        except HipkiError as exc:
            wrong = exc.last_error in (CKR_PIN_INCORRECT, CKR_PIN_LEN_RANGE)
            if exc.ret_code is HipkiCode.LOGIN_FAILED and wrong:
                self._limiter.record_failure(budget)
            raise

    async def probe(self, origin: str | None) -> dict[str, Any]:
        """``/p11Image.bmp``'s text: pkcs11info without certificates plus ``serverVersion``;
        an untrusted origin is told so (0x76000031) and gets no card serials."""
        trusted = self._trust.is_trusted(origin)
        try:
            slots = await to_thread.run_sync(self._slots, False, trusted)
        except HipkiError as refusal:
            return answer(
                "pkcs11info",
                self.version,
                ret_code=refusal.ret_code,
                last_error=refusal.last_error,
                message=str(refusal),
                slots=[],
                serverVersion=self.version,
            )
        if trusted:
            return answer("pkcs11info", self.version, slots=slots, serverVersion=self.version)
        return answer(
            "pkcs11info",
            self.version,
            ret_code=HipkiCode.SITE_NOT_TRUSTED,
            message=f"the site {origin or '(unknown origin)'} is not trusted to use the card:"
            " open /addDomain?domain=<its host> and approve it",
            slots=slots,
            serverVersion=self.version,
        )

    async def close_idle_sessions(self) -> None:
        """Log out of cards idle past the limit (skipping cards in use)."""
        for serial in self._cards.idle_serials():
            await to_thread.run_sync(self._cards.log_out_if_idle, serial)

    async def close(self) -> None:
        """Finish the signatures under way, then log out of every card."""
        await to_thread.run_sync(self._lanes.close)
        await to_thread.run_sync(self._cards.close)
