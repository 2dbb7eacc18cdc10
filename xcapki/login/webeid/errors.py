"""The Web eID refusals that the CMS login's vocabulary has no class for.

Each subclasses the ``LoginError`` of the same meaning, so a portal that
answers every ``LoginError`` with one 401 needs nothing new::

    ResponseMalformedError
    ├── TokenFormatError              ``format`` is not ``web-eid:1``
    └── CertificateDecodingError      ``unverifiedCertificate`` is not base64 DER X.509
    KeyUsageRejectedError
    ├── CertificatePurposeMissingError  no keyUsage extension at all
    └── ExtendedKeyUsageRejectedError   an EKU without clientAuth, or with OCSPSigning
    CertificatePolicyNotAllowedError
    └── DisallowedPolicyError         a policy on the validator's disallowed list
"""

from __future__ import annotations

from xcapki.login.errors import (
    CertificatePolicyNotAllowedError,
    KeyUsageRejectedError,
    ResponseMalformedError,
)

__all__ = [
    "CertificateDecodingError",
    "CertificatePurposeMissingError",
    "DisallowedPolicyError",
    "ExtendedKeyUsageRejectedError",
    "TokenFormatError",
]


class TokenFormatError(ResponseMalformedError):
    """The token's ``format`` is not a ``web-eid:1`` format."""


class CertificateDecodingError(ResponseMalformedError):
    """``unverifiedCertificate`` is missing, not base64, or not an X.509 certificate."""


class CertificatePurposeMissingError(KeyUsageRejectedError):
    """The certificate has no keyUsage extension, so its purpose is unknown."""

    user_message = (
        "The card's certificate does not say it may be used to log in. Use the card's "
        "signing certificate, or a card issued for logins."
    )


class ExtendedKeyUsageRejectedError(KeyUsageRejectedError):
    """The certificate's extended key usage lacks client authentication or names a refused
    use (OCSP signing)."""

    user_message = "The card's certificate is not meant for logging in to web sites."


class DisallowedPolicyError(CertificatePolicyNotAllowedError):
    """The certificate carries a policy the validator is configured to refuse."""
