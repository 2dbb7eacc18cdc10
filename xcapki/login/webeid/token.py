"""The ``web-eid:1.0`` authentication token: its fields, algorithms and signed bytes.

The card signs ``H(origin) || H(nonce)`` where H is the algorithm's hash,
``origin`` the page's serialised origin and ``nonce`` the challenge nonce
string's UTF-8 bytes (not base64-decoded). The token names neither: the
validator puts in the origin it is configured with and the nonce it stored,
so a token made for another site or another challenge does not verify.
Both sides (the native host that signs, the validator that checks) derive
the bytes from ``signed_payload``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.login.challenge import Challenge
from xcapki.login.errors import ResponseMalformedError, ResponseSizeError
from xcapki.login.webeid.errors import CertificateDecodingError, TokenFormatError

__all__ = [
    "FORMAT_PREFIX",
    "MAX_TOKEN_CHARS",
    "MIN_TOKEN_CHARS",
    "WEB_EID_FORMAT",
    "AuthToken",
    "WebEidAlgorithm",
    "challenge_nonce",
    "parse_token",
    "signed_payload",
]

WEB_EID_FORMAT: Final = "web-eid:1.0"
FORMAT_PREFIX: Final = "web-eid:1"
MIN_TOKEN_CHARS: Final = 100
MAX_TOKEN_CHARS: Final = 10_000


class WebEidAlgorithm(enum.Enum):
    """A JWS-style signature algorithm name, as tokens carry it."""

    ES256 = "ES256"
    ES384 = "ES384"
    ES512 = "ES512"
    PS256 = "PS256"
    PS384 = "PS384"
    PS512 = "PS512"
    RS256 = "RS256"
    RS384 = "RS384"
    RS512 = "RS512"

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        """The digest named by the number (256, 384, 512)."""
        return _HASH_BY_BITS[self.value[2:]]

    @property
    def scheme(self) -> SignatureScheme:
        """ECDSA for ES, RSA-PSS for PS, RSA PKCS#1 v1.5 for RS."""
        return _SCHEME_BY_PREFIX[self.value[:2]]

    @classmethod
    def for_key(cls, scheme: SignatureScheme, hash_algorithm: HashAlgorithm) -> WebEidAlgorithm:
        """The algorithm of ``scheme`` with ``hash_algorithm`` (SHA-256/384/512 only)."""
        for member in cls:
            if member.scheme is scheme and member.hash_algorithm is hash_algorithm:
                return member
        raise ValueError(f"Web eID has no algorithm for {scheme.value} with {hash_algorithm.value}")


_HASH_BY_BITS: Final = {
    "256": HashAlgorithm.SHA256,
    "384": HashAlgorithm.SHA384,
    "512": HashAlgorithm.SHA512,
}
_SCHEME_BY_PREFIX: Final = {
    "ES": SignatureScheme.ECDSA,
    "PS": SignatureScheme.RSA_PSS,
    "RS": SignatureScheme.RSA_PKCS1V15,
}
_HASHLIB: Final = {
    HashAlgorithm.SHA256: hashlib.sha256,
    HashAlgorithm.SHA384: hashlib.sha384,
    HashAlgorithm.SHA512: hashlib.sha512,
}


def signed_payload(origin: str, nonce: str, hash_algorithm: HashAlgorithm) -> bytes:
    """``H(origin) || H(nonce)``: what the card signs (hashing it once more) for a token."""
    digest = _HASHLIB.get(hash_algorithm)
    if digest is None:
        raise ValueError(f"Web eID tokens are not signed with {hash_algorithm.value}")
    return digest(origin.encode("ascii")).digest() + digest(nonce.encode("utf-8")).digest()


def challenge_nonce(challenge: Challenge) -> str:
    """The ``challengeNonce`` a page passes to ``authenticate``: the nonce in standard base64.

    ``Challenge`` nonces are 32 random bytes, so this is the 44-character
    string Web eID expects.
    """
    return base64.b64encode(challenge.nonce).decode("ascii")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthToken:
    """A parsed token: nothing in it is trusted until the validator says so.

    ``algorithm`` and ``signature`` are the texts as sent (empty when
    absent); the validator decides in its last step whether they name an
    allowed ``WebEidAlgorithm`` and hold base64 (raw ``r || s`` for ES).
    """

    format: str
    certificate_der: bytes
    algorithm: str
    signature: str
    app_version: str | None


def parse_token(token: str | bytes | dict[str, Any]) -> AuthToken:
    """Steps 1 and 2 of the reference: size, JSON, format, the certificate's base64.

    Unknown fields are ignored, as Web eID's validators do. ``signature`` and
    ``algorithm`` are only checked to be strings here; their content is step 7's.
    """
    data = _load(token)
    form = data.get("format")
    if not isinstance(form, str) or not form.startswith(FORMAT_PREFIX):
        raise TokenFormatError(
            f"the token's format {form!r} is not {WEB_EID_FORMAT!r}; use a Web eID 1.x component"
        )
    certificate = data.get("unverifiedCertificate")
    if not isinstance(certificate, str) or not certificate:
        raise CertificateDecodingError("the token has no unverifiedCertificate")
    try:
        certificate_der = base64.b64decode(certificate, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateDecodingError(
            f"the token's unverifiedCertificate is not base64 ({exc})"
        ) from exc
    algorithm = data.get("algorithm", "")
    signature = data.get("signature", "")
    app_version = data.get("appVersion")
    if not isinstance(algorithm, str) or not isinstance(signature, str):
        raise ResponseMalformedError("the token's algorithm and signature must be strings")
    return AuthToken(
        format=form,
        certificate_der=certificate_der,
        algorithm=algorithm,
        signature=signature,
        app_version=app_version if isinstance(app_version, str) else None,
    )


def _load(token: str | bytes | dict[str, Any]) -> dict[str, Any]:
    if isinstance(token, dict):
        try:
            text = json.dumps(token, separators=(",", ":"))
        except (TypeError, ValueError, RecursionError) as exc:
            raise ResponseMalformedError(
                f"the token dict is not JSON ({type(exc).__name__}); pass the parsed JSON body"
            ) from exc
    elif isinstance(token, bytes):
        try:
            text = token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ResponseMalformedError(f"the token is not UTF-8 ({exc.reason})") from exc
    elif isinstance(token, str):
        text = token
    else:
        raise ResponseMalformedError(f"the token must be JSON text, not {type(token).__name__}")
    if not MIN_TOKEN_CHARS <= len(text) <= MAX_TOKEN_CHARS:
        raise ResponseSizeError(
            f"the token is {len(text)} characters; a genuine one has between {MIN_TOKEN_CHARS} "
            f"and {MAX_TOKEN_CHARS}"
        )
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ResponseMalformedError(f"the token is not JSON ({type(exc).__name__})") from exc
    if not isinstance(data, dict):
        raise ResponseMalformedError("the token must be a JSON object")
    return data
