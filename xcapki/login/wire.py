"""The login response on the wire: one JSON envelope, three signature shapes.

The login page POSTs one JSON object naming the challenge it answers and
carrying the card's signature in one of three shapes (docs/login.md):

- ``xcapki``: ``cms`` holds an attached CMS SignedData (base64 DER);
- ``hipki``: ``hipki`` holds the HiPKI local server's sign response as the
  server returned it (``signature`` attached PKCS7, ``certb64``);
- ``smartpki``: ``signature`` holds a detached CMS without signed
  attributes, ``certificate`` the signer certificate.

Parsing is strict: size bounds before anything else, no duplicate or
unknown keys, strict base64. Every failure is a ``ResponseMalformedError``.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from xcapki.login.challenge import CHALLENGE_ID_PATTERN
from xcapki.login.errors import ResponseMalformedError, ResponseSizeError

__all__ = [
    "MAX_CMS_BYTES",
    "MAX_RESPONSE_BYTES",
    "MIN_RESPONSE_BYTES",
    "WIRE_VERSION",
    "LoginResponse",
    "ResponseFormat",
    "parse_response",
]

MIN_RESPONSE_BYTES: Final = 100
MAX_RESPONSE_BYTES: Final = 64 * 1024
MAX_CMS_BYTES: Final = 48 * 1024
WIRE_VERSION: Final = 1

_HIPKI_SIGN: Final = "sign"


class ResponseFormat(enum.Enum):
    """The shape of the signature inside a login response; the value is its wire name."""

    XCAPKI = "xcapki"
    """Attached CMS with signingTime, nonce, signingCertificateV2, algorithm protection."""
    HIPKI = "hipki"
    """The HiPKI local server's PKCS7: attached, signingTime and nonce attributes."""
    SMARTPKI = "smartpki"
    """The SmartPKI extension's shape: detached, no signed attributes."""


