"""Path validation and revocation checking, built on pyhanko-certvalidator.

``ChainValidator`` validates a certificate's path to a ``TrustStore`` at a
moment, with OCSP (from AIA) and CRL (from CDP) revocation checking in one of
four ``RevocationMode``s, and returns a frozen ``ValidatedPath``. Failures are
``PathValidationError`` subclasses from ``xcapki.crypto.validation.errors``.
"""

from __future__ import annotations

from xcapki.crypto.validation._options import DEFAULT_VALIDATOR_OPTIONS, ValidatorOptions
from xcapki.crypto.validation._status import (
    NOT_CHECKED,
    CertificateStatus,
    RevocationData,
    RevocationMode,
    RevocationReason,
    RevocationSource,
    RevocationState,
    RevocationStatus,
    ValidatedPath,
)
from xcapki.crypto.validation._validator import (
    MAX_HELPER_CERTIFICATES,
    MAX_HELPERS_PER_NAME,
    ChainValidator,
    ValidatorStatistics,
)
from xcapki.crypto.validation.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    CrlTooLargeError,
    InvalidPathError,
    PathBuildingError,
    RevocationUnavailableError,
    RevocationUnknownError,
    StaleRevocationError,
    UntrustedRevocationError,
    UntrustedRootError,
    ValidatorUsageError,
    WeakAlgorithmError,
)

__all__ = [
    "DEFAULT_VALIDATOR_OPTIONS",
    "MAX_HELPERS_PER_NAME",
    "MAX_HELPER_CERTIFICATES",
    "NOT_CHECKED",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificateRevokedError",
    "CertificateStatus",
    "ChainValidator",
    "CrlTooLargeError",
    "InvalidPathError",
    "PathBuildingError",
    "RevocationData",
    "RevocationMode",
    "RevocationReason",
    "RevocationSource",
    "RevocationState",
    "RevocationStatus",
    "RevocationUnavailableError",
    "RevocationUnknownError",
    "StaleRevocationError",
    "UntrustedRevocationError",
    "UntrustedRootError",
    "ValidatedPath",
    "ValidatorOptions",
    "ValidatorStatistics",
    "ValidatorUsageError",
    "WeakAlgorithmError",
]
