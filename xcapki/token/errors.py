"""The token layer's errors: every PKCS#11 return code becomes a typed exception.

``TokenError.ckr`` keeps the module's ``CKR_*`` code (``None`` when xcapki
itself refused, before the card was asked). Messages name the problem and the
remedy and never contain a PIN::

    TokenError
    ├── ModuleError             module will not load or initialise
    ├── TokenNotFoundError      no token matches the selector
    ├── AmbiguousTokenError     several tokens match; ``.candidates``
    ├── TokenRemovedError       card pulled / token gone; the next call reconnects
    ├── DeviceError             the token or module failed internally
    ├── MechanismError          key or mechanism cannot do what was asked
    ├── DataError               input the token refuses (length, encoding)
    ├── ObjectError             attribute or template problems
    │   ├── ObjectNotFoundError
    │   └── AmbiguousObjectError
    ├── SessionError            session or login state conflicts
    ├── OperationCancelledError user or module cancelled (e.g. PIN pad)
    ├── NotSupportedError       module lacks the function
    └── PinError
        ├── PinIncorrectError   wrong PIN; ``.pin_state`` after the try
        ├── PinLockedError
        ├── PinFormatError      refused before the card (costs no try)
        ├── PinExpiredError
        ├── PinNotInitializedError
        ├── FinalTryRefusedError
        └── PinUnavailableError no PIN could be obtained from the source
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from xcapki.errors import XcapkiError

if TYPE_CHECKING:
    from xcapki.token.pin import PinState

__all__ = [
    "CKR_NAMES",
    "AmbiguousObjectError",
    "AmbiguousTokenError",
    "DataError",
    "DeviceError",
    "FinalTryRefusedError",
    "MechanismError",
    "ModuleError",
    "NotSupportedError",
    "ObjectError",
    "ObjectNotFoundError",
    "OperationCancelledError",
    "PinError",
    "PinExpiredError",
    "PinFormatError",
    "PinIncorrectError",
    "PinLockedError",
    "PinNotInitializedError",
    "PinUnavailableError",
    "SessionError",
    "TokenError",
    "TokenNotFoundError",
    "TokenRemovedError",
    "error_for_ckr",
]


class TokenError(XcapkiError):
    """A PKCS#11 token or module failed; ``ckr`` is the module's return code, if any."""

    def __init__(self, message: str, *, ckr: int | None = None) -> None:
        super().__init__(message)
        self.ckr = ckr


class ModuleError(TokenError):
    """A PKCS#11 module cannot be loaded or initialised."""


class TokenNotFoundError(TokenError):
    """No token matches the selector."""


class AmbiguousTokenError(TokenError):
    """More than one token matches; ``candidates`` describes each of them."""

    def __init__(self, message: str, *, candidates: Sequence[str]) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


class TokenRemovedError(TokenError):
    """The card was removed or the token vanished; the next call reconnects."""


class DeviceError(TokenError):
    """The token or its module failed internally."""


class MechanismError(TokenError):
    """The key or the mechanism cannot perform the requested operation."""


class DataError(TokenError):
    """The token refused the input data."""


class ObjectError(TokenError):
    """An object on the token is missing an attribute or refuses a template."""


class ObjectNotFoundError(ObjectError):
    """No certificate or key matches the selection."""


class AmbiguousObjectError(ObjectError):
    """Several certificates or keys match the selection."""


class SessionError(TokenError):
    """The session or login state does not allow the operation."""


class OperationCancelledError(TokenError):
    """The operation was cancelled (for example on a PIN pad)."""


class NotSupportedError(TokenError):
    """The module does not implement the requested function."""


class PinError(TokenError):
    """A PIN problem; see the subclasses."""


class PinIncorrectError(PinError):
    """The card rejected the PIN; ``pin_state`` is what it reports afterwards."""

    def __init__(
        self, message: str, *, ckr: int | None = None, pin_state: PinState | None = None
    ) -> None:
        super().__init__(message, ckr=ckr)
        self.pin_state = pin_state


class PinLockedError(PinError):
    """The PIN is locked; only the issuing CA can unlock the card."""


class PinFormatError(PinError):
    """The PIN does not fit the token's rules; refused before any try was spent."""


class PinExpiredError(PinError):
    """The PIN must be changed before the card can be used."""


class PinNotInitializedError(PinError):
    """The token has no user PIN yet."""


class FinalTryRefusedError(PinError):
    """One try is left and the caller did not ask to spend it."""


class PinUnavailableError(PinError):
    """No PIN could be obtained (variable unset, no terminal, no PIN pad)."""


