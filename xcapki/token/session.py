"""Logging in to a token without ever costing the user a PIN try by accident.

``login`` reads the PIN state first, refuses a locked card, checks the PIN's
format against the token's length range, refuses to spend a final try unless
asked, and tries exactly once. The resulting ``TokenSession`` is one logged-in
PKCS#11 session shared by every thread; when the card or token disappears it
raises ``TokenRemovedError`` and reconnects on the next call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from xcapki.token.decrypting import TokenDecrypter
from xcapki.token.errors import (
    DeviceError,
    FinalTryRefusedError,
    PinError,
    PinIncorrectError,
    PinLockedError,
    PinUnavailableError,
    SessionError,
    TokenNotFoundError,
    TokenRemovedError,
)
from xcapki.token.modules import Pkcs11Module
from xcapki.token.objects import (
    KeyPurpose,
    TokenCertificate,
    choose_certificate,
    pair_certificates,
)
from xcapki.token.pin import (
    Pin,
    PinSource,
    PinState,
    ProtectedAuth,
    check_pin_format,
    resolve_pin,
)
from xcapki.token.signing import HostHashing, TokenSigner
from xcapki.token.tokens import TokenInfo, TokenSelector, choose_token

if TYPE_CHECKING:
    from xcapki.token._pkcs11 import PreparedMechanism, PrivateKeyObject, RawSession

__all__ = ["TokenSession", "login", "read_pin_state"]

log = logging.getLogger("xcapki.token")
_T = TypeVar("_T")

_AFTER_WRONG_PIN = {
    PinState.COUNT_LOW: "the card reports that tries are running low; check the PIN before"
    " trying again (the card locks after 3 wrong PINs)",
    PinState.FINAL_TRY: "only ONE try is left before the card locks; make sure of the PIN and"
    " pass spend_final_try=True to use it",
    PinState.LOCKED: "the card is now locked; only the issuing CA can unlock it",
}


def read_pin_state(module: Pkcs11Module, token: TokenInfo) -> PinState:
    """The token's user PIN state, read now."""
    return module.link.reread(token).pin_state


def _wrong_pin(
    module: Pkcs11Module, token: TokenInfo, rejected: PinIncorrectError, which: str
) -> PinIncorrectError:
    """The error for a PIN the card refused, with the PIN state it reports now and what to do."""
    after = read_pin_state(module, token)
    advice = _AFTER_WRONG_PIN.get(after, "check the PIN before trying again")
    log.warning("wrong PIN for %s: PIN state now %s", token.describe(), after.value)
    return PinIncorrectError(
        f"the card rejected the {which}: {advice}", ckr=rejected.ckr, pin_state=after
    )


def _check_before_try(token: TokenInfo, *, spend_final_try: bool) -> None:
    state = token.pin_state
    if state is PinState.LOCKED:
        raise PinLockedError(
            f"the PIN of {token.describe()} is locked: only the issuing CA can unlock the card"
        )
    if state is PinState.FINAL_TRY and not spend_final_try:
        raise FinalTryRefusedError(
            f"{token.describe()} has one PIN try left; a wrong PIN now locks it. Make sure of"
            " the PIN, then log in with spend_final_try=True"
        )


def login(
    module: Pkcs11Module,
    token: TokenInfo | TokenSelector | None = None,
    *,
    pin: PinSource | str,
    spend_final_try: bool = False,
) -> TokenSession:
    """Log in to ``token`` once, with every PIN safety check; the session is thread-safe."""
    chosen = token if isinstance(token, TokenInfo) else choose_token(module.tokens(), token)
    link = module.link
    fresh = link.reread(chosen)
    log.info("login to %s: PIN state %s", fresh.describe(), fresh.pin_state.value)
    _check_before_try(fresh, spend_final_try=spend_final_try)
    secret: Pin | ProtectedAuth
    if isinstance(pin, ProtectedAuth):
        if not fresh.protected_authentication_path:
            raise PinUnavailableError(
                f"{fresh.describe()} has no PIN pad: log in with a PIN instead of PROTECTED_AUTH"
            )
        secret = pin
    else:
        secret = resolve_pin(pin)
        check_pin_format(secret, min_length=fresh.min_pin_length, max_length=fresh.max_pin_length)
    session = TokenSession(module, fresh, secret)
    try:
        with link.lock:
            # Claimed under the lock before the login: two threads logging in at once would
            # otherwise both spend a PIN try, and closing either would log out the other.
            link.claim(fresh)
            try:
                session._connect(fresh)
            except BaseException:
                link.release(fresh.serial)
                raise
    except PinIncorrectError as exc:
        session._forget()
        raise _wrong_pin(module, fresh, exc, "PIN") from None
    except BaseException:
        session._forget()
        raise
    return session


