"""The HiPKI wire format: reading ``tbsPackage`` and writing the JSON answers.

Pages URL-encode ``tbs`` and ``pin`` before putting them in the JSON, so both
are percent-decoded here; everything else is taken as sent. Any malformed
field is refused with ``BAD_REQUEST`` naming the field, before a card is
touched.
"""

from __future__ import annotations

import base64
import binascii
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from xcapki.algorithms import HashAlgorithm
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.limits import ServiceLimits, check_length, load_json
from xcapki.token.pin import Pin

__all__ = [
    "CipherType",
    "DecryptRequest",
    "PackageFunction",
    "SignRequest",
    "SignatureType",
    "answer",
    "package_function",
    "parse_decrypt_request",
    "parse_form",
    "parse_sign_request",
    "parse_tbs_package",
]


class PackageFunction(enum.Enum):
    """The ``func`` of a request package (popupForm relays all four)."""

    MAKE_SIGNATURE = "MakeSignature"
    GET_USER_CERT = "GetUserCert"
    CHECK_ENVIR = "CheckEnvir"
    DECRYPT_DATA = "DecryptData"


class SignatureType(enum.Enum):
    """``signatureType``: an attached CMS SignedData, the bare signature of ``tbs``, or the
    bare signature of a digest the page computed (``tbs`` is then that digest)."""

    PKCS7 = "PKCS7"
    PKCS1 = "PKCS1"
    RAW = "RAW"


@dataclass(frozen=True, slots=True, kw_only=True)
class SignRequest:
    """A validated ``MakeSignature`` package."""

    signature_type: SignatureType
    tbs: bytes
    hash_algorithm: HashAlgorithm
    with_card_serial: bool
    pin: Pin | None = field(repr=False)
    nonce: bytes | None
    slot_description: str | int | None
    """The reader's name, or its number in pkcs11info's list (some pages send that)."""


def _bad(message: str) -> HipkiError:
    return HipkiError(message, ret_code=HipkiCode.BAD_REQUEST, http_status=400)


_DEFAULT_LIMITS = ServiceLimits()
BULK_FORM_FIELDS = frozenset({"tbsPackage"})
"""Form fields bounded only by the body size."""
BULK_PACKAGE_FIELDS = frozenset({"tbs"})
"""Package fields bounded only by the body size."""


def parse_form(body: bytes, limits: ServiceLimits = _DEFAULT_LIMITS) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (last value wins), within
    ``limits``: at most ``max_fields`` fields, each but the package within ``max_field_chars``."""
    if body.count(b"&") >= limits.max_fields:
        raise _bad(f"the form has more than {limits.max_fields} fields: send tbsPackage=<JSON>")
    try:
        text = body.decode("utf-8")
        form = dict(
            parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text), errors="strict")
        )
    except (UnicodeDecodeError, ValueError):
        raise _bad("the request body is not a URL-encoded form: send tbsPackage=<JSON>") from None
    for name, value in form.items():
        check_length(name, "a form field name", limits)
        if name not in BULK_FORM_FIELDS:
            check_length(value, name, limits)
    return form


def parse_tbs_package(text: str | None, limits: ServiceLimits = _DEFAULT_LIMITS) -> dict[str, Any]:
    """The ``tbsPackage`` JSON object, within ``limits``: nesting, number of fields, and
    every field's name and string value (except the bulk ``tbs``)."""
    if text is None:
        raise _bad("the form has no tbsPackage field: send tbsPackage=<JSON>")
    package = load_json(text, limits, "tbsPackage")
    if not isinstance(package, dict):
        raise _bad('tbsPackage is not a JSON object: send {"func": ..., ...}')
    if len(package) > limits.max_fields:
        raise _bad(f"tbsPackage has more than {limits.max_fields} fields: send only HiPKI's")
    for name, value in package.items():
        check_length(name, "a tbsPackage field name", limits)
        if isinstance(value, str) and name not in BULK_PACKAGE_FIELDS:
            check_length(value, name, limits)
    return package


def package_function(package: Mapping[str, Any]) -> PackageFunction:
    """The package's ``func``."""
    value = package.get("func")
    for function in PackageFunction:
        if value == function.value:
            return function
    names = ", ".join(f.value for f in PackageFunction)
    raise _bad(f"func {value!r} is unknown: use one of {names}")


def _text(package: Mapping[str, Any], name: str) -> str | None:
    value = package.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{name} must be a string")
    return value


def _choice(package: Mapping[str, Any], name: str, default: str, allowed: dict[str, Any]) -> Any:
    value = (_text(package, name) or default).upper()
    if value not in allowed:
        raise _bad(f"{name} {value!r} is not supported: use one of {', '.join(allowed)}")
    return allowed[value]


