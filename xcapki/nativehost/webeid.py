"""The Web eID native messaging commands on the card: authenticate, sign, certificates.

Arguments are checked as Web eID's own app checks them (exact key sets,
origin, nonce and digest lengths) before the card is touched. The
``origin`` argument is the one the extension took from the browser's record
of the sending page, never from the page's message.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from xcapki import __version__
from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.login import LoginConfigurationError, normalise_origin
from xcapki.login.webeid import WEB_EID_FORMAT, WebEidAlgorithm, signed_payload
from xcapki.nativehost.card import CardDesk, Operation
from xcapki.nativehost.errors import InvalidArgumentError, OriginRefusedError
from xcapki.nativehost.pinentry import PinDialog
from xcapki.token import KeyKind, TokenCertificate

__all__ = ["APP_VERSION", "WebEidCommands"]

APP_VERSION: Final = f"xcapki-native-host/{__version__}"
_MAX_ORIGIN: Final = 255
_NONCE_LENGTHS: Final = range(44, 129)
_HASH_FUNCTIONS: Final = {
    "SHA-256": HashAlgorithm.SHA256,
    "SHA-384": HashAlgorithm.SHA384,
    "SHA-512": HashAlgorithm.SHA512,
}
_KNOWN_UNSUPPORTED: Final = frozenset({"SHA-224", "SHA3-224", "SHA3-256", "SHA3-384", "SHA3-512"})
_ARGUMENTS: Final = {
    "authenticate": frozenset({"challengeNonce", "origin"}),
    "get-signing-certificate": frozenset({"origin"}),
    "sign": frozenset({"certificate", "hash", "hashFunction", "origin"}),
    "quit": frozenset(),
}


def check_origin(origin: object) -> str:
    """The origin if it is an https origin exactly as browsers serialise it."""
    if not isinstance(origin, str) or not origin or len(origin) > _MAX_ORIGIN:
        raise InvalidArgumentError("the origin must be a string of 1 to 255 characters")
    try:
        normalised = normalise_origin(origin)
    except LoginConfigurationError as exc:
        raise InvalidArgumentError(f"the origin is not an origin: {exc}") from None
    if normalised != origin or not origin.startswith("https://"):
        raise OriginRefusedError(
            f"{origin!r} is not an https origin (scheme://host[:port]): the card is only used"
            " from secure pages"
        )
    return origin


def check_arguments(command: object, arguments: object) -> dict[str, Any]:
    """The arguments of a known command, with exactly its keys (``lang`` optional)."""
    if not isinstance(command, str) or command not in _ARGUMENTS:
        raise InvalidArgumentError(f"unknown command {str(command)[:32]!r}")
    if arguments is None and command == "quit":
        return {}
    if not isinstance(arguments, dict):
        raise InvalidArgumentError(f"the arguments of {command} must be a JSON object")
    keys = set(arguments) - {"lang"}
    if keys != _ARGUMENTS[command]:
        raise InvalidArgumentError(
            f"{command} takes exactly {sorted(_ARGUMENTS[command])} (and optionally lang),"
            f" not {sorted(arguments)}"
        )
    if "lang" in arguments and not isinstance(arguments["lang"], str):
        raise InvalidArgumentError("lang must be a language code")
    return arguments


class WebEidCommands:
    """Runs one Web eID command on ``desk``'s card."""

    __slots__ = ("_desk",)

    def __init__(self, desk: CardDesk) -> None:
        self._desk = desk

    def run(self, command: str, arguments: Mapping[str, Any]) -> dict[str, Any]:
        handlers: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
            "authenticate": self.authenticate,
            "get-signing-certificate": self.get_signing_certificate,
            "sign": self.sign,
            "quit": lambda _: {},
        }
        return handlers[command](arguments)

    def authenticate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        origin = check_origin(arguments["origin"])
        nonce = arguments["challengeNonce"]
        if not isinstance(nonce, str) or len(nonce) not in _NONCE_LENGTHS:
            raise InvalidArgumentError("challengeNonce must be a string of 44 to 128 characters")
        certificate = self._desk.signing_certificate()
        algorithm = _token_algorithm(certificate)
        session = self._desk.session(Operation(origin=origin, action="log in with your card"))
        signer = session.signer(key_id=certificate.key_id)
        payload = signed_payload(origin, nonce, algorithm.hash_algorithm)
        signature = signer.sign(
            payload, hash_algorithm=algorithm.hash_algorithm, scheme=algorithm.scheme
        )
        return {
            "unverifiedCertificate": _der_b64(certificate),
            "algorithm": algorithm.value,
            "signature": _b64(_raw_if_ecdsa(signature, certificate)),
            "format": WEB_EID_FORMAT,
            "appVersion": APP_VERSION,
        }

    def get_signing_certificate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        origin = check_origin(arguments["origin"])
        certificate = self._desk.signing_certificate()
        pinentry = self._desk.pinentry
        if pinentry is not None:
            token = self._desk.token()
            pinentry.confirm(
                PinDialog(
                    title="xcapki: share certificate",
                    description=(
                        f"{origin} asks for the signing certificate of the card {token.label}"
                        f" (serial {token.serial}), to prepare a signature. Share it?"
                    ),
                    ok="Share",
                    cancel="Cancel",
                )
            )
        return {
            "certificate": _der_b64(certificate),
            "supportedSignatureAlgorithms": _supported(certificate),
        }

    def sign(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        origin = check_origin(arguments["origin"])
        name = arguments["hashFunction"]
        if not isinstance(name, str) or len(name) > 8:
            raise InvalidArgumentError("hashFunction must be a hash name of at most 8 characters")
        if name in _KNOWN_UNSUPPORTED:
            raise InvalidArgumentError(f"the card cannot sign {name} digests; use SHA-256")
        hash_algorithm = _HASH_FUNCTIONS.get(name)
        if hash_algorithm is None:
            raise InvalidArgumentError(f"{name!r} is not a hash function name")
        digest = _unb64(arguments["hash"], "hash")
        if len(digest) != hash_algorithm.digest_size:
            raise InvalidArgumentError(
                f"a {name} hash has {hash_algorithm.digest_size} bytes, not {len(digest)}"
            )
        wanted = _unb64(arguments["certificate"], "certificate")
        certificate = self._desk.signing_certificate()
        if _der(certificate) != wanted:
            raise InvalidArgumentError(
                "the card in the reader does not hold this certificate: insert the card whose"
                " certificate the site chose"
            )
        session = self._desk.session(Operation(origin=origin, action="sign a document"))
        signer = session.signer(key_id=certificate.key_id)
        scheme = _scheme(certificate)
        signature = signer.sign_digest(digest, hash_algorithm=hash_algorithm, scheme=scheme)
        return {
            "signature": _b64(_raw_if_ecdsa(signature, certificate)),
            "signatureAlgorithm": _algorithm_entry(certificate, name),
        }


def _scheme(certificate: TokenCertificate) -> SignatureScheme:
    if certificate.key_kind is KeyKind.EC:
        return SignatureScheme.ECDSA
    return SignatureScheme.RSA_PKCS1V15


def _token_algorithm(certificate: TokenCertificate) -> WebEidAlgorithm:
    """RS256 for RSA cards; ES256 or ES384 by the EC card's curve."""
    key = certificate.certificate.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        by_size = {256: HashAlgorithm.SHA256, 384: HashAlgorithm.SHA384}
        hash_algorithm = by_size.get(key.curve.key_size, HashAlgorithm.SHA512)
        return WebEidAlgorithm.for_key(SignatureScheme.ECDSA, hash_algorithm)
    return WebEidAlgorithm.RS256


def _supported(certificate: TokenCertificate) -> list[dict[str, str]]:
    return [_algorithm_entry(certificate, name) for name in _HASH_FUNCTIONS]


def _algorithm_entry(certificate: TokenCertificate, hash_name: str) -> dict[str, str]:
    if certificate.key_kind is KeyKind.EC:
        return {"cryptoAlgorithm": "ECC", "hashFunction": hash_name, "paddingScheme": "NONE"}
    return {"cryptoAlgorithm": "RSA", "hashFunction": hash_name, "paddingScheme": "PKCS1.5"}


def _raw_if_ecdsa(signature: bytes, certificate: TokenCertificate) -> bytes:
    """Web eID carries ECDSA as raw ``r || s``; the token layer returns DER."""
    key = certificate.certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return signature
    size = (key.curve.key_size + 7) // 8
    r, s = decode_dss_signature(signature)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _der(certificate: TokenCertificate) -> bytes:
    return certificate.certificate.public_bytes(serialization.Encoding.DER)


def _der_b64(certificate: TokenCertificate) -> str:
    return _b64(_der(certificate))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise InvalidArgumentError(f"{name} must be a non-empty base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgumentError(f"{name} is not base64") from None
