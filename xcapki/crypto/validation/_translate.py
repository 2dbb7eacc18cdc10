"""Turning certvalidator's exceptions into xcapki's, at the layer boundary.

The class of the xcapki error is chosen from certvalidator's exception type and
from what this validation fetched (the fetch record), never by parsing message
text.
"""

from __future__ import annotations

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.context import ValidationContext

from xcapki.crypto.errors import PathValidationError
from xcapki.crypto.validation import _revinfo
from xcapki.crypto.validation._fetchers import FetchRecord
from xcapki.crypto.validation.errors import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    InvalidPathError,
    PathBuildingError,
    RevocationUnavailableError,
    RevocationUnknownError,
    StaleRevocationError,
    UntrustedRevocationError,
    UntrustedRootError,
    WeakAlgorithmError,
)
from xcapki.crypto.validation.status import (
    RevocationReason,
    RevocationSource,
    RevocationState,
    RevocationStatus,
)

__all__ = ["translate_failure"]

_MAX_CHAIN = 16


def translate_failure(
    exc: Exception,
    *,
    run_record: FetchRecord,
    context: ValidationContext,
    leaf: asn1_x509.Certificate,
) -> PathValidationError:
    """The xcapki error for a certvalidator failure of this validation."""
    detail = str(exc)
    if isinstance(exc, cv_errors.RevokedError):
        return _revoked(exc, run_record, leaf)
    if isinstance(exc, cv_errors.ExpiredError):
        return CertificateExpiredError(
            f"{detail}; renew the certificate or check the system clock",
            expired_at=exc.expired_dt,
        )
    if isinstance(exc, cv_errors.NotYetValidError):
        return CertificateNotYetValidError(
            f"{detail}; check the system clock",
            valid_from=exc.valid_from,
        )
    if isinstance(exc, cv_errors.StaleRevinfoError):
        return StaleRevocationError(
            f"{detail}; the responder or CRL publisher serves outdated answers, "
            "or the clock is wrong"
        )
    if isinstance(exc, cv_errors.InsufficientRevinfoError):
        return _insufficient(detail, run_record, _path_certs(exc, leaf))
    if isinstance(exc, cv_errors.DisallowedAlgorithmError):
        return WeakAlgorithmError(
            f"{detail}; the certificate must be reissued with SHA-256 and RSA-2048 or stronger"
        )
    if isinstance(exc, cv_errors.InvalidCertificateError | cv_errors.PathBuildingError):
        return _unbuildable(detail, context, leaf)
    return InvalidPathError(f"{detail}; the chain does not satisfy RFC 5280")


def _path_certs(exc: Exception, leaf: asn1_x509.Certificate) -> list[asn1_x509.Certificate]:
    path = getattr(exc, "original_path", None)
    if path is None:
        return [leaf]
    return list(path.iter_certs(include_root=False))


def _revoked(
    exc: cv_errors.RevokedError, record: FetchRecord, leaf: asn1_x509.Certificate
) -> CertificateRevokedError:
    for cert in reversed(_path_certs(exc, leaf)):
        status = _revinfo.revoked_status(cert, record)
        if status is not None:
            return CertificateRevokedError(
                f"{exc}; the certificate may no longer be used",
                certificate=x509.load_der_x509_certificate(cert.dump()),
                status=status,
            )
    return CertificateRevokedError(
        f"{exc}; the certificate may no longer be used",
        certificate=None,
        status=RevocationStatus(
            state=RevocationState.REVOKED,
            source=RevocationSource.NONE,
            reason=RevocationReason.from_name(exc.reason.native),
            revoked_at=exc.revocation_dt,
        ),
    )


def _insufficient(
    detail: str, record: FetchRecord, certs: list[asn1_x509.Certificate]
) -> PathValidationError:
    for cert in certs:
        response = record.ocsp.get(cert.sha256)
        if response is not None and _revinfo.ocsp_cert_status(response, cert) == "unknown":
            return RevocationUnknownError(
                f"the OCSP responder does not know {cert.subject.human_friendly!r} (status "
                f"unknown), which counts as revoked ({detail})",
                certificate=x509.load_der_x509_certificate(cert.dump()),
            )
    unsettled = [c for c in certs if not _ocsp_good(record, c)]
    if any(c.sha256 in record.ocsp or record.crls.get(c.sha256) for c in unsettled):
        return UntrustedRevocationError(
            f"{detail}; the revocation answers received are not signed by the CA or a "
            "responder it authorised, or do not match the certificate"
        )
    return RevocationUnavailableError(
        f"{detail}; check that the OCSP responder and CRL distribution point named in the "
        "certificate are reachable (proxy, firewall), or choose RevocationMode.SOFT_FAIL"
    )


def _ocsp_good(record: FetchRecord, cert: asn1_x509.Certificate) -> bool:
    response = record.ocsp.get(cert.sha256)
    return (
        response is not None
        and cert.sha256 not in record.crl_consulted
        and _revinfo.ocsp_cert_status(response, cert) == "good"
    )


def _unbuildable(
    detail: str, context: ValidationContext, leaf: asn1_x509.Certificate
) -> PathBuildingError:
    top = _highest_known_issuer(context, leaf)
    if top.self_signed in ("yes", "maybe"):
        return UntrustedRootError(
            f"the chain ends at {top.subject.human_friendly!r}, which is not a trusted root "
            f"({detail}); add the root to the TrustStore if it should be trusted"
        )
    return PathBuildingError(
        f"no issuer of {top.subject.human_friendly!r} is known ({detail}); supply the "
        "missing intermediate CA certificate or add it to the TrustStore"
    )


def _highest_known_issuer(
    context: ValidationContext, leaf: asn1_x509.Certificate
) -> asn1_x509.Certificate:
    """Follow issuers by name and key identifier as far as the known certificates go."""
    current = leaf
    registry = context.certificate_registry
    for _ in range(_MAX_CHAIN):
        if current.self_signed in ("yes", "maybe"):
            return current
        aki = current.authority_key_identifier
        issuers = [
            c
            for c in registry.retrieve_by_name(current.issuer)
            if aki is None or c.key_identifier == aki
        ]
        if not issuers:
            return current
        current = issuers[0]
    return current
