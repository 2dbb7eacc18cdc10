"""The login errors: one class per reason a portal login is refused.

A portal's HTTP layer answers every ``LoginError`` with the same generic 401
and logs the class and ``str(error)`` (the detail, for operators). What the
user may be shown is ``error.user_message``: it names the problem and the
remedy and never reveals which internal check failed beyond that::

    LoginError                                xcapki.errors
    ├── LoginConfigurationError               the portal was set up wrongly
    ├── ChallengeStoreError                   the challenge store failed (Redis down)
    │   └── ChallengeStoreFullError
    ├── ResponseMalformedError                1: not the documented JSON / base64 / DER
    │   └── ResponseSizeError                 1: under or over the size bounds
    ├── ChallengeError                        2
    │   ├── ChallengeUnknownError             never issued, or already used (replay)
    │   ├── ChallengeExpiredError
    │   └── ChallengeSessionError             issued to another browser session
    ├── ContentBindingError                   3: the card signed something else
    │   └── NonceAttributeMismatchError
    ├── SignerCertificateError                4: no signer certificate in the CMS
    │   └── UnexpectedSignerError             certb64 is not the CMS signer
    ├── AlgorithmRejectedError                5: SHA-1, MD5, RSA < 2048, ...
    ├── SignedAttributeRejectedError          6: contentType, messageDigest, card serial
    │   └── SigningTimeSkewError              signingTime outside the clock skew
    ├── SignatureRejectedError                7
    ├── CertificatePurposeError               8: not a card's login certificate
    │   └── KeyUsageRejectedError             the card's encryption (KEYX) certificate
    ├── CertificateValidityError              8
    │   ├── CertificateExpiredError           also the path's CertificateExpiredError
    │   └── CertificateNotYetValidError       also the path's CertificateNotYetValidError
    ├── PolicyRejectedError                   9
    │   ├── CertificateProfileError           8: identity ambiguous or unreadable (profile)
    │   ├── AuthorityNotAllowedError          e.g. a MOICA card on an XCA-only portal
    │   ├── CertificatePolicyNotAllowedError
    │   └── IdentityMissingError              the portal needs a 統一編號 the card lacks
    ├── UntrustedSignerError                  10: no path to the trust anchors
    └── RevocationRejectedError               11
        ├── CertificateRevokedError           also the path's CertificateRevokedError
        │   └── RevocationUnknownError        OCSP "unknown" counts as revoked
        └── RevocationCheckError              no usable OCSP/CRL answer (down, stale, forged)

Where the crypto layer already names a failure (expired, not yet valid,
revoked, unknown status, a wrong nonce, signer or signing time), the login
class of that failure carries the same name and subclasses the crypto class
too, so ``except CertificateExpiredError`` catches it from either layer.
The steps are those of docs/login-checks.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, Final

from cryptography import x509

from xcapki._renamed import renamed_names
from xcapki.crypto.cms import errors as cms_errors
from xcapki.crypto.validation import RevocationStatus
from xcapki.crypto.validation import errors as path_errors
from xcapki.errors import XcapkiError

__all__ = [
    "AlgorithmRejectedError",
    "AuthorityNotAllowedError",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificatePolicyNotAllowedError",
    "CertificateProfileError",
    "CertificatePurposeError",
    "CertificateRevokedError",
    "CertificateValidityError",
    "ChallengeError",
    "ChallengeExpiredError",
    "ChallengeSessionError",
    "ChallengeStoreError",
    "ChallengeStoreFullError",
    "ChallengeUnknownError",
    "ContentBindingError",
    "IdentityMissingError",
    "KeyUsageRejectedError",
    "LoginConfigurationError",
    "LoginError",
    "NonceAttributeMismatchError",
    "PolicyRejectedError",
    "ResponseMalformedError",
    "ResponseSizeError",
    "RevocationCheckError",
    "RevocationRejectedError",
    "RevocationUnknownError",
    "SignatureRejectedError",
    "SignedAttributeRejectedError",
    "SignerCertificateError",
    "SigningTimeSkewError",
    "UnexpectedSignerError",
    "UntrustedSignerError",
]

_RETRY = "Reload the login page and sign in again."


class LoginError(XcapkiError):
    """A login that must be refused; ``user_message`` is safe to show the user."""

    user_message: ClassVar[str] = "The card login failed. " + _RETRY


class LoginConfigurationError(LoginError):
    """The issuer, store or verifier was configured with values that cannot work."""

    user_message = "The portal's card login is not set up correctly. Contact the portal."


class ChallengeStoreError(LoginError):
    """The challenge store could not be reached or answered wrongly."""

    user_message = "The portal cannot handle card logins at the moment. Try again later."


class ChallengeStoreFullError(ChallengeStoreError):
    """The in-memory store holds its maximum of live challenges."""


class ResponseMalformedError(LoginError):
    """The response is not the documented JSON with base64 DER CMS (step 1)."""

    user_message = (
        "The signing component sent an unreadable answer. Update the card software, then "
        + _RETRY.lower()
    )


class ResponseSizeError(ResponseMalformedError):
    """The response is smaller or larger than any genuine login response (step 1)."""


class ChallengeError(LoginError):
    """The challenge named by the response cannot be used (step 2)."""

    user_message = "This login attempt is no longer valid. " + _RETRY


class ChallengeUnknownError(ChallengeError):
    """No such challenge: never issued, already used (a replay), or long expired."""


class ChallengeExpiredError(ChallengeError):
    """The challenge's lifetime ran out before the response arrived."""

    user_message = "The login took too long and timed out. " + _RETRY


