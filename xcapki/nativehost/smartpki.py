"""The SmartPKI command sequence on the card: Initial, LoadCertificate, LoadContent, Sign, Output.

One ``SmartPkiSession`` serves one page connection. ``info`` answers the
versions the page library checks and the modulus of an RSA key made for this
session, with which the page wraps a PIN it sends (PKCS#1 v1.5 of the PIN
followed by ``_PKI``). The page's PIN is ignored and the host asks in its
own dialog, unless the host runs in the compatible mode (``accept_page_pin``):
then the page's PIN is unwrapped and used, once, with every PIN check.

``ReadUserData`` gives a 工商憑證 secondary card's attribute certificate
(read after the PIN login, see ``userdata``). ``LoadPkcs7`` takes a
PKCS#7 SignedData (base64 DER or PEM) to read: its signature is verified
(against the content of an earlier ``LoadContent`` when it is detached,
unless ``Initial``'s style has NOVERIFY) and it answers the signer's
certificate properties with the signed text as ``returnValue``; ``GetAll``
then describes that signer until the next ``Initial``. Neither it nor
``LoadContent`` touches the card.

Card commands answer ``{msgId, cmd, errorCode, errorMessage, ...}``; 0 is
success. The error codes are those of the GPKI components (the HiPKI local
server's ``ret_code`` values, ``SmartPkiCode``), so a page shows the same
meaning for the same failure.
"""

from __future__ import annotations

import base64
import binascii
import enum
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xcapki.crypto.cms import (
    NO_ATTRIBUTES,
    CmsError,
    CmsMalformedError,
    CmsSignature,
    DetachedContentMissingError,
    SignedAttributes,
    inspect_cms,
    parse_cms,
    sign_cms,
    verify_cms,
)
from xcapki.crypto.errors import CryptoError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.nativehost.card import CardDesk, Operation
from xcapki.nativehost.errors import (
    InvalidArgumentError,
    NativeHostError,
    NoCardError,
    PinentryError,
    UserCancelledError,
    UserTimeoutError,
)
from xcapki.nativehost.properties import certificate_properties
from xcapki.nativehost.userdata import attribute_certificate
from xcapki.token import (
    Pin,
    PinError,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    TokenError,
    TokenNotFoundError,
    TokenRemovedError,
)

__all__ = [
    "EXTENSION_VERSION",
    "NATIVE_VERSION",
    "SmartPkiCode",
    "SmartPkiSession",
    "StyleFlag",
]

log = logging.getLogger("xcapki.nativehost")

NATIVE_VERSION: Final = "6.1.0.0"
"""Reported to pages, which require at least 6.0.1.0 (macOS 6.0.0.9)."""
EXTENSION_VERSION: Final = "1.0.0.0"
"""``zhaninfo.smartpki.version``; pages require at least 0.0.1.3."""
_PIN_SUFFIX: Final = "_PKI"
_MAX_CONTENT: Final = 512 * 1024


class SmartPkiCode(enum.IntEnum):
    """``errorCode`` values: the GPKI components' codes, plus xcapki's where they have none."""

    OK = 0
    NO_CARD = 0x76000006
    FORBIDDEN_ORIGIN = 0x7600000F
    ORIGIN_NOT_TRUSTED = 0x76000031
    LOGIN_FAILED = 0x76100006
    CERTIFICATE_EXPIRED = 0x76500002
    PIN_INCORRECT = 0x761000A0
    PIN_LENGTH = 0x761000A2
    PIN_LOCKED = 0x761000A4
    USER_CANCELLED = 0x78000001
    USER_TIMEOUT = 0x78000002
    BAD_ARGUMENT = 0x78000003
    OUT_OF_ORDER = 0x78000004
    NOT_SUPPORTED = 0x78000005
    CARD_ERROR = 0x78000006
    NO_USER_DATA = 0x78000007
    SIGNATURE_INVALID = 0x78000008


class StyleFlag(enum.IntFlag):
    """The PKCS#7 flags of ``Initial``'s ``style`` (OpenSSL's values)."""

    TEXT = 0x1
    NOCERTS = 0x2
    NOSIGS = 0x4
    NOCHAIN = 0x8
    NOINTERN = 0x10
    NOVERIFY = 0x20
    DETACHED = 0x40
    BINARY = 0x80
    NOATTR = 0x100
    NOSMIMECAP = 0x200


class _Refusal(Exception):
    def __init__(self, code: SmartPkiCode, message: str) -> None:
        super().__init__(message)
        self.code = code


