"""Token-layer errors as HiPKI codes.

``last_error`` carries the CKR value pages know (0xA0 wrong PIN, 0xA2 PIN
length, 0xA4 locked) even when xcapki refused before the card was asked and
the token error therefore has no ``.ckr``.
"""

from __future__ import annotations

from xcapki.service.errors import (
    CKR_PIN_INCORRECT,
    CKR_PIN_LEN_RANGE,
    CKR_PIN_LOCKED,
    HipkiCode,
    HipkiError,
)
from xcapki.token.errors import (
    FinalTryRefusedError,
    ModuleError,
    PinError,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    TokenError,
    TokenNotFoundError,
    TokenRemovedError,
)

__all__ = ["FINAL_TRY_MESSAGE", "hipki_error_for"]

FINAL_TRY_MESSAGE = (
    "the card has one PIN try left and a wrong PIN would lock it for good, so xcapki does not"
    " let a page spend it: make sure of the PIN, then sign with the service in local PIN mode"
    " (xcapki serve --pin-mode local), which asks you directly and warns before the last try"
)


def hipki_error_for(error: TokenError) -> HipkiError:
    """The HiPKI refusal for a token-layer error."""
    message = str(error)
    if isinstance(error, FinalTryRefusedError):
        return HipkiError(
            FINAL_TRY_MESSAGE, ret_code=HipkiCode.LOGIN_FAILED, last_error=CKR_PIN_INCORRECT
        )
    if isinstance(error, PinIncorrectError):
        return _login_failed(message, error.ckr or CKR_PIN_INCORRECT)
    if isinstance(error, PinLockedError):
        return _login_failed(message, CKR_PIN_LOCKED)
    if isinstance(error, PinFormatError):
        return _login_failed(message, CKR_PIN_LEN_RANGE)
    if isinstance(error, PinError):
        return _login_failed(message, error.ckr or 0)
    if isinstance(error, TokenRemovedError | TokenNotFoundError | ModuleError):
        return HipkiError(message, ret_code=HipkiCode.NO_CARD, last_error=error.ckr or 0)
    return HipkiError(message, ret_code=HipkiCode.CARD_ERROR, last_error=error.ckr or 0)


def _login_failed(message: str, ckr: int) -> HipkiError:
    return HipkiError(message, ret_code=HipkiCode.LOGIN_FAILED, last_error=ckr)
