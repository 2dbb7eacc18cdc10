"""The CMS errors: one class per reason a signature is refused.

A login verifier maps them all to one generic answer and logs the class, so
every check below has its own type::

    CmsError                          xcapki.crypto.errors
    ├── CmsUsageError                 options that contradict each other
    ├── CmsMalformedError             not strict DER CMS SignedData
    │   ├── NotCmsError               not a CMS at all (a document, a certificate, empty)
    │   ├── CmsTooLargeError
    │   ├── CmsSignerCountError       not exactly one SignerInfo
    │   └── SignedAttributeError      missing, repeated or unreadable attribute
    ├── CmsContentTypeError           outer or inner content type not allowed
    ├── ContentTypeAttributeError     contentType attribute disagrees
    ├── DetachedContentMissingError
    ├── ContentMismatchError          attached content differs from the expected
    │   └── NonceAttributeMismatchError   the signed nonce is not the expected one
    ├── SignerCertificateMissingError
    ├── UnexpectedSignerError         signed by another certificate than the expected one
    ├── SigningCertificateMismatchError  signingCertificate(V2) names another cert
    ├── AlgorithmNotAllowedError
    │   ├── WeakKeyError
    │   └── PssParametersError
    ├── AlgorithmProtectionMismatchError
    ├── SigningTimeSkewError
    ├── MessageDigestMismatchError
    └── SignatureInvalidError
"""

from __future__ import annotations

from xcapki.crypto.errors import CmsError

__all__ = [
    "AlgorithmNotAllowedError",
    "AlgorithmProtectionMismatchError",
    "CmsContentTypeError",
    "CmsError",
    "CmsMalformedError",
    "CmsSignerCountError",
    "CmsTooLargeError",
    "CmsUsageError",
    "ContentMismatchError",
    "ContentTypeAttributeError",
    "DetachedContentMissingError",
    "MessageDigestMismatchError",
    "NonceAttributeMismatchError",
    "NotCmsError",
    "PssParametersError",
    "SignatureInvalidError",
    "SignedAttributeError",
    "SignerCertificateMissingError",
    "SigningCertificateMismatchError",
    "SigningTimeSkewError",
    "UnexpectedSignerError",
    "WeakKeyError",
]


class CmsUsageError(CmsError):
    """Options to sign_cms or verify_cms that contradict each other or the key."""


class CmsMalformedError(CmsError):
    """The input is not a strict DER ContentInfo holding one SignedData."""


class NotCmsError(CmsMalformedError):
    """The input is no CMS ContentInfo at all: empty, a document, a certificate."""


class CmsTooLargeError(CmsMalformedError):
    """The input is larger than the verifier's size bound."""


class CmsSignerCountError(CmsMalformedError):
    """The SignedData holds no SignerInfo, or more than one."""


class SignedAttributeError(CmsMalformedError):
    """A required signed attribute is missing, repeated or unreadable."""


class CmsContentTypeError(CmsError):
    """The ContentInfo is not signedData, or the signed content is not id-data."""


class ContentTypeAttributeError(CmsError):
    """The contentType signed attribute differs from the encapsulated content type."""


class DetachedContentMissingError(CmsError):
    """The signature is detached and the caller gave no content to check it against."""


class ContentMismatchError(CmsError):
    """The attached content differs from the content the caller expected."""


class NonceAttributeMismatchError(ContentMismatchError):
    """The signed nonce attribute (HiPKI) differs from the nonce the caller expected."""


class SignerCertificateMissingError(CmsError):
    """No certificate matches the SignerInfo's signer identifier."""


class UnexpectedSignerError(CmsError):
    """The signer is another certificate than the one the caller said must have signed."""


class SigningCertificateMismatchError(CmsError):
    """The signingCertificate(V2) attribute names a different certificate."""


class AlgorithmNotAllowedError(CmsError):
    """A digest, signature algorithm, key type or curve outside the policy."""


class WeakKeyError(AlgorithmNotAllowedError):
    """The signer's RSA key is shorter than the policy's minimum."""


class PssParametersError(AlgorithmNotAllowedError):
    """RSASSA-PSS parameters are missing or disagree with the digest algorithm."""


class AlgorithmProtectionMismatchError(CmsError):
    """The CMSAlgorithmProtection attribute names other algorithms than the SignerInfo."""


class SigningTimeSkewError(CmsError):
    """The signingTime attribute is too far from the verifier's clock."""


class MessageDigestMismatchError(CmsError):
    """The messageDigest attribute does not match the content's digest."""


class SignatureInvalidError(CmsError):
    """The signature does not verify with the signer certificate's public key."""