CKR_NAMES: dict[int, str] = {
    0x000: "CKR_OK",
    0x001: "CKR_CANCEL",
    0x002: "CKR_HOST_MEMORY",
    0x003: "CKR_SLOT_ID_INVALID",
    0x005: "CKR_GENERAL_ERROR",
    0x006: "CKR_FUNCTION_FAILED",
    0x007: "CKR_ARGUMENTS_BAD",
    0x008: "CKR_NO_EVENT",
    0x009: "CKR_NEED_TO_CREATE_THREADS",
    0x00A: "CKR_CANT_LOCK",
    0x010: "CKR_ATTRIBUTE_READ_ONLY",
    0x011: "CKR_ATTRIBUTE_SENSITIVE",
    0x012: "CKR_ATTRIBUTE_TYPE_INVALID",
    0x013: "CKR_ATTRIBUTE_VALUE_INVALID",
    0x01B: "CKR_ACTION_PROHIBITED",
    0x020: "CKR_DATA_INVALID",
    0x021: "CKR_DATA_LEN_RANGE",
    0x030: "CKR_DEVICE_ERROR",
    0x031: "CKR_DEVICE_MEMORY",
    0x032: "CKR_DEVICE_REMOVED",
    0x040: "CKR_ENCRYPTED_DATA_INVALID",
    0x041: "CKR_ENCRYPTED_DATA_LEN_RANGE",
    0x042: "CKR_AEAD_DECRYPT_FAILED",
    0x050: "CKR_FUNCTION_CANCELED",
    0x051: "CKR_FUNCTION_NOT_PARALLEL",
    0x054: "CKR_FUNCTION_NOT_SUPPORTED",
    0x060: "CKR_KEY_HANDLE_INVALID",
    0x062: "CKR_KEY_SIZE_RANGE",
    0x063: "CKR_KEY_TYPE_INCONSISTENT",
    0x064: "CKR_KEY_NOT_NEEDED",
    0x065: "CKR_KEY_CHANGED",
    0x066: "CKR_KEY_NEEDED",
    0x067: "CKR_KEY_INDIGESTIBLE",
    0x068: "CKR_KEY_FUNCTION_NOT_PERMITTED",
    0x069: "CKR_KEY_NOT_WRAPPABLE",
    0x06A: "CKR_KEY_UNEXTRACTABLE",
    0x070: "CKR_MECHANISM_INVALID",
    0x071: "CKR_MECHANISM_PARAM_INVALID",
    0x082: "CKR_OBJECT_HANDLE_INVALID",
    0x090: "CKR_OPERATION_ACTIVE",
    0x091: "CKR_OPERATION_NOT_INITIALIZED",
    0x0A0: "CKR_PIN_INCORRECT",
    0x0A1: "CKR_PIN_INVALID",
    0x0A2: "CKR_PIN_LEN_RANGE",
    0x0A3: "CKR_PIN_EXPIRED",
    0x0A4: "CKR_PIN_LOCKED",
    0x0B0: "CKR_SESSION_CLOSED",
    0x0B1: "CKR_SESSION_COUNT",
    0x0B3: "CKR_SESSION_HANDLE_INVALID",
    0x0B4: "CKR_SESSION_PARALLEL_NOT_SUPPORTED",
    0x0B5: "CKR_SESSION_READ_ONLY",
    0x0B6: "CKR_SESSION_EXISTS",
    0x0B7: "CKR_SESSION_READ_ONLY_EXISTS",
    0x0B8: "CKR_SESSION_READ_WRITE_SO_EXISTS",
    0x0C0: "CKR_SIGNATURE_INVALID",
    0x0C1: "CKR_SIGNATURE_LEN_RANGE",
    0x0D0: "CKR_TEMPLATE_INCOMPLETE",
    0x0D1: "CKR_TEMPLATE_INCONSISTENT",
    0x0E0: "CKR_TOKEN_NOT_PRESENT",
    0x0E1: "CKR_TOKEN_NOT_RECOGNIZED",
    0x0E2: "CKR_TOKEN_WRITE_PROTECTED",
    0x0F0: "CKR_UNWRAPPING_KEY_HANDLE_INVALID",
    0x0F1: "CKR_UNWRAPPING_KEY_SIZE_RANGE",
    0x0F2: "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT",
    0x100: "CKR_USER_ALREADY_LOGGED_IN",
    0x101: "CKR_USER_NOT_LOGGED_IN",
    0x102: "CKR_USER_PIN_NOT_INITIALIZED",
    0x103: "CKR_USER_TYPE_INVALID",
    0x104: "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
    0x105: "CKR_USER_TOO_MANY_TYPES",
    0x110: "CKR_WRAPPED_KEY_INVALID",
    0x112: "CKR_WRAPPED_KEY_LEN_RANGE",
    0x113: "CKR_WRAPPING_KEY_HANDLE_INVALID",
    0x114: "CKR_WRAPPING_KEY_SIZE_RANGE",
    0x115: "CKR_WRAPPING_KEY_TYPE_INCONSISTENT",
    0x120: "CKR_RANDOM_SEED_NOT_SUPPORTED",
    0x121: "CKR_RANDOM_NO_RNG",
    0x130: "CKR_DOMAIN_PARAMS_INVALID",
    0x140: "CKR_CURVE_NOT_SUPPORTED",
    0x150: "CKR_BUFFER_TOO_SMALL",
    0x160: "CKR_SAVED_STATE_INVALID",
    0x170: "CKR_INFORMATION_SENSITIVE",
    0x180: "CKR_STATE_UNSAVEABLE",
    0x190: "CKR_CRYPTOKI_NOT_INITIALIZED",
    0x191: "CKR_CRYPTOKI_ALREADY_INITIALIZED",
    0x1A0: "CKR_MUTEX_BAD",
    0x1A1: "CKR_MUTEX_NOT_LOCKED",
    0x1B0: "CKR_NEW_PIN_MODE",
    0x1B1: "CKR_NEXT_OTP",
    0x1B5: "CKR_EXCEEDED_MAX_ITERATIONS",
    0x1B6: "CKR_FIPS_SELF_TEST_FAILED",
    0x1B7: "CKR_LIBRARY_LOAD_FAILED",
    0x1B8: "CKR_PIN_TOO_WEAK",
    0x1B9: "CKR_PUBLIC_KEY_INVALID",
    0x200: "CKR_FUNCTION_REJECTED",
    0x201: "CKR_TOKEN_RESOURCE_EXCEEDED",
    0x202: "CKR_OPERATION_CANCEL_FAILED",
}

