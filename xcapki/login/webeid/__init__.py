"""Web eID for portals: the ``web-eid:1.0`` token and its validator.

A portal issues a challenge as for the CMS login (``ChallengeIssuer``),
gives the page ``challenge_nonce(challenge)`` for the Web eID page
library's ``authenticate``, and validates the token it gets back with
``WebEidValidator``. See docs/login.md.
"""

from __future__ import annotations

from xcapki.login.webeid.errors import (
    CertificateDecodingError,
    CertificatePurposeMissingError,
    DisallowedPolicyError,
    ExtendedKeyUsageRejectedError,
    TokenFormatError,
)
from xcapki.login.webeid.token import (
    WEB_EID_FORMAT,
    AuthToken,
    WebEidAlgorithm,
    challenge_nonce,
    parse_token,
    signed_payload,
)
from xcapki.login.webeid.validator import (
    DEFAULT_DISALLOWED_POLICIES,
    WEB_EID_ALGORITHMS,
    WebEidLogin,
    WebEidRules,
    WebEidValidator,
)

__all__ = [
    "DEFAULT_DISALLOWED_POLICIES",
    "WEB_EID_ALGORITHMS",
    "WEB_EID_FORMAT",
    "AuthToken",
    "CertificateDecodingError",
    "CertificatePurposeMissingError",
    "DisallowedPolicyError",
    "ExtendedKeyUsageRejectedError",
    "TokenFormatError",
    "WebEidAlgorithm",
    "WebEidLogin",
    "WebEidRules",
    "WebEidValidator",
    "challenge_nonce",
    "parse_token",
    "signed_payload",
]