class SmartPkiSession:
    """The state of one page's command sequence on one card."""

    def __init__(self, desk: CardDesk, origin: str, *, accept_page_pin: bool) -> None:
        self._desk = desk
        self._origin = origin
        self._accept_page_pin = accept_page_pin
        self._key = rsa.generate_private_key(public_exponent=0x10001, key_size=2048)
        self._style = StyleFlag(0)
        self._opened = False
        self._content: bytes | None = None
        self._signed: bytes | None = None
        self._loaded: CmsSignature | None = None

    def info(self) -> dict[str, Any]:
        """The answer to the page's ``info``: versions and the PIN-wrapping modulus."""
        modulus = self._key.public_key().public_numbers().n
        return {"version": NATIVE_VERSION, "modulus": f"{modulus:X}"}

    def command(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Run one card command; every failure becomes an ``errorCode``."""
        name = request.get("cmd")
        reply: dict[str, Any] = {"msgId": request.get("msgId"), "cmd": name}
        try:
            handler = _HANDLERS.get(name) if isinstance(name, str) else None
            if handler is None:
                raise _Refusal(SmartPkiCode.NOT_SUPPORTED, f"unknown command {str(name)[:32]!r}")
            reply.update(handler(self, request))
        except _Refusal as refusal:
            return {**reply, "errorCode": int(refusal.code), "errorMessage": str(refusal)}
        except (NativeHostError, TokenError, CryptoError) as error:
            code = _code_for(error)
            log.info("SmartPKI %s refused: %s: %s", name, type(error).__name__, error)
            return {**reply, "errorCode": int(code), "errorMessage": str(error)}
        reply.setdefault("errorCode", 0)
        reply.setdefault("errorMessage", "")
        return reply

    def close(self) -> None:
        self._desk.close()
        self._opened = False

    # commands

    def _initial(self, request: Mapping[str, Any]) -> dict[str, Any]:
        driver = request.get("driverType", 1)
        if driver != 1:
            raise _Refusal(
                SmartPkiCode.NOT_SUPPORTED,
                f"driverType {driver!r} is not supported: xcapki uses smart cards (1)",
            )
        style = request.get("style", 0)
        if not isinstance(style, int) or isinstance(style, bool):
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "style must be a number (PKCS#7 flags)")
        self._desk.token()
        self._style = StyleFlag(style & 0x3FF)
        self._opened = True
        self._content = None
        self._signed = None
        self._loaded = None
        return {}

    def _load_certificate(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self._require_open()
        return self._properties()

    def _load_certificate_by_hca(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self._require_open()
        self._log_in(request, "read the card's certificate")
        return self._properties()

    def _load_content(self, request: Mapping[str, Any]) -> dict[str, Any]:
        content = request.get("content")
        if not isinstance(content, str):
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "content must be text")
        data = content.encode("utf-8")
        if len(data) > _MAX_CONTENT:
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, f"content over {_MAX_CONTENT} bytes")
        self._content = data
        self._signed = None
        return {}

    def _sign(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self._require_open()
        if self._content is None:
            raise _Refusal(SmartPkiCode.OUT_OF_ORDER, "Sign before LoadContent")
        certificate = self._desk.signing_certificate().certificate
        now = datetime.now(UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise _Refusal(
                SmartPkiCode.CERTIFICATE_EXPIRED,
                f"the card's certificate is valid from {certificate.not_valid_before_utc:%Y-%m-%d}"
                f" to {certificate.not_valid_after_utc:%Y-%m-%d}: renew the card with its CA",
            )
        session = self._log_in(request, "sign in with your card")
        signer = session.signer(key_id=self._desk.signing_certificate().key_id)
        chain = [] if self._style & StyleFlag.NOCHAIN else self._desk.authority_certificates()
        self._signed = sign_cms(
            self._content,
            signer,
            detached=bool(self._style & StyleFlag.DETACHED),
            attributes=NO_ATTRIBUTES if self._style & StyleFlag.NOATTR else SignedAttributes(),
            include_chain=[c.certificate for c in chain],
        )
        return {}

    def _output(self, request: Mapping[str, Any]) -> dict[str, Any]:
        if self._signed is None:
            raise _Refusal(SmartPkiCode.OUT_OF_ORDER, "Output before Sign")
        form = request.get("format", 64)
        if form == 64:
            return {"returnValue": base64.b64encode(self._signed).decode("ascii")}
        if form == 3:
            body = base64.encodebytes(self._signed).decode("ascii")
            return {"returnValue": f"-----BEGIN PKCS7-----\n{body}-----END PKCS7-----\n"}
        raise _Refusal(
            SmartPkiCode.NOT_SUPPORTED, f"Output format {form!r}: use 64 (base64) or 3 (PEM)"
        )

    def _get_all(self, request: Mapping[str, Any]) -> dict[str, Any]:
        if self._loaded is not None:
            return _signer_properties(self._loaded)
        self._require_open()
        return self._properties()

    def _read_user_data(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self._require_open()
        holder = self._desk.signing_certificate().certificate
        session = self._log_in(request, "read the card's authorisation (user data)")
        found = attribute_certificate(session.data_objects(), holder)
        if found is None:
            raise _Refusal(
                SmartPkiCode.NO_USER_DATA,
                "the card carries no attribute certificate for its holder: ReadUserData is for"
                " 工商憑證 secondary cards (附卡)",
            )
        return {"returnValue": base64.b64encode(found).decode("ascii")}

    def _load_pkcs7(self, request: Mapping[str, Any]) -> dict[str, Any]:
        data = _pkcs7_bytes(request.get("content"))
        try:
            parsed = parse_cms(data, max_size=_MAX_CONTENT)
            check = inspect_cms if self._style & StyleFlag.NOVERIFY else verify_cms
            loaded = check(parsed, content=self._content if parsed.content is None else None)
        except DetachedContentMissingError:
            raise _Refusal(
                SmartPkiCode.OUT_OF_ORDER,
                "the PKCS#7 is detached: LoadContent the signed text before LoadPkcs7",
            ) from None
        except CmsMalformedError as error:
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, f"not a PKCS#7 SignedData: {error}") from None
        except CmsError as error:
            raise _Refusal(
                SmartPkiCode.SIGNATURE_INVALID, f"the PKCS#7 does not verify: {error}"
            ) from None
        try:
            text = loaded.content.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refusal(
                SmartPkiCode.BAD_ARGUMENT, "the PKCS#7 signs binary content, not text"
            ) from None
        self._loaded = loaded
        return {**_signer_properties(loaded), "returnValue": text}

    def _close(self, request: Mapping[str, Any]) -> dict[str, Any]:
        self.close()
        return {}

    # helpers

    def _require_open(self) -> None:
        if not self._opened:
            raise _Refusal(SmartPkiCode.OUT_OF_ORDER, "call Initial first")

    def _properties(self) -> dict[str, Any]:
        certificate = self._desk.signing_certificate()
        profile = TaiwanCertificate.from_certificate(certificate.certificate)
        return certificate_properties(profile, token_serial=self._desk.token().serial)

    def _log_in(self, request: Mapping[str, Any], action: str) -> Any:
        page_pin = self._unwrap(request.get("pin")) if self._accept_page_pin else None
        return self._desk.session(Operation(origin=self._origin, action=action), page_pin=page_pin)

    def _unwrap(self, wrapped: object) -> Pin:
        if not isinstance(wrapped, str) or not wrapped:
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "the page sent no PIN")
        try:
            plain = self._key.decrypt(bytes.fromhex(wrapped), padding.PKCS1v15()).decode("utf-8")
        except (ValueError, binascii.Error):
            raise _Refusal(
                SmartPkiCode.BAD_ARGUMENT, "the PIN is not wrapped with this session's key"
            ) from None
        if not plain.endswith(_PIN_SUFFIX):
            raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "the wrapped PIN lacks its _PKI suffix")
        return Pin(plain.removesuffix(_PIN_SUFFIX))

    def public_key_pem(self) -> bytes:
        """The session's wrapping key (for tests and pages that want PEM)."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def _pkcs7_bytes(content: object) -> bytes:
    """The DER of a PKCS#7 the page gives as base64 or PEM."""
    if not isinstance(content, str) or not content.strip():
        raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "content must be a PKCS#7 in base64 or PEM")
    text = content.strip()
    if text.startswith("-----BEGIN"):
        lines = [line for line in text.splitlines() if not line.startswith("-----")]
        text = "".join(lines)
    if len(text) > _MAX_CONTENT * 2:
        raise _Refusal(SmartPkiCode.BAD_ARGUMENT, f"the PKCS#7 is over {_MAX_CONTENT} bytes")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (ValueError, binascii.Error):
        raise _Refusal(SmartPkiCode.BAD_ARGUMENT, "the PKCS#7 is not valid base64") from None