_REMEDY: dict[type[TokenError], str] = {
    TokenError: "check the module's log; the code is vendor-specific",
    ModuleError: "reinstall the card's PKCS#11 module or restart the application",
    TokenRemovedError: "insert the card (or restore the token); the next call reconnects",
    DeviceError: "remove and re-insert the card; if it persists, check the reader and driver",
    MechanismError: "use a key and algorithm the card supports",
    DataError: "check the data handed to the token",
    ObjectError: "the card's objects are not as expected; check them with pkcs11-tool -O",
    SessionError: "close other applications using the card and try again",
    OperationCancelledError: "repeat the operation and confirm it on the reader",
    NotSupportedError: "this module lacks the function; use another module or card",
    PinIncorrectError: "check the PIN before trying again; the card locks after 3 wrong PINs",
    PinLockedError: "the card is locked; only the issuing CA can unlock it",
    PinFormatError: "enter a PIN of the length and characters the card accepts",
    PinExpiredError: "change the PIN before using the card",
    PinNotInitializedError: "the card has no user PIN; have it initialised by its issuer",
}

_GROUPS: dict[type[TokenError], tuple[int, ...]] = {
    ModuleError: (0x009, 0x00A, 0x190, 0x191, 0x1A0, 0x1A1, 0x1B6, 0x1B7),
    TokenRemovedError: (0x003, 0x032, 0x060, 0x082, 0x0B0, 0x0B3, 0x0E0, 0x0E1),
    DeviceError: (0x002, 0x005, 0x006, 0x030, 0x031, 0x201),
    MechanismError: (
        0x062,
        0x063,
        0x064,
        0x065,
        0x066,
        0x067,
        0x068,
        0x069,
        0x06A,
        0x070,
        0x071,
        0x0F0,
        0x0F1,
        0x0F2,
        0x113,
        0x114,
        0x115,
        0x130,
        0x140,
        0x1B9,
    ),
    DataError: (0x007, 0x020, 0x021, 0x040, 0x041, 0x042, 0x0C0, 0x0C1, 0x110, 0x112, 0x150),
    ObjectError: (0x010, 0x011, 0x012, 0x013, 0x01B, 0x0D0, 0x0D1, 0x170),
    SessionError: (
        0x090,
        0x091,
        0x0B1,
        0x0B4,
        0x0B5,
        0x0B6,
        0x0B7,
        0x0B8,
        0x0E2,
        0x100,
        0x101,
        0x103,
        0x104,
        0x105,
        0x160,
        0x180,
    ),
    OperationCancelledError: (0x001, 0x050, 0x200, 0x202),
    NotSupportedError: (0x008, 0x051, 0x054, 0x120, 0x121, 0x1B1, 0x1B5),
    PinIncorrectError: (0x0A0,),
    PinLockedError: (0x0A4,),
    PinFormatError: (0x0A1, 0x0A2, 0x1B8),
    PinExpiredError: (0x0A3, 0x1B0),
    PinNotInitializedError: (0x102,),
}

_CLASS_FOR_CKR: dict[int, type[TokenError]] = {
    code: cls for cls, codes in _GROUPS.items() for code in codes
}


def ckr_name(ckr: int) -> str:
    """``CKR_PIN_INCORRECT`` for 0xA0; vendor codes as hex."""
    return CKR_NAMES.get(
        ckr, f"CKR_VENDOR_DEFINED+{ckr - 0x80000000:#x}" if ckr >= 0x80000000 else f"CKR_{ckr:#x}"
    )


def error_for_ckr(ckr: int, action: str) -> TokenError:
    """The typed exception for return code ``ckr`` raised while ``action`` (e.g. 'signing')."""
    cls = _CLASS_FOR_CKR.get(ckr, TokenError)
    remedy = next(_REMEDY[base] for base in cls.__mro__ if base in _REMEDY)
    return cls(f"{action} failed with {ckr_name(ckr)} ({ckr:#x}): {remedy}", ckr=ckr)