_KEYS: Final = {
    ResponseFormat.XCAPKI: (frozenset({"cms"}), frozenset()),
    ResponseFormat.HIPKI: (frozenset({"hipki"}), frozenset()),
    ResponseFormat.SMARTPKI: (frozenset({"signature"}), frozenset({"certificate"})),
}
_ENVELOPE: Final = frozenset({"version", "format", "challenge_id"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResponse:
    """A parsed login response: which challenge it answers and the signature's bytes.

    ``certificate`` is the DER of the separate certificate field (HiPKI
    ``certb64``, SmartPKI ``certificate``), None when the shape has none.
    ``card_serial`` is HiPKI's unsigned ``cardSN``, kept for display only.
    """

    format: ResponseFormat
    challenge_id: str
    cms: bytes
    certificate: bytes | None = None
    card_serial: str | None = None

    def to_json(self) -> str:
        """The envelope a login page POSTs to the portal."""
        body: dict[str, Any] = {
            "version": WIRE_VERSION,
            "format": self.format.value,
            "challenge_id": self.challenge_id,
        }
        if self.format is ResponseFormat.XCAPKI:
            body["cms"] = _b64(self.cms)
        elif self.format is ResponseFormat.HIPKI:
            hipki: dict[str, Any] = {
                "func": _HIPKI_SIGN,
                "ret_code": 0,
                "last_error": 0,
                "signature": _b64(self.cms),
            }
            if self.certificate is not None:
                hipki["certb64"] = _b64(self.certificate)
            if self.card_serial is not None:
                hipki["cardSN"] = self.card_serial
            body["hipki"] = hipki
        else:
            body["signature"] = _b64(self.cms)
            if self.certificate is not None:
                body["certificate"] = _b64(self.certificate)
        return json.dumps(body, separators=(",", ":"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def parse_response(body: bytes | str) -> LoginResponse:
    """Parse a login page's POST body, or raise the ``ResponseMalformedError`` naming why."""
    try:
        raw = body.encode("utf-8") if isinstance(body, str) else body
    except UnicodeEncodeError as exc:
        raise ResponseMalformedError(
            f"the login response text is not valid Unicode ({exc.reason}); "
            "pass the POST body's bytes"
        ) from exc
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise ResponseMalformedError(
            f"the login response must be bytes or text, not {type(body).__name__}"
        )
    if not MIN_RESPONSE_BYTES <= len(raw) <= MAX_RESPONSE_BYTES:
        raise ResponseSizeError(
            f"the login response is {len(raw)} bytes; a genuine one has between "
            f"{MIN_RESPONSE_BYTES} and {MAX_RESPONSE_BYTES}"
        )
    try:
        data = json.loads(bytes(raw), object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ResponseMalformedError(
            f"the login response is not JSON ({exc.msg} at character {exc.pos})"
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ResponseMalformedError(
            "the login response is not JSON this verifier reads (too deeply nested, or a "
            "number too long)"
        ) from exc
    if not isinstance(data, dict):
        raise ResponseMalformedError("the login response must be a JSON object")
    if data.get("version") != WIRE_VERSION or type(data.get("version")) is not int:
        raise ResponseMalformedError(
            f"the login response has version {data.get('version')!r}; this verifier reads "
            f"version {WIRE_VERSION}"
        )
    try:
        form = ResponseFormat(data.get("format"))
    except ValueError:
        raise ResponseMalformedError(
            f"the login response's format {data.get('format')!r} is not one of "
            f"{', '.join(f.value for f in ResponseFormat)}"
        ) from None
    required, optional = _KEYS[form]
    keys = frozenset(data)
    if not (_ENVELOPE | required) <= keys or keys - _ENVELOPE - required - optional:
        raise ResponseMalformedError(
            f"a {form.value} login response has exactly the keys "
            f"{sorted(_ENVELOPE | required)} (optionally {sorted(optional)}), not {sorted(keys)}"
        )
    challenge_id = data["challenge_id"]
    if not isinstance(challenge_id, str) or CHALLENGE_ID_PATTERN.fullmatch(challenge_id) is None:
        raise ResponseMalformedError("the login response's challenge_id is not a challenge id")
    if form is ResponseFormat.XCAPKI:
        return LoginResponse(format=form, challenge_id=challenge_id, cms=_cms(data, "cms"))
    if form is ResponseFormat.SMARTPKI:
        return LoginResponse(
            format=form,
            challenge_id=challenge_id,
            cms=_cms(data, "signature"),
            certificate=_certificate(data, "certificate"),
        )
    return _hipki(data["hipki"], challenge_id)


def _hipki(hipki: object, challenge_id: str) -> LoginResponse:
    if not isinstance(hipki, dict):
        raise ResponseMalformedError("the hipki field must be the local server's JSON object")
    func = hipki.get("func", _HIPKI_SIGN)
    if func != _HIPKI_SIGN:
        raise ResponseMalformedError(f"the HiPKI answer is {func!r}, not a sign response")
    ret_code = hipki.get("ret_code", 0)
    if type(ret_code) is not int:
        raise ResponseMalformedError("the HiPKI answer's ret_code is not an integer")
    if ret_code != 0:
        raise ResponseMalformedError(
            f"the HiPKI server reported error {_hipki_code(ret_code)} instead of a signature; "
            "the login page must show that error instead of posting it"
        )
    card_serial = hipki.get("cardSN")
    if card_serial is not None and not isinstance(card_serial, str):
        raise ResponseMalformedError("the HiPKI cardSN must be a string")
    return LoginResponse(
        format=ResponseFormat.HIPKI,
        challenge_id=challenge_id,
        cms=_cms(hipki, "signature"),
        certificate=_certificate(hipki, "certb64", required=True),
        card_serial=card_serial or None,
    )


def _hipki_code(code: int) -> str:
    """A HiPKI return code as its documentation writes it: 0x76000031, not 1979711537."""
    return f"0x{code:08X}" if code >= 0 else str(code)


def _cms(data: Mapping[str, object], key: str) -> bytes:
    der = _base64(data, key)
    if len(der) > MAX_CMS_BYTES:
        raise ResponseSizeError(
            f"the signature in {key!r} is {len(der)} bytes, above the limit of {MAX_CMS_BYTES}"
        )
    return der


def _certificate(data: Mapping[str, object], key: str, *, required: bool = False) -> bytes | None:
    if key not in data and not required:
        return None
    return _base64(data, key)


def _base64(data: Mapping[str, object], key: str) -> bytes:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ResponseMalformedError(f"the field {key!r} must be a non-empty base64 string")
    try:
        return base64.b64decode(value.replace("\r\n", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ResponseMalformedError(f"the field {key!r} is not standard base64") from exc


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")
