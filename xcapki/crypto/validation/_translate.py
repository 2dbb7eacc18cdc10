"""Turning certvalidator's exceptions into xcapki's, at the layer boundary.

The class of the xcapki error is chosen from certvalidator's exception type and
from what this validation fetched (the fetch record), never by parsing message
text; the message is xcapki's own, naming which certificate failed, what was
received and the remedy for that cause. certvalidator's text stays on the
chained exception (``__cause__``) for operators who want it.
"""

from __future__ import annotations

from asn1crypto import ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.context import ValidationContext

from xcapki.crypto.errors import PathValidationError
from xcapki.crypto.validation import _revinfo
from xcapki.crypto.validation._fetchers import (
    MAX_OCSP_RESPONSE_BYTES,
    CrlProblem,
    FetchRecord,
    OcspFailure,
    OcspProblem,
)
from xcapki.crypto.validation._status import (
    RevocationReason,
    RevocationSource,
    RevocationState,
    RevocationStatus,
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
    WeakAlgorithmError,
)

__all__ = ["translate_failure"]

_MAX_CHAIN = 16
_SOFT_FAIL = "or choose RevocationMode.SOFT_FAIL to accept certificates whose status is unknown"


def translate_failure(
    exc: Exception,
    *,
    run_record: FetchRecord,
    context: ValidationContext,
    leaf: asn1_x509.Certificate,
) -> PathValidationError:
    """The xcapki error for a certvalidator failure of this validation."""
    who = _who(exc)
    if isinstance(exc, cv_errors.RevokedError):
        return _revoked(exc, run_record, leaf, who)
    if isinstance(exc, cv_errors.ExpiredError):
        return CertificateExpiredError(
            f"{who} expired at {_when(exc.expired_dt)}; renew it, or check the system clock",
            expired_at=exc.expired_dt,
        )
    if isinstance(exc, cv_errors.NotYetValidError):
        return CertificateNotYetValidError(
            f"{who} is valid only from {_when(exc.valid_from)}; check the system clock",
            valid_from=exc.valid_from,
        )
    if isinstance(exc, cv_errors.StaleRevinfoError):
        return StaleRevocationError(
            f"the only revocation answers for {who} are past their nextUpdate; the responder "
            "or CRL publisher serves outdated answers, or the system clock is wrong"
        )
    if isinstance(exc, cv_errors.InsufficientRevinfoError):
        return _insufficient(who, run_record, _path_certs(exc, leaf))
    if isinstance(exc, cv_errors.DisallowedAlgorithmError):
        return WeakAlgorithmError(
            f"{who} is signed with a digest or key size that is no longer allowed (such as "
            "SHA-1 or RSA under 2048 bits); it must be reissued with SHA-256 and RSA-2048 or "
            "stronger"
        )
    if isinstance(exc, cv_errors.InvalidCertificateError | cv_errors.PathBuildingError):
        return _unbuildable(context, leaf)
    return InvalidPathError(
        f"{who} breaks the path rules of RFC 5280 (its signature, name chaining, basic "
        "constraints, key usage or policies); the chain cannot be trusted"
    )


def _who(exc: Exception) -> str:
    """Which certificate of the path failed, in words."""
    if getattr(exc, "is_side_validation", False):
        return "a certificate that vouches for a revocation answer"
    if getattr(exc, "is_ee_cert", True):
        return "the signer's certificate"
    return "a CA certificate of the path"


def _when(moment: object) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)


def _path_certs(exc: Exception, leaf: asn1_x509.Certificate) -> list[asn1_x509.Certificate]:
    path = getattr(exc, "original_path", None)
    if path is None:
        return [leaf]
    return list(path.iter_certs(include_root=False))


def _revoked(
    exc: cv_errors.RevokedError, record: FetchRecord, leaf: asn1_x509.Certificate, who: str
) -> CertificateRevokedError:
    reason = RevocationReason.from_name(exc.reason.native)
    message = (
        f"{who} was revoked at {_when(exc.revocation_dt)} ({reason.value.replace('_', ' ')}); "
        "it may no longer be used"
    )
    for cert in reversed(_path_certs(exc, leaf)):
        status = _revinfo.revoked_status(cert, record)
        if status is not None:
            return CertificateRevokedError(
                message,
                certificate=x509.load_der_x509_certificate(cert.dump()),
                status=status,
            )
    return CertificateRevokedError(
        message,
        certificate=None,
        status=RevocationStatus(
            state=RevocationState.REVOKED,
            source=RevocationSource.NONE,
            reason=reason,
            revoked_at=exc.revocation_dt,
        ),
    )


