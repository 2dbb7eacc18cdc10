"""One call for "is this signature intact, trusted and unrevoked", answers kept apart.

``verify_cms`` answers "intact"; a ``ChainValidator`` (xcapki.crypto.validation)
answers "trusted" and "revocation". The path is only built for an intact
signature: a forged one must not make the server fetch OCSP or CRLs.
The validation package is imported lazily so importing CMS stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509

from xcapki.crypto.cms._parse import ParsedCms
from xcapki.crypto.cms._policy import AlgorithmPolicy
from xcapki.crypto.cms._verify import CmsSignature, CmsVerifyOptions, inspect_cms, resolve_options
from xcapki.crypto.errors import CertificateError, CmsError, PathValidationError

if TYPE_CHECKING:
    from xcapki.crypto.validation import ChainValidator, RevocationStatus, ValidatedPath

__all__ = ["VerifiedSignedData", "verify_signed_data"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedSignedData:
    """The three answers about a CMS signature, each with its reason.

    ``signature`` holds the intact answer (``signature.intact``/``.failure``).
    ``path`` is the validated path when the signer chains to a trust anchor
    and passes revocation; otherwise ``path_failure`` says why, or both are
    None when the path was not checked because the signature is not intact.
    ``path_failure`` is a ``PathValidationError``, or a ``CertificateError``
    when a certificate of the path cannot be processed at all.
    """

    signature: CmsSignature
    path: ValidatedPath | None
    path_failure: PathValidationError | CertificateError | None

    @property
    def intact(self) -> bool:
        """Digest and signature verify."""
        return self.signature.intact

    @property
    def trusted(self) -> bool:
        """The signer certificate chains to a trust anchor and is not revoked."""
        return self.path is not None

    @property
    def revocation(self) -> RevocationStatus:
        """The revocation verdict: the leaf's, or that of the revoked certificate of the path.

        NOT_CHECKED when the path was not built or failed for another reason.
        """
        from xcapki.crypto.validation import CertificateRevokedError
        from xcapki.crypto.validation._status import NOT_CHECKED

        if self.path is not None:
            return self.path.leaf_revocation
        if isinstance(self.path_failure, CertificateRevokedError):
            return self.path_failure.status
        return NOT_CHECKED

    @property
    def failure(self) -> CmsError | PathValidationError | CertificateError | None:
        """The first reason to refuse the signature, or None when it is good."""
        return self.signature.failure or self.path_failure

    def require_valid(self) -> VerifiedSignedData:
        """Return self when intact and trusted; raise the failure otherwise."""
        failure = self.failure
        if failure is not None:
            raise failure
        return self


def verify_signed_data(
    data: bytes | ParsedCms,
    *,
    validator: ChainValidator,
    content: bytes | None = None,
    content_digest: bytes | None = None,
    policy: AlgorithmPolicy | None = None,
    max_size: int | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta | None = None,
    extra_certificates: Sequence[x509.Certificate] = (),
    nonce: bytes | None = None,
    signer_certificate: x509.Certificate | None = None,
    options: CmsVerifyOptions | None = None,
) -> VerifiedSignedData:
    """Verify the CMS, then validate the signer's path at ``now`` (default: the validator's clock).

    ``data`` is the DER or a ``ParsedCms``; the options are ``inspect_cms``'s.
    Malformed or disallowed CMS raises its ``CmsError`` as ``verify_cms`` does;
    a broken digest or signature and a path or revocation failure are
    reported in the result. The certificates carried in the CMS help build
    the path but are never trusted themselves.
    """
    signature = inspect_cms(
        data,
        content=content,
        content_digest=content_digest,
        now=now,
        extra_certificates=extra_certificates,
        nonce=nonce,
        signer_certificate=signer_certificate,
        options=resolve_options(
            options, policy=policy, max_size=max_size, max_clock_skew=max_clock_skew
        ),
    )
    if not signature.intact:
        return VerifiedSignedData(signature=signature, path=None, path_failure=None)
    helpers = [c for c in signature.certificates if c != signature.signer_certificate]
    try:
        path = validator.validate(signature.signer_certificate, intermediates=helpers, moment=now)
    except (PathValidationError, CertificateError) as exc:
        return VerifiedSignedData(signature=signature, path=None, path_failure=exc)
    return VerifiedSignedData(signature=signature, path=path, path_failure=None)