class TokenSession:
    """One logged-in session on one token, shared by all threads of the process.

    Calls are serialised on the module's lock. The PIN accepted at login is
    kept (hidden) only to log in again after a reconnect, and only while the
    card reports no failed tries.
    """

    def __init__(self, module: Pkcs11Module, token: TokenInfo, secret: Pin | ProtectedAuth) -> None:
        self._module = module
        self._link = module.link
        self._lock = module.link.lock
        self.token = token
        self._secret: Pin | ProtectedAuth | None = secret
        self._raw: RawSession | None = None
        self._keys: dict[bytes, PrivateKeyObject] = {}
        self._mechanism_set: frozenset[int] = frozenset()
        self._host_hash = "chunghwa" in token.manufacturer.lower() or "hicos" in (
            module.path.lower()
        )
        self._closed = False

    def __repr__(self) -> str:
        return f"TokenSession({self.token.describe()})"

    def __enter__(self) -> TokenSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Log out, close the session and forget the PIN."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._link.release(self.token.serial)
            self._forget()

    def pin_state(self) -> PinState:
        """The token's PIN state, read now."""
        return read_pin_state(self._module, self.token)

    def certificates(self) -> tuple[TokenCertificate, ...]:
        """Every certificate on the token, paired with its key by CKA_ID and classified."""
        from xcapki.token._pkcs11 import ObjectClass

        with self._lock:
            certificates, keys = self._call(
                lambda raw: (raw.certificates(), raw.keys(ObjectClass.PRIVATE_KEY))
            )
        return pair_certificates(certificates, keys, token_serial=self.token.serial)

    def data_objects(self) -> tuple[tuple[str, bytes], ...]:
        """(label, value) of every data object the logged-in session sees, such as the
        attribute certificate a 工商憑證 secondary card carries."""
        with self._lock:
            found = self._call(lambda raw: raw.data_objects())
        return tuple((item.label, item.value) for item in found)

    def signer(
        self,
        purpose: KeyPurpose | None = KeyPurpose.SIGNING,
        *,
        label: str | None = None,
        key_id: bytes | None = None,
        host_hashing: HostHashing = HostHashing.AUTO,
    ) -> TokenSigner:
        """A ``Signer`` for the one key matching purpose, label and id."""
        chosen = choose_certificate(
            self.certificates(), purpose=purpose, label=label, key_id=key_id
        )
        return TokenSigner(self, chosen, host_hashing=host_hashing)

    def decrypter(
        self,
        purpose: KeyPurpose | None = KeyPurpose.ENCRYPTION,
        *,
        label: str | None = None,
        key_id: bytes | None = None,
    ) -> TokenDecrypter:
        """A ``Decrypter`` for the one key matching purpose, label and id (the KEYX key)."""
        chosen = choose_certificate(
            self.certificates(), purpose=purpose, label=label, key_id=key_id
        )
        return TokenDecrypter(self, chosen)

    def change_pin(
        self, old: PinSource | str, new: PinSource | str, *, spend_final_try: bool = False
    ) -> None:
        """Change the user PIN; the old PIN is checked with the same care as at login."""
        fresh = self._link.reread(self.token)
        _check_before_try(fresh, spend_final_try=spend_final_try)
        pad = isinstance(old, ProtectedAuth) or isinstance(new, ProtectedAuth)
        if pad and not fresh.protected_authentication_path:
            raise PinUnavailableError("this card has no PIN pad: give the old and new PIN")
        old_pin = None if pad else resolve_pin(old)
        new_pin = None if pad else resolve_pin(new)
        for value in (old_pin, new_pin):
            if value is not None:
                check_pin_format(
                    value, min_length=fresh.min_pin_length, max_length=fresh.max_pin_length
                )
        with self._lock:
            self._ensure()
            writer = self._link.open_session(self.token.slot_id, read_write=True)
            try:
                writer.set_pin(
                    None if old_pin is None else old_pin.reveal().encode(),
                    None if new_pin is None else new_pin.reveal().encode(),
                )
            except PinIncorrectError as exc:
                raise _wrong_pin(self._module, fresh, exc, "current PIN") from None
            finally:
                writer.close(logout=False)
            if self._secret is not None and not pad:
                self._secret = new_pin
        log.info("PIN changed on %s", self.token.describe())

    def _call(self, operation: Callable[[RawSession], _T]) -> _T:
        """Run ``operation`` on the live session; a vanished token drops it for reconnecting."""
        raw = self._ensure()
        try:
            return operation(raw)
        except (TokenRemovedError, DeviceError) as exc:
            self._lost(exc)
            raise

    # Internal protocol used by TokenSigner; all run under the module lock.

    def _mechanisms(self) -> frozenset[int]:
        with self._lock:
            self._ensure()
            return self._mechanism_set

    def _prefers_host_hashing(self) -> bool:
        return self._host_hash

    def _sign(self, key_id: bytes, mechanism: PreparedMechanism, payload: bytes) -> bytes:
        """The hot path: one lock, two identity checks, one signature through the binding."""
        with self._lock:
            raw = self._raw
            if raw is None or raw.stale:
                raw = self._ensure()
            key = self._keys.get(key_id)
            if key is None:
                key = self._find_key(raw, key_id)
            try:
                return raw.sign(key, mechanism, payload)
            except (TokenRemovedError, DeviceError) as exc:
                self._lost(exc)
                raise

    def _decrypt(
        self, key_id: bytes, ckm: int, oaep: tuple[int, int, bytes] | None, data: bytes
    ) -> bytes:
        with self._lock:
            plain = self._call(lambda raw: raw.decrypt(key_id, ckm, oaep, data))
        if plain is None:
            raise TokenRemovedError(
                f"the key {key_id.hex()} is no longer on {self.token.describe()}: insert the card"
                " it was on"
            )
        return plain

    def _find_key(self, raw: RawSession, key_id: bytes) -> PrivateKeyObject:
        try:
            key = raw.private_key(key_id)
        except (TokenRemovedError, DeviceError) as exc:
            self._lost(exc)
            raise
        if key is not None:
            self._keys[key_id] = key
            return key
        raise TokenRemovedError(
            f"the key {key_id.hex()} is no longer on {self.token.describe()}: insert the card"
            " it was on"
        )

    def _ensure(self) -> RawSession:
        """The live session, reconnecting (and re-logging in) if the token went away."""
        if self._closed:
            raise SessionError("this token session was closed: log in again")
        raw = self._raw
        if raw is not None and not raw.stale:
            return raw
        self._drop()
        try:
            fresh = self._link.reread(self.token)  # recovers the module when it needs it
        except TokenNotFoundError:
            raise TokenRemovedError(
                f"{self.token.describe()} is not present: insert the card; the next call reconnects"
            ) from None
        if self._secret is None:
            raise SessionError("the session lost its login: log in again")
        if fresh.pin_state not in (PinState.OK, PinState.TO_BE_CHANGED):
            self._secret = None
            raise PinError(
                f"{fresh.describe()} reports PIN state {fresh.pin_state.value} after"
                " reconnecting; xcapki does not re-use a PIN then: log in again explicitly"
            )
        try:
            self._connect(fresh)
        except (TokenRemovedError, DeviceError) as exc:
            self._link.report_failure(exc, self.token.serial)
            raise
        except PinError:
            # The card refused the kept PIN (changed elsewhere, say): never offer it again,
            # since a card that does not flag a low count would lose a try on every call.
            self._secret = None
            raise
        assert self._raw is not None
        return self._raw

    def _connect(self, token: TokenInfo) -> None:
        raw = self._link.open_session(token.slot_id)
        try:
            secret = self._secret
            raw.login(
                None
                if isinstance(secret, ProtectedAuth) or secret is None
                else secret.reveal().encode()
            )
            self._mechanism_set = self._link.mechanisms(token.slot_id)
        except BaseException:
            raw.close()
            raise
        self.token = token
        self._raw = raw
        self._keys.clear()

    def _lost(self, error: TokenRemovedError | DeviceError) -> None:
        """The module lost the token or failed: drop the session, have the module recover."""
        self._drop()
        self._link.report_failure(error, self.token.serial)

    def _drop(self) -> None:
        raw, self._raw = self._raw, None
        self._keys.clear()
        if raw is not None:
            raw.close()

    def _forget(self) -> None:
        self._secret = None
        self._drop()
