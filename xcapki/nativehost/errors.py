"""The native host's own errors; each maps to a code of the page protocol that asked.

    NativeHostError                 xcapki.errors.XcapkiError
    ├── FramingError                a native message that is not length + UTF-8 JSON in bounds
    ├── InvalidArgumentError        a command or its arguments are not the protocol's
    ├── OriginRefusedError          not https, or a site the user has not trusted
    ├── NoCardError                 no card (token) is present; also the reader layer's NoCardError
    ├── UserCancelledError          the user chose Cancel in the dialog
    ├── UserTimeoutError            nobody answered the dialog in time
    └── PinentryError               the dialog program is missing or misbehaves

Card failures (wrong PIN, locked card) stay the token layer's ``TokenError``s;
"no card" is the reader layer's failure, so the host's ``NoCardError``
subclasses that one under its own name.
"""

from __future__ import annotations

from xcapki.errors import XcapkiError
from xcapki.reader import errors as reader_errors

__all__ = [
    "FramingError",
    "InvalidArgumentError",
    "NativeHostError",
    "NoCardError",
    "OriginRefusedError",
    "PinentryError",
    "UserCancelledError",
    "UserTimeoutError",
]


class NativeHostError(XcapkiError):
    """The native host could not do what the browser extension asked."""


class FramingError(NativeHostError):
    """A native message is too short, too long, or not a UTF-8 JSON object."""


class InvalidArgumentError(NativeHostError):
    """The command is unknown, or its arguments are missing, extra or malformed."""


class OriginRefusedError(NativeHostError):
    """The page's origin may not use the card: not https, or not trusted by the user."""


class NoCardError(NativeHostError, reader_errors.NoCardError):
    """No card is present in any reader (no initialised token)."""


class UserCancelledError(NativeHostError):
    """The user cancelled the PIN or confirmation dialog."""


class UserTimeoutError(NativeHostError):
    """The dialog was not answered before its timeout."""


class PinentryError(NativeHostError):
    """The PIN dialog program cannot be run or does not speak the Assuan protocol."""
