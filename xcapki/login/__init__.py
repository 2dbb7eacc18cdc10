"""Portal login protocol: challenges, the client response, the server verifier, stores.

A portal backend builds one ``PortalLogin`` (or a ``ChallengeIssuer`` and a
``LoginVerifier``), issues a ``Challenge`` per login attempt, and verifies
the page's POSTed response into a ``VerifiedLogin``; every refusal is a
``LoginError`` subclass. The card side answers with ``respond``. See
docs/login.md. ``RedisChallengeStore`` lives in ``xcapki.login.redis_store``
so that the redis package stays optional.
"""

from __future__ import annotations

from xcapki._renamed import renamed_names
from xcapki.login.challenge import (
    DEFAULT_CHALLENGE_TTL,
    MIN_NONCE_BYTES,
    Challenge,
    ChallengeRecord,
    Clock,
    login_message,
    normalise_origin,
    system_clock,
)
from xcapki.login.client import respond
from xcapki.login.errors import (
    RENAMED,
    AlgorithmRejectedError,
    AuthorityNotAllowedError,
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificatePolicyNotAllowedError,
    CertificateProfileError,
    CertificatePurposeError,
    CertificateRevokedError,
    CertificateValidityError,
    ChallengeError,
    ChallengeExpiredError,
    ChallengeSessionError,
    ChallengeStoreError,
    ChallengeStoreFullError,
    ChallengeUnknownError,
    ContentBindingError,
    IdentityMissingError,
    KeyUsageRejectedError,
    LoginConfigurationError,
    LoginError,
    NonceAttributeMismatchError,
    PolicyRejectedError,
    ResponseMalformedError,
    ResponseSizeError,
    RevocationCheckError,
    RevocationRejectedError,
    RevocationUnknownError,
    SignatureRejectedError,
    SignedAttributeRejectedError,
    SignerCertificateError,
    SigningTimeSkewError,
    UnexpectedSignerError,
    UntrustedSignerError,
)
from xcapki.login.issuer import ChallengeIssuer
from xcapki.login.policy import (
    ANY_CERTIFICATE_POLICY,
    CARD_LOGIN_PURPOSE,
    CPA_FILING_POLICY,
    DEFAULT_LOGIN_POLICY,
    AnyCertificatePolicy,
    LoginPolicy,
    PurposeRule,
)
from xcapki.login.portal import PortalLogin
from xcapki.login.stores import ChallengeStore, MemoryChallengeStore
from xcapki.login.verifier import LoginIdentity, LoginVerifier, VerifiedLogin
from xcapki.login.wire import (
    MAX_RESPONSE_BYTES,
    MIN_RESPONSE_BYTES,
    LoginResponse,
    ResponseFormat,
    parse_response,
)

__all__ = [
    "ANY_CERTIFICATE_POLICY",
    "CARD_LOGIN_PURPOSE",
    "CPA_FILING_POLICY",
    "DEFAULT_CHALLENGE_TTL",
    "DEFAULT_LOGIN_POLICY",
    "MAX_RESPONSE_BYTES",
    "MIN_NONCE_BYTES",
    "MIN_RESPONSE_BYTES",
    "AlgorithmRejectedError",
    "AnyCertificatePolicy",
    "AuthorityNotAllowedError",
    "CertificateExpiredError",
    "CertificateNotYetValidError",
    "CertificatePolicyNotAllowedError",
    "CertificateProfileError",
    "CertificatePurposeError",
    "CertificateRevokedError",
    "CertificateValidityError",
    "Challenge",
    "ChallengeError",
    "ChallengeExpiredError",
    "ChallengeIssuer",
    "ChallengeRecord",
    "ChallengeSessionError",
    "ChallengeStore",
    "ChallengeStoreError",
    "ChallengeStoreFullError",
    "ChallengeUnknownError",
    "Clock",
    "ContentBindingError",
    "IdentityMissingError",
    "KeyUsageRejectedError",
    "LoginConfigurationError",
    "LoginError",
    "LoginIdentity",
    "LoginPolicy",
    "LoginResponse",
    "LoginVerifier",
    "MemoryChallengeStore",
    "NonceAttributeMismatchError",
    "PolicyRejectedError",
    "PortalLogin",
    "PurposeRule",
    "ResponseFormat",
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
    "VerifiedLogin",
    "login_message",
    "normalise_origin",
    "parse_response",
    "respond",
    "system_clock",
]

__getattr__ = renamed_names(__name__, RENAMED)