class ChallengeSessionError(ChallengeError):
    """The challenge was issued to another browser session (forged-login CSRF)."""


class ContentBindingError(LoginError):
    """The signed content is not the bytes derived from the challenge and origin (step 3)."""

    user_message = (
        "The card signed something other than this portal's login request. Make sure you "
        "are on the portal's real address, then " + _RETRY.lower()
    )


class NonceAttributeMismatchError(ContentBindingError, cms_errors.NonceAttributeMismatchError):
    """The signed nonce attribute differs from the challenge's nonce."""


class SignerCertificateError(LoginError):
    """The signer's certificate is missing from the response (step 4)."""

    user_message = (
        "The signature does not include the card's certificate. Update the card software, "
        "then " + _RETRY.lower()
    )


class UnexpectedSignerError(SignerCertificateError, cms_errors.UnexpectedSignerError):
    """The response's certificate field is not the certificate that signed the CMS."""

    user_message = (
        "The certificate sent with the signature is not the one that made it. Update the "
        "card software, then " + _RETRY.lower()
    )


class AlgorithmRejectedError(LoginError):
    """A digest, signature algorithm or key size outside the allow-list (step 5)."""

    user_message = (
        "The card or its software uses a signature algorithm this portal no longer accepts "
        "(for example SHA-1 or a short RSA key). Renew the card or update the card software."
    )


class SignedAttributeRejectedError(LoginError):
    """A signed attribute is wrong: contentType, messageDigest or card serial (step 6)."""


class SigningTimeSkewError(SignedAttributeRejectedError, cms_errors.SigningTimeSkewError):
    """The signingTime attribute is further from the server's clock than the allowed skew."""

    user_message = "Your computer's clock is wrong. Correct the date and time, then " + (
        _RETRY.lower()
    )


class SignatureRejectedError(LoginError):
    """The signature does not verify with the signer certificate's key (step 7)."""


class CertificatePurposeError(LoginError):
    """The signer certificate is not a card's login certificate (step 8).

    ``LoginPolicy.purpose`` says which certificates are: an end-entity
    certificate with keyUsage digitalSignature, an extendedKeyUsage (if any)
    that allows client authentication or signing, and a holder that is a
    person or an organisation, not a server.
    """

    user_message = (
        "The certificate used cannot log in: it is not the signing certificate of a card "
        "issued to a person or an organisation. Sign in with your card's signing certificate."
    )


class KeyUsageRejectedError(CertificatePurposeError):
    """The certificate is the card's encryption (KEYX) certificate, not its SIGN one (step 8)."""

    user_message = (
        "The card's encryption certificate was used instead of its signing certificate. "
        "Choose the signing certificate, then " + _RETRY.lower()
    )


