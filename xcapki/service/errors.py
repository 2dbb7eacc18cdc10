"""The service's errors, and the HiPKI return codes pages understand.

A refused request becomes a ``HipkiError`` carrying the ``ret_code`` and
``last_error`` (the PKCS#11 CKR value) that the HiPKI protocol puts in its
JSON answer, and the HTTP status xcapki adds::

    ServiceError
    ├── ServiceConfigError  the configuration cannot work (e.g. a non-loopback host)
    ├── TrustListError      the trusted-origins file cannot be read or written
    └── HipkiError          a request refused with a HiPKI ret_code / last_error
"""

from __future__ import annotations

import enum

from xcapki.errors import XcapkiError

__all__ = [
    "CKR_FUNCTION_CANCELED",
    "CKR_PIN_INCORRECT",
    "CKR_PIN_LEN_RANGE",
    "CKR_PIN_LOCKED",
    "HipkiCode",
    "HipkiError",
    "ServiceConfigError",
    "ServiceError",
    "TrustListError",
]

CKR_FUNCTION_CANCELED = 0x50
CKR_PIN_INCORRECT = 0xA0
CKR_PIN_LEN_RANGE = 0xA2
CKR_PIN_LOCKED = 0xA4


class HipkiCode(enum.IntEnum):
    """``ret_code`` values: HiPKI's own, then xcapki's (0x7A...), which HiPKI never sends."""

    OK = 0
    NO_CARD = 0x76000006
    FORBIDDEN_DOMAIN = 0x7600000F
    SITE_NOT_TRUSTED = 0x76000031
    LOGIN_FAILED = 0x76100006
    CERTIFICATE_EXPIRED = 0x76500002
    BAD_REQUEST = 0x7A000001
    REQUEST_TOO_LARGE = 0x7A000002
    TOO_MANY_PIN_ATTEMPTS = 0x7A000003
    NOT_SUPPORTED = 0x7A000004
    CARD_ERROR = 0x7A000005
    DECRYPTION_FAILED = 0x7A000006


class ServiceError(XcapkiError):
    """The local signing service failed or refused something."""


class ServiceConfigError(ServiceError):
    """The service configuration cannot work as given."""


class TrustListError(ServiceError):
    """The trusted-origins file cannot be read or written."""


class HipkiError(ServiceError):
    """A request refused with a HiPKI code; the message says why and what to do."""

    def __init__(
        self,
        message: str,
        *,
        ret_code: HipkiCode,
        last_error: int = 0,
        http_status: int = 200,
    ) -> None:
        super().__init__(message)
        self.ret_code = ret_code
        self.last_error = last_error
        self.http_status = http_status