def _signer_properties(loaded: CmsSignature) -> dict[str, Any]:
    profile = TaiwanCertificate.from_certificate(loaded.signer_certificate)
    return certificate_properties(profile, token_serial="")


_HANDLERS: Final = {
    "Initial": SmartPkiSession._initial,
    "LoadCertificate": SmartPkiSession._load_certificate,
    "LoadCertificateByHca": SmartPkiSession._load_certificate_by_hca,
    "LoadContent": SmartPkiSession._load_content,
    "LoadPkcs7": SmartPkiSession._load_pkcs7,
    "Sign": SmartPkiSession._sign,
    "Output": SmartPkiSession._output,
    "GetAll": SmartPkiSession._get_all,
    "ReadUserData": SmartPkiSession._read_user_data,
    "Close": SmartPkiSession._close,
}


def _code_for(error: Exception) -> SmartPkiCode:
    table: tuple[tuple[type[Exception], SmartPkiCode], ...] = (
        (NoCardError, SmartPkiCode.NO_CARD),
        (TokenNotFoundError, SmartPkiCode.NO_CARD),
        (TokenRemovedError, SmartPkiCode.NO_CARD),
        (UserCancelledError, SmartPkiCode.USER_CANCELLED),
        (UserTimeoutError, SmartPkiCode.USER_TIMEOUT),
        (PinentryError, SmartPkiCode.LOGIN_FAILED),
        (InvalidArgumentError, SmartPkiCode.BAD_ARGUMENT),
        (PinIncorrectError, SmartPkiCode.PIN_INCORRECT),
        (PinFormatError, SmartPkiCode.PIN_LENGTH),
        (PinLockedError, SmartPkiCode.PIN_LOCKED),
        (PinError, SmartPkiCode.LOGIN_FAILED),
    )
    for kind, code in table:
        if isinstance(error, kind):
            return code
    return SmartPkiCode.CARD_ERROR