class CertificateValidityError(LoginError):
    """The certificate's validity period does not cover now (step 8)."""


class CertificateExpiredError(CertificateValidityError, path_errors.CertificateExpiredError):
    """The certificate has expired, or a CA certificate above it has (steps 8 and 10).

    ``expired_at`` is when the certificate that failed stopped being valid.
    """

    user_message = (
        "A certificate needed for this login has expired (the card's, or its authority's). "
        "Check your computer's date; if it is right, renew the card with its authority."
    )


class CertificateNotYetValidError(
    CertificateValidityError, path_errors.CertificateNotYetValidError
):
    """The certificate's validity has not begun; ``valid_from`` is when it does."""

    user_message = (
        "A certificate needed for this login is not valid yet (the card's, or its "
        "authority's). Check your computer's date, or wait until the certificate's start date."
    )


class PolicyRejectedError(LoginError):
    """The certificate is genuine but not one this portal admits (step 9)."""

    user_message = "This portal does not accept this kind of card."


class CertificateProfileError(PolicyRejectedError):
    """The certificate breaks the Taiwan GPKI profile: its identity is repeated, padded,
    contradictory or unreadable, so no one reading of it can be trusted (step 8)."""

    user_message = (
        "The card's certificate cannot be read as a Taiwan government card certificate, so "
        "the portal cannot tell who it belongs to. Contact the card's certification authority."
    )


class AuthorityNotAllowedError(PolicyRejectedError):
    """The certificate's authority (XCA, GCA, MOICA, MOEACA) is not allowed here."""

    user_message = (
        "This portal does not accept cards from this authority (for example, it admits only "
        "organisation (XCA) cards). Use a card of an accepted kind."
    )


class CertificatePolicyNotAllowedError(PolicyRejectedError):
    """None of the certificate's policy OIDs is allowed here."""


class IdentityMissingError(PolicyRejectedError):
    """The portal needs an identity field (統一編號) that the certificate does not carry."""


class UntrustedSignerError(LoginError):
    """The certificate does not chain to the portal's trust anchors (step 10)."""

    user_message = "The card's certificate was not issued by an authority this portal trusts."


class RevocationRejectedError(LoginError):
    """The certificate's revocation status forbids the login (step 11)."""


class CertificateRevokedError(RevocationRejectedError, path_errors.CertificateRevokedError):
    """The certificate, or a CA above it, is revoked; ``status`` says why and since when."""

    user_message = (
        "The card's certificate, or its authority's, has been revoked. Contact the card's "
        "certification authority."
    )


class RevocationUnknownError(CertificateRevokedError, path_errors.RevocationUnknownError):
    """The OCSP responder answered "unknown", which counts as revoked."""

    user_message = (
        "The card's certification authority does not know this certificate, so it cannot "
        "log in. Contact the card's certification authority."
    )

    def __init__(
        self, message: str, *, certificate: x509.Certificate | None, status: RevocationStatus
    ) -> None:
        # Both crypto parents take their own keywords; set them here, then go on past them.
        super(path_errors.RevocationUnknownError, self).__init__(message)
        self.certificate = certificate
        self.status = status


class RevocationCheckError(RevocationRejectedError):
    """No usable OCSP or CRL answer: unreachable, stale, or signed by an unauthorised party."""

    user_message = (
        "The portal could not confirm that the card's certificate is still valid. Try again later."
    )


RENAMED: Final[Mapping[str, type[LoginError]]] = {
    "ExpiredCertificateError": CertificateExpiredError,
    "NotYetValidCertificateError": CertificateNotYetValidError,
    "RevokedCertificateError": CertificateRevokedError,
    "SignedAttributesError": SignedAttributeRejectedError,
    "NonceMismatchError": NonceAttributeMismatchError,
    "CertificateFieldMismatchError": UnexpectedSignerError,
    "SigningTimeError": SigningTimeSkewError,
    "UnknownCertificateStatusError": RevocationUnknownError,
}
"""Old name -> class, importable with a ``DeprecationWarning`` until the next release."""

__getattr__ = renamed_names(__name__, RENAMED)
