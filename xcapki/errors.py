"""The root of every error xcapki raises, and the whole tree below it.

Callers catch one type per layer; no dependency's exception type ever escapes
xcapki. Each layer keeps its subtree in its ``errors`` module, which draws it
again with a line on each class. The drawing below shows every class: a
module on a line is where that class and, unless they name another, the
classes drawn under it are defined; ``also X`` marks a class that subclasses
a second parent, the class of the same name in a lower layer, so one failure
keeps one name from the layer that finds it to the layer that reports it
(tests/test_error_tree.py checks the drawing against the classes)::

    XcapkiError    xcapki.errors
    ├── ReaderError                                 xcapki.reader.errors
    │   ├── PcscServiceUnavailableError
    │   │   └── PcscLibraryMissingError
    │   ├── NoReaderError
    │   ├── ReaderGoneError
    │   ├── NoCardError
    │   ├── CardRemovedError
    │   ├── CardResetError
    │   ├── CardInUseError
    │   ├── CardCommunicationError
    │   ├── EventWaitTimeout
    │   ├── WaitCancelledError
    │   ├── AtrFormatError
    │   ├── ApduFormatError
    │   ├── ApduError
    │   └── PcscError
    ├── TokenError                                  xcapki.token.errors
    │   ├── ModuleError
    │   │   └── HicosModuleMissingError             xcapki.token.discovery
    │   ├── TokenNotFoundError
    │   ├── AmbiguousTokenError
    │   ├── TokenRemovedError
    │   ├── DeviceError
    │   ├── MechanismError
    │   ├── DataError
    │   ├── ObjectError
    │   │   ├── ObjectNotFoundError
    │   │   └── AmbiguousObjectError
    │   ├── SessionError
    │   ├── OperationCancelledError
    │   ├── NotSupportedError
    │   └── PinError
    │       ├── PinIncorrectError
    │       ├── PinLockedError
    │       ├── PinFormatError
    │       ├── PinExpiredError
    │       ├── PinNotInitializedError
    │       ├── FinalTryRefusedError
    │       └── PinUnavailableError
    ├── CryptoError                                 xcapki.crypto.errors
    │   ├── CmsError
    │   │   ├── CmsUsageError                       xcapki.crypto.cms.errors
    │   │   ├── CmsMalformedError                   xcapki.crypto.cms.errors
    │   │   │   ├── NotCmsError
    │   │   │   ├── CmsTooLargeError
    │   │   │   ├── CmsSignerCountError
    │   │   │   └── SignedAttributeError
    │   │   ├── CmsContentTypeError                 xcapki.crypto.cms.errors
    │   │   ├── ContentTypeAttributeError           xcapki.crypto.cms.errors
    │   │   ├── DetachedContentMissingError         xcapki.crypto.cms.errors
    │   │   ├── ContentMismatchError                xcapki.crypto.cms.errors
    │   │   │   └── NonceAttributeMismatchError
    │   │   ├── SignerCertificateMissingError       xcapki.crypto.cms.errors
    │   │   ├── UnexpectedSignerError               xcapki.crypto.cms.errors
    │   │   ├── SigningCertificateMismatchError     xcapki.crypto.cms.errors
    │   │   ├── AlgorithmNotAllowedError            xcapki.crypto.cms.errors
    │   │   │   ├── WeakKeyError
    │   │   │   └── PssParametersError
    │   │   ├── AlgorithmProtectionMismatchError    xcapki.crypto.cms.errors
    │   │   ├── SigningTimeSkewError                xcapki.crypto.cms.errors
    │   │   ├── MessageDigestMismatchError          xcapki.crypto.cms.errors
    │   │   └── SignatureInvalidError               xcapki.crypto.cms.errors
    │   ├── CertificateError
    │   ├── TrustStoreError
    │   ├── PathValidationError
    │   │   ├── RevocationError
    │   │   │   ├── CertificateRevokedError         xcapki.crypto.validation.errors
    │   │   │   ├── RevocationUnknownError          xcapki.crypto.validation.errors
    │   │   │   ├── RevocationUnavailableError      xcapki.crypto.validation.errors
    │   │   │   │   └── CrlTooLargeError            xcapki.crypto.validation.errors
    │   │   │   ├── StaleRevocationError            xcapki.crypto.validation.errors
    │   │   │   └── UntrustedRevocationError        xcapki.crypto.validation.errors
    │   │   ├── PathBuildingError                   xcapki.crypto.validation.errors
    │   │   │   └── UntrustedRootError
    │   │   ├── CertificateExpiredError             xcapki.crypto.validation.errors
    │   │   ├── CertificateNotYetValidError         xcapki.crypto.validation.errors
    │   │   └── InvalidPathError                    xcapki.crypto.validation.errors
    │   │       └── WeakAlgorithmError
    │   ├── EnvelopeError
    │   │   ├── EnvelopeUsageError                  xcapki.crypto.cms._envelope
    │   │   └── DecryptionError                     xcapki.crypto.cms._envelope
    │   ├── ValidatorUsageError                     xcapki.crypto.validation.errors
    │   └── KeySignerError                          xcapki.crypto.key_signer
    ├── LoginError                                  xcapki.login.errors
    │   ├── LoginConfigurationError
    │   ├── ChallengeStoreError
    │   │   └── ChallengeStoreFullError
    │   ├── ResponseMalformedError
    │   │   ├── ResponseSizeError
    │   │   ├── TokenFormatError                    xcapki.login.webeid.errors
    │   │   └── CertificateDecodingError            xcapki.login.webeid.errors
    │   ├── ChallengeError
    │   │   ├── ChallengeUnknownError
    │   │   ├── ChallengeExpiredError
    │   │   └── ChallengeSessionError
    │   ├── ContentBindingError
    │   │   └── NonceAttributeMismatchError         also NonceAttributeMismatchError
    │   ├── SignerCertificateError
    │   │   └── UnexpectedSignerError               also UnexpectedSignerError
    │   ├── AlgorithmRejectedError
    │   ├── SignedAttributeRejectedError
    │   │   └── SigningTimeSkewError                also SigningTimeSkewError
    │   ├── SignatureRejectedError
    │   ├── CertificatePurposeError
    │   │   └── KeyUsageRejectedError
    │   │       ├── CertificatePurposeMissingError  xcapki.login.webeid.errors
    │   │       └── ExtendedKeyUsageRejectedError   xcapki.login.webeid.errors
    │   ├── CertificateValidityError
    │   │   ├── CertificateExpiredError             also CertificateExpiredError
    │   │   └── CertificateNotYetValidError         also CertificateNotYetValidError
    │   ├── PolicyRejectedError
    │   │   ├── CertificateProfileError
    │   │   ├── AuthorityNotAllowedError
    │   │   ├── CertificatePolicyNotAllowedError
    │   │   │   └── DisallowedPolicyError           xcapki.login.webeid.errors
    │   │   └── IdentityMissingError
    │   ├── UntrustedSignerError
    │   └── RevocationRejectedError
    │       ├── CertificateRevokedError             also CertificateRevokedError
    │       │   └── RevocationUnknownError          also RevocationUnknownError
    │       └── RevocationCheckError
    ├── ServiceError                                xcapki.service.errors
    │   ├── ServiceConfigError
    │   ├── TrustListError
    │   └── HipkiError
    ├── CliError                                    xcapki.cli.errors
    │   ├── ArgumentValueError
    │   ├── InputFileError
    │   ├── OutputFileError
    │   ├── ExtraMissingError
    │   ├── ServiceUnavailableError
    │   └── PinMismatchError
    ├── NativeHostError                             xcapki.nativehost.errors
    │   ├── FramingError
    │   ├── InvalidArgumentError
    │   ├── OriginRefusedError
    │   ├── NoCardError                             also NoCardError
    │   ├── UserCancelledError
    │   ├── UserTimeoutError
    │   └── PinentryError
    ├── PdfError                                    xcapki.pdf.errors
    │   ├── PdfFormatError
    │   ├── PdfUsageError
    │   └── PdfSigningError
    │       └── TimestampError
    ├── DemoError                                   xcapki.demo.errors
    │   ├── DemoSetupError
    │   └── DemoLoginError
    └── TestingError                                xcapki.testing.errors
        ├── ToolMissingError
        ├── ToolFailedError
        ├── RedisTopologyError                      xcapki.testing.redis_servers
        └── PcscdStartError                         xcapki.testing.pcscd

Messages name the problem and the remedy, and never contain a PIN.
"""

from __future__ import annotations

__all__ = ["XcapkiError"]


class XcapkiError(Exception):
    """Base of every xcapki error; its message names the problem and the remedy."""