def _insufficient(
    who: str, record: FetchRecord, certs: list[asn1_x509.Certificate]
) -> PathValidationError:
    for cert in certs:
        response = record.ocsp.get(cert.sha256)
        if response is not None and _revinfo.ocsp_cert_status(response, cert) == "unknown":
            return RevocationUnknownError(
                f"the OCSP responder does not know {cert.subject.human_friendly!r} (status "
                "unknown), which counts as revoked; the certificate may not come from this CA",
                certificate=x509.load_der_x509_certificate(cert.dump()),
            )
    unsettled = [c for c in certs if not _ocsp_good(record, c)]
    for cert in unsettled:
        response = record.ocsp.get(cert.sha256)
        if response is not None:
            return UntrustedRevocationError(_unusable_answer(response, cert))
    for cert in unsettled:
        if record.crls.get(cert.sha256):
            return UntrustedRevocationError(
                f"the CRL received for {cert.subject.human_friendly!r} is not signed by its CA "
                "or is not valid now; check the CRL distribution point the certificate names"
            )
    for cert in unsettled:
        crl_failure = record.crl_failures.get(cert.sha256)
        if crl_failure is not None and crl_failure.problem is CrlProblem.TOO_LARGE:
            return CrlTooLargeError(
                f"the CRL at {crl_failure.url} for {cert.subject.human_friendly!r} is larger "
                f"than the limit of {crl_failure.limit} bytes, so it was not downloaded; if the "
                "CA really publishes CRLs that large, raise ChainValidator(max_crl_bytes=...), "
                f"or let this server reach the CA's OCSP responder, {_SOFT_FAIL}",
                url=crl_failure.url,
                limit=crl_failure.limit,
            )
    for cert in unsettled:
        failure = record.ocsp_failures.get(cert.sha256)
        if failure is not None:
            return RevocationUnavailableError(
                f"{_failed_exchange(failure)}, and no CRL could be used instead; "
                f"{_remedy(failure)}, {_SOFT_FAIL}"
            )
    return RevocationUnavailableError(
        f"no OCSP or CRL answer could be obtained for {who}; check that this server reaches "
        "the OCSP responder and CRL distribution point the certificate names (proxy, "
        f"firewall), {_SOFT_FAIL}"
    )


def _unusable_answer(response: ocsp.OCSPResponse, cert: asn1_x509.Certificate) -> str:
    """What was wrong with an OCSP answer that certvalidator would not accept for ``cert``."""
    subject = repr(cert.subject.human_friendly)
    if _revinfo.ocsp_cert_status(response, cert) is None:
        return (
            f"the OCSP answer received for {subject} is about another certificate (no "
            "response for its serial number); the responder answered the wrong request"
        )
    return (
        f"the OCSP answer for {subject} is not signed by its CA or by a responder the CA "
        "authorised (id-kp-OCSPSigning), or is not valid now; check the responder's signing "
        "certificate"
    )


def _failed_exchange(failure: OcspFailure) -> str:
    problem = failure.problem
    if problem is OcspProblem.UNREACHABLE:
        return f"the OCSP responder {failure.url} could not be reached"
    if problem is OcspProblem.HTTP_STATUS:
        return f"the OCSP responder {failure.url} answered {failure.received}"
    if problem is OcspProblem.TOO_LARGE:
        return (
            f"the answer from {failure.url} is larger than {MAX_OCSP_RESPONSE_BYTES} bytes, "
            "so it is not an OCSP response"
        )
    if problem is OcspProblem.NOT_OCSP:
        return f"the answer from {failure.url} is not an OCSP response (an HTML page, say)"
    if problem is OcspProblem.ERROR_STATUS:
        return f"the OCSP responder {failure.url} refused to answer (status {failure.received})"
    if problem is OcspProblem.WEAK_SIGNATURE:
        return (
            f"the OCSP answer from {failure.url} is signed with {failure.received}, which is "
            "no longer accepted"
        )
    if problem is OcspProblem.AMBIGUOUS:
        return (
            f"the OCSP answer from {failure.url} gives {failure.received} statuses for the one "
            "certificate asked about, so none of them can be relied on"
        )
    return (
        f"the OCSP answer from {failure.url} carries the nonce of another request (a replayed "
        "or cached answer)"
    )


def _remedy(failure: OcspFailure) -> str:
    problem = failure.problem
    if problem is OcspProblem.UNREACHABLE:
        return "check that this server reaches it (proxy, firewall)"
    if problem in (OcspProblem.HTTP_STATUS, OcspProblem.NOT_OCSP, OcspProblem.TOO_LARGE):
        return "check that the address reaches the CA's responder and not a proxy or login page"
    if problem is OcspProblem.ERROR_STATUS and failure.received == "unauthorized":
        return "the responder does not serve this CA's certificates; check the address"
    if problem is OcspProblem.ERROR_STATUS:
        return "try again later, or ask the CA about its responder"
    if problem is OcspProblem.WEAK_SIGNATURE:
        return "the CA's responder must sign with SHA-256 or stronger"
    if problem is OcspProblem.AMBIGUOUS:
        return "ask the CA to fix its responder: it must answer once per certificate"
    return "check for a caching proxy between this server and the responder"


def _ocsp_good(record: FetchRecord, cert: asn1_x509.Certificate) -> bool:
    response = record.ocsp.get(cert.sha256)
    return (
        response is not None
        and cert.sha256 not in record.crl_consulted
        and _revinfo.ocsp_cert_status(response, cert) == "good"
    )


def _unbuildable(context: ValidationContext, leaf: asn1_x509.Certificate) -> PathBuildingError:
    top = _highest_known_issuer(context, leaf)
    if top.self_signed in ("yes", "maybe"):
        return UntrustedRootError(
            f"the chain ends at {top.subject.human_friendly!r}, which is not a trusted root; "
            "add the root to the TrustStore if it should be trusted"
        )
    return PathBuildingError(
        f"no issuer of {top.subject.human_friendly!r} is known; supply the missing "
        "intermediate CA certificate or add it to the TrustStore"
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