def _flag(package: Mapping[str, Any], name: str) -> bool:
    value = package.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", ""):
        return value.lower() == "true"
    raise _bad(f'{name} must be "true" or "false"')


def _slot(package: Mapping[str, Any]) -> str | int | None:
    value = package.get("slotDescription")
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise _bad("slotDescription as a reader number must be 0 or more")
        return value
    return _text(package, "slotDescription") or None


def _percent_decoded(value: str, name: str) -> str:
    try:
        return unquote(value, errors="strict")
    except UnicodeDecodeError:
        raise _bad(f"{name} is not URL-encoded UTF-8: encode it with encodeURIComponent") from None


def parse_sign_request(package: Mapping[str, Any]) -> SignRequest:
    """A ``MakeSignature`` package as a typed request."""
    signature_type = _choice(package, "signatureType", "PKCS7", {t.value: t for t in SignatureType})
    hash_algorithm = _choice(
        package, "hashAlgorithm", "SHA256", {h.value: h for h in HashAlgorithm}
    )
    base64_encoded = _choice(package, "tbsEncoding", "NONE", {"NONE": False, "BASE64": True})
    raw_tbs = _text(package, "tbs")
    if raw_tbs is None:
        raise _bad("tbs is missing: send the data to be signed")
    tbs_text = _percent_decoded(raw_tbs, "tbs")
    if base64_encoded:
        try:
            tbs = base64.b64decode(tbs_text, validate=True)
        except (binascii.Error, ValueError):
            raise _bad("tbs is not base64 although tbsEncoding is base64") from None
    else:
        tbs = tbs_text.encode("utf-8")
    if signature_type is SignatureType.RAW and len(tbs) != hash_algorithm.digest_size:
        raise _bad(
            f"a RAW signature signs a {hash_algorithm.value} digest of"
            f" {hash_algorithm.digest_size} bytes, but tbs holds {len(tbs)}: send the digest"
            " itself (base64) with the matching hashAlgorithm"
        )
    raw_pin = _text(package, "pin")
    nonce = _text(package, "nonce")
    return SignRequest(
        signature_type=signature_type,
        tbs=tbs,
        hash_algorithm=hash_algorithm,
        with_card_serial=_flag(package, "withCardSN"),
        pin=None if raw_pin is None else Pin(_percent_decoded(raw_pin, "pin")),
        nonce=nonce.encode("utf-8") if nonce else None,
        slot_description=_slot(package),
    )


def answer(
    func: str,
    version: str,
    *,
    ret_code: HipkiCode = HipkiCode.OK,
    last_error: int = 0,
    message: str | None = None,
    **fields: object,
) -> dict[str, object]:
    """A HiPKI answer: ``func``, ``ret_code``, ``last_error``, ``version``, then the fields."""
    body: dict[str, object] = {
        "func": func,
        "ret_code": int(ret_code),
        "last_error": last_error,
        "version": version,
    }
    if message is not None:
        body["message"] = message
    body.update(fields)
    return body


class CipherType(enum.Enum):
    """``cipherType`` of DecryptData: a CMS envelope, or one raw RSA PKCS#1 v1.5 block."""

    PKCS7 = "PKCS7"
    PKCS1 = "PKCS1"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecryptRequest:
    """A validated ``DecryptData`` package."""

    cipher_type: CipherType
    cipher: bytes
    plain_base64: bool
    pin: Pin | None = field(repr=False)
    slot_description: str | None


def parse_decrypt_request(package: Mapping[str, Any]) -> DecryptRequest:
    """A ``DecryptData`` package as a typed request (``cipher`` is base64, maybe URL-encoded
    and maybe wrapped in lines)."""
    cipher_type = _choice(package, "cipherType", "PKCS7", {t.value: t for t in CipherType})
    plain_base64 = _choice(package, "plainEncoding", "NONE", {"NONE": False, "BASE64": True})
    raw_cipher = _text(package, "cipher")
    if not raw_cipher:
        raise _bad("cipher is missing: send the base64 of the data to decrypt")
    # Servers often wrap base64 at 64 columns (PEM bodies, `openssl base64`): spaces and line
    # breaks are dropped; anything else outside base64 is refused.
    text = "".join(_percent_decoded(raw_cipher, "cipher").split())
    try:
        cipher = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _bad("cipher is not base64: send the base64 of the data to decrypt") from None
    raw_pin = _text(package, "pin")
    return DecryptRequest(
        cipher_type=cipher_type,
        cipher=cipher,
        plain_base64=plain_base64,
        pin=None if raw_pin is None else Pin(_percent_decoded(raw_pin, "pin")),
        slot_description=_text(package, "slotDescription") or None,
    )
