"""Errors of path validation and revocation checking.

::

    PathValidationError                 (xcapki.crypto.errors)
    ├── PathBuildingError               no chain could be assembled
    │   └── UntrustedRootError          a chain exists but ends outside the trust store
    ├── CertificateExpiredError
    ├── CertificateNotYetValidError
    ├── InvalidPathError                a signature, constraint or policy in the chain fails
    │   └── WeakAlgorithmError          a disallowed hash or key size in the chain
    └── RevocationError                 (xcapki.crypto.errors)
        ├── CertificateRevokedError     .status holds the reason and time
        ├── RevocationUnknownError      the responder does not know the certificate
        ├── RevocationUnavailableError  no answer could be obtained
        │   └── CrlTooLargeError        a CRL above the validator's size limit was refused
        ├── StaleRevocationError        the only answers are past their nextUpdate
        └── UntrustedRevocationError    answers came, but none is signed by an authorised party
"""

from __future__ import annotations

import datetime

from cryptography import x509

from xcapki.crypto.errors import CryptoError, PathValidationError, RevocationError
from xcapki.crypto.validation._status import RevocationStatus

__all__ = [
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificateRevokedError",
    "CrlTooLargeError",
    "InvalidPathError",
    "PathBuildingError",
    "RevocationUnavailableError",
    "RevocationUnknownError",
    "StaleRevocationError",
    "UntrustedRevocationError",
    "UntrustedRootError",
    "ValidatorUsageError",
    "WeakAlgorithmError",
]


class ValidatorUsageError(CryptoError):
    """The validator was called in a way it cannot serve (e.g. sync call inside an event loop)."""


class PathBuildingError(PathValidationError):
    """No chain from the certificate to a trust anchor could be assembled."""


class UntrustedRootError(PathBuildingError):
    """The certificate's chain ends at a CA that is not in the trust store."""


class CertificateExpiredError(PathValidationError):
    """A certificate of the path was no longer valid at the validation time."""

    def __init__(self, message: str, *, expired_at: datetime.datetime) -> None:
        super().__init__(message)
        self.expired_at = expired_at


class CertificateNotYetValidError(PathValidationError):
    """A certificate of the path was not yet valid at the validation time."""

    def __init__(self, message: str, *, valid_from: datetime.datetime) -> None:
        super().__init__(message)
        self.valid_from = valid_from


class InvalidPathError(PathValidationError):
    """The chain breaks RFC 5280: a bad signature, constraint, key usage or policy."""


class WeakAlgorithmError(InvalidPathError):
    """A certificate of the chain uses a disallowed digest or too short a key."""


class CertificateRevokedError(RevocationError):
    """A certificate of the path is revoked; ``status`` says why and since when."""

    def __init__(
        self, message: str, *, certificate: x509.Certificate | None, status: RevocationStatus
    ) -> None:
        super().__init__(message)
        self.certificate = certificate
        self.status = status


class RevocationUnknownError(RevocationError):
    """An authorised responder answered "unknown", which counts as revoked."""

    def __init__(self, message: str, *, certificate: x509.Certificate | None) -> None:
        super().__init__(message)
        self.certificate = certificate


class RevocationUnavailableError(RevocationError):
    """No OCSP or CRL answer could be obtained and the mode does not tolerate that."""


class CrlTooLargeError(RevocationUnavailableError):
    """A CRL the path needed is larger than ``limit`` bytes, so it was refused unread.

    ``url`` is where it was offered. The remedy is a larger
    ``ChainValidator(max_crl_bytes=...)`` if the CA really publishes CRLs that
    large, or reaching the CA's OCSP responder instead.
    """

    def __init__(self, message: str, *, url: str, limit: int) -> None:
        super().__init__(message)
        self.url = url
        self.limit = limit


class StaleRevocationError(RevocationError):
    """The revocation answers obtained are outside their thisUpdate/nextUpdate window."""


class UntrustedRevocationError(RevocationError):
    """Revocation answers were obtained but none was signed by the CA or its delegated responder."""
