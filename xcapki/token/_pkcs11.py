"""The one place xcapki touches python-pkcs11 (and, for what it lacks, the raw C API).

python-pkcs11 drives slots, sessions, object search and signing. Four calls go
through ``ctypes`` on the same, already loaded module (reached through its
``C_GetFunctionList`` table), because python-pkcs11 does not offer them in the
form PIN safety needs:

- ``C_GetTokenInfo``: python-pkcs11's ``Token`` drops ``ulMinPinLen`` and
  ``ulMaxPinLen``, which PIN checks need before a PIN reaches the card.
- ``C_Login``: python-pkcs11 logs in only inside ``Token.open``, which leaves
  the session open when the PIN is wrong and holds the PIN in an immutable
  ``bytes`` that cannot be wiped; here the PIN buffer is zeroed after the call.
- ``C_Logout``: python-pkcs11 logs out only sessions it logged in itself.
- ``C_SetPIN``: python-pkcs11's ``set_pin`` takes text only, so it can neither
  pass the NULL PINs a PIN pad needs nor wipe the PINs afterwards.

Every dependency exception is translated here into :mod:`xcapki.token.errors`.
"""

from __future__ import annotations

import ctypes
import enum
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType
from pkcs11 import ObjectClass as P11ObjectClass

from xcapki.token.errors import ModuleError, TokenError, TokenRemovedError, error_for_ckr

CKU_USER = 1
CKR_OK = 0
CKR_USER_ALREADY_LOGGED_IN = 0x100
SLOT_LIST_RETRIES = 3
"""Extra reads of the slot list when a slot vanishes while it is read (a card being pulled)."""
_SIGNATURE_BUFFER = 1024  # an RSA-8192 signature; python-pkcs11 retries a larger one at its size

_CK_ULONG = ctypes.c_ulong


class _Packed(ctypes.Structure):
    """PKCS#11 structures are byte-packed on Windows and naturally aligned elsewhere."""

    if sys.platform == "win32":
        _pack_ = 1


class _Version(_Packed):
    _fields_ = (("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte))


class _TokenInfo(_Packed):
    _fields_ = (
        ("label", ctypes.c_char * 32),
        ("manufacturer_id", ctypes.c_char * 32),
        ("model", ctypes.c_char * 16),
        ("serial_number", ctypes.c_char * 16),
        ("flags", _CK_ULONG),
        ("max_session_count", _CK_ULONG),
        ("session_count", _CK_ULONG),
        ("max_rw_session_count", _CK_ULONG),
        ("rw_session_count", _CK_ULONG),
        ("max_pin_len", _CK_ULONG),
        ("min_pin_len", _CK_ULONG),
        ("total_public_memory", _CK_ULONG),
        ("free_public_memory", _CK_ULONG),
        ("total_private_memory", _CK_ULONG),
        ("free_private_memory", _CK_ULONG),
        ("hardware_version", _Version),
        ("firmware_version", _Version),
        ("utc_time", ctypes.c_char * 16),
    )


_FUNCTION_ORDER = (
    "C_Initialize", "C_Finalize", "C_GetInfo", "C_GetFunctionList", "C_GetSlotList",
    "C_GetSlotInfo", "C_GetTokenInfo", "C_GetMechanismList", "C_GetMechanismInfo",
    "C_InitToken", "C_InitPIN", "C_SetPIN", "C_OpenSession", "C_CloseSession",
    "C_CloseAllSessions", "C_GetSessionInfo", "C_GetOperationState", "C_SetOperationState",
    "C_Login", "C_Logout",
)  # fmt: skip


class _FunctionList(_Packed):
    _fields_ = (("version", _Version), *((name, ctypes.c_void_p) for name in _FUNCTION_ORDER))


_GetInfoFn = ctypes.CFUNCTYPE(_CK_ULONG, _CK_ULONG, ctypes.c_void_p)
_LoginFn = ctypes.CFUNCTYPE(_CK_ULONG, _CK_ULONG, _CK_ULONG, ctypes.c_char_p, _CK_ULONG)
_LogoutFn = ctypes.CFUNCTYPE(_CK_ULONG, _CK_ULONG)
_SetPinFn = ctypes.CFUNCTYPE(
    _CK_ULONG, _CK_ULONG, ctypes.c_char_p, _CK_ULONG, ctypes.c_char_p, _CK_ULONG
)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace").rstrip(" \x00")


# python-pkcs11 raises a class per code without keeping the code; this maps back.
_CKR_FOR_EXCEPTION: dict[str, int] = {
    "AnotherUserAlreadyLoggedIn": 0x104, "AttributeTypeInvalid": 0x012,
    "AttributeValueInvalid": 0x013, "AttributeReadOnly": 0x010, "AttributeSensitive": 0x011,
    "ArgumentsBad": 0x007, "DataInvalid": 0x020, "DataLenRange": 0x021,
    "DomainParamsInvalid": 0x130, "DeviceError": 0x030, "DeviceMemory": 0x031,
    "DeviceRemoved": 0x032, "EncryptedDataInvalid": 0x040, "EncryptedDataLenRange": 0x041,
    "ExceededMaxIterations": 0x1B5, "FunctionCancelled": 0x050, "FunctionFailed": 0x006,
    "FunctionRejected": 0x200, "FunctionNotSupported": 0x054, "KeyHandleInvalid": 0x060,
    "KeyIndigestible": 0x067, "KeyNeeded": 0x066, "KeyNotNeeded": 0x064,
    "KeyNotWrappable": 0x069, "KeySizeRange": 0x062, "KeyTypeInconsistent": 0x063,
    "KeyUnextractable": 0x06A, "GeneralError": 0x005, "HostMemory": 0x002,
    "MechanismInvalid": 0x070, "MechanismParamInvalid": 0x071, "NoEvent": 0x008,
    "ObjectHandleInvalid": 0x082, "OperationActive": 0x090, "OperationNotInitialized": 0x091,
    "PinExpired": 0x0A3, "PinIncorrect": 0x0A0, "PinInvalid": 0x0A1, "PinLenRange": 0x0A2,
    "PinLocked": 0x0A4, "PinTooWeak": 0x1B8, "PublicKeyInvalid": 0x1B9, "RandomNoRNG": 0x121,
    "RandomSeedNotSupported": 0x120, "SessionClosed": 0x0B0, "SessionCount": 0x0B1,
    "SessionExists": 0x0B6, "SessionHandleInvalid": 0x0B3, "SessionReadOnly": 0x0B5,
    "SessionReadOnlyExists": 0x0B7, "SessionReadWriteSOExists": 0x0B8,
    "SignatureLenRange": 0x0C1, "SignatureInvalid": 0x0C0, "TemplateIncomplete": 0x0D0,
    "TemplateInconsistent": 0x0D1, "SlotIDInvalid": 0x003, "TokenNotPresent": 0x0E0,
    "TokenNotRecognised": 0x0E1, "TokenWriteProtected": 0x0E2,
    "UnwrappingKeyHandleInvalid": 0x0F0, "UnwrappingKeySizeRange": 0x0F1,
    "UnwrappingKeyTypeInconsistent": 0x0F2, "UserNotLoggedIn": 0x101,
    "UserAlreadyLoggedIn": 0x100, "UserPinNotInitialized": 0x102, "UserTooManyTypes": 0x105,
    "WrappedKeyInvalid": 0x110, "WrappedKeyLenRange": 0x112,
    "WrappingKeyHandleInvalid": 0x113, "WrappingKeySizeRange": 0x114,
    "WrappingKeyTypeInconsistent": 0x115,
}  # fmt: skip

# Codes python-pkcs11 reports only in the text of a plain PKCS11Error.
_CKR_FOR_MESSAGE = (
    ("Buffer was too small", 0x150),
    ("already initialized", 0x191),
    ("not initialized", 0x190),
    ("Parallel not supported", 0x0B4),
    ("User type invalid", 0x103),
)
_UNMAPPED = re.compile(r"Unmapped error code (0x[0-9a-fA-F]+)")


def ckr_of(exc: pkcs11.PKCS11Error) -> int | None:
    """The CKR code behind a python-pkcs11 exception, when it can be known."""
    code = _CKR_FOR_EXCEPTION.get(type(exc).__name__)
    if code is not None:
        return code
    text = str(exc)
    match = _UNMAPPED.search(text)
    if match:
        return int(match.group(1), 16)
    return next((ckr for fragment, ckr in _CKR_FOR_MESSAGE if fragment in text), None)


def translate(exc: pkcs11.PKCS11Error, action: str) -> TokenError:
    """The xcapki error for a python-pkcs11 exception raised while ``action``."""
    code = ckr_of(exc)
    if code is None:
        return TokenError(f"{action} failed in the PKCS#11 binding ({type(exc).__name__})")
    return error_for_ckr(code, action)


def _check(rv: int, action: str) -> None:
    if rv != CKR_OK:
        raise error_for_ckr(rv, action)


@dataclass(frozen=True, slots=True, kw_only=True)
class RawTokenInfo:
    """CK_TOKEN_INFO as read from the module, decoded."""

    label: str
    manufacturer: str
    model: str
    serial: str
    flags: int
    min_pin_length: int
    max_pin_length: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RawSlotInfo:
    """CK_SLOT_INFO, decoded."""

    slot_id: int
    description: str
    manufacturer: str
    flags: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RawModuleInfo:
    """CK_INFO, decoded."""

    manufacturer: str
    description: str
    library_version: tuple[int, int]
    cryptoki_version: tuple[int, int]


class ModuleHandle:
    """A loaded, initialised PKCS#11 module.

    Modules are initialised without OS locking, so they may assume one caller at
    a time: every call into the module holds ``lock``. ``generation`` counts
    re-initialisations, which invalidate every session opened before.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.generation = 0
        try:
            self._lib = pkcs11.lib(path)
            functions = ctypes.POINTER(_FunctionList)()
            get_function_list = ctypes.CDLL(path).C_GetFunctionList
        except pkcs11.PKCS11Error as exc:
            raise ModuleError(
                f"cannot load the PKCS#11 module {path}: {exc}. Check that the file exists, is a"
                " PKCS#11 module for this platform and architecture, and that its dependencies"
                " are installed",
                ckr=ckr_of(exc),
            ) from None
        except (OSError, AttributeError) as exc:
            raise ModuleError(
                f"{path} is not a usable PKCS#11 module ({exc}): point to the module's .so,"
                " .dylib or .dll"
            ) from None
        get_function_list.restype = _CK_ULONG
        get_function_list.argtypes = (ctypes.POINTER(ctypes.POINTER(_FunctionList)),)
        _check(get_function_list(ctypes.byref(functions)), "C_GetFunctionList")
        table = functions.contents
        self._get_token_info = _GetInfoFn(table.C_GetTokenInfo)
        self.c_login = _LoginFn(table.C_Login)
        self.c_logout = _LogoutFn(table.C_Logout)
        self.c_set_pin = _SetPinFn(table.C_SetPIN)

    def info(self) -> RawModuleInfo:
        """The module's self-description."""
        return RawModuleInfo(
            manufacturer=self._lib.manufacturer_id.strip(),
            description=self._lib.library_description.strip(),
            library_version=self._lib.library_version,
            cryptoki_version=self._lib.cryptoki_version,
        )

    def slots(self, *, token_present: bool = True) -> list[RawSlotInfo]:
        """The slots that hold a token (or all, readers without a card included), with their
        reader description and flags.

        A card pulled while the list is read can take its slot away between
        C_GetSlotList and C_GetSlotInfo (OpenSC on PC/SC answers CKR_SLOT_ID_INVALID);
        the list is then read again rather than reported as the module failing.
        """
        with self.lock:
            for _ in range(SLOT_LIST_RETRIES):
                with suppress(TokenRemovedError):
                    return self._read_slots(token_present)
            return self._read_slots(token_present)

    def _read_slots(self, token_present: bool) -> list[RawSlotInfo]:
        with _translated("listing slots"):
            return [
                RawSlotInfo(
                    slot_id=slot.slot_id,
                    description=slot.slot_description.rstrip(" \x00"),
                    manufacturer=slot.manufacturer_id.rstrip(" \x00"),
                    flags=int(slot.flags),
                )
                for slot in self._lib.get_slots(token_present=token_present)
            ]

    def token_info(self, slot_id: int) -> RawTokenInfo:
        """A fresh CK_TOKEN_INFO: label, serial, flags (PIN state) and PIN length range."""
        info = _TokenInfo()
        with self.lock:
            _check(self._get_token_info(slot_id, ctypes.addressof(info)), "reading the token")
        return RawTokenInfo(
            label=_text(info.label),
            manufacturer=_text(info.manufacturer_id),
            model=_text(info.model),
            serial=_text(info.serial_number),
            flags=info.flags,
            min_pin_length=info.min_pin_len,
            max_pin_length=info.max_pin_len,
        )

    def mechanisms(self, slot_id: int) -> frozenset[int]:
        """The CKM codes the slot's token supports."""
        with self.lock, _translated("listing mechanisms"):
            return frozenset(int(m) for m in self._slot(slot_id).get_mechanisms())

    def open_session(self, slot_id: int, *, read_write: bool = False) -> RawSession:
        """A new, not yet logged-in session on the token in ``slot_id``."""
        with self.lock, _translated("opening a session"):
            session = self._slot(slot_id).get_token().open(rw=read_write)
        return RawSession(self, session)

    def reinitialize(self) -> None:
        """C_Finalize + C_Initialize: drops every session, makes the module rescan its tokens.

        A failing C_Finalize is ignored: a module in trouble may refuse it, and
        C_Initialize is what brings it back.
        """
        with self.lock:
            self.generation += 1
            with suppress(pkcs11.PKCS11Error):
                self._lib.finalize()
            with _translated("re-initialising the module"):
                self._lib.initialize()

    def _slot(self, slot_id: int) -> Any:
        for slot in self._lib.get_slots(token_present=True):
            if slot.slot_id == slot_id:
                return slot
        raise error_for_ckr(0x0E0, "finding the slot")


@contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except pkcs11.PKCS11Error as exc:
        raise translate(exc, action) from None


class PreparedMechanism:
    """A mechanism and its PSS parameters as python-pkcs11 takes them, converted once per plan."""

    __slots__ = ("ckm", "mechanism", "parameter")

    def __init__(self, ckm: int, pss: tuple[int, int, int] | None = None) -> None:
        self.ckm = ckm
        self.mechanism = pkcs11.Mechanism(ckm)
        self.parameter = (
            None if pss is None else (pkcs11.Mechanism(pss[0]), pkcs11.MGF(pss[1]), pss[2])
        )


class ObjectClass(enum.StrEnum):
    """The kinds of token object the token layer reads (equal to their names as text)."""

    CERTIFICATE = "certificate"
    PRIVATE_KEY = "private-key"
    PUBLIC_KEY = "public-key"
    DATA = "data"


@dataclass(frozen=True, slots=True, kw_only=True)
class RawObject:
    """A certificate, key or data object found on the token; ``value`` is a certificate's DER
    or a data object's bytes."""

    object_class: ObjectClass
    key_id: bytes
    label: str
    value: bytes = b""
    key_type: str = ""


_KEY_TYPES = {KeyType.RSA: "rsa", KeyType.EC: "ec"}
_P11_CLASS = {
    ObjectClass.PRIVATE_KEY: P11ObjectClass.PRIVATE_KEY,
    ObjectClass.PUBLIC_KEY: P11ObjectClass.PUBLIC_KEY,
}


class RawSession:
    """One PKCS#11 session; the caller serialises calls through ``module.lock``.

    ``generation`` is the module's at opening: once the module is re-initialised
    the session handle names nothing (or, later, another session), so a stale
    session is never used or closed.
    """

    __slots__ = ("_decrypt_keys", "_session", "generation", "handle", "module")

    def __init__(self, module: ModuleHandle, session: Any) -> None:
        self.module = module
        self.generation = module.generation
        self._session = session
        self.handle: int = session.handle
        self._decrypt_keys: dict[bytes, Any] = {}

    @property
    def stale(self) -> bool:
        """True once the module was re-initialised after this session was opened."""
        return self.generation != self.module.generation

    def login(self, pin: bytes | None) -> None:
        """C_Login as the user; ``None`` uses the protected authentication path.

        An already logged-in token (another session of this process) counts as success.
        """
        buffer = None if pin is None else ctypes.create_string_buffer(pin, len(pin))
        try:
            rv = self.module.c_login(self.handle, CKU_USER, buffer, 0 if pin is None else len(pin))
        finally:
            if buffer is not None:
                ctypes.memset(buffer, 0, len(buffer))
        if rv != CKR_USER_ALREADY_LOGGED_IN:
            _check(rv, "logging in")

    def set_pin(self, old: bytes | None, new: bytes | None) -> None:
        """C_SetPIN; ``None`` for both lets a PIN pad ask for them."""
        buffers = [
            None if v is None else ctypes.create_string_buffer(v, len(v)) for v in (old, new)
        ]
        try:
            rv = self.module.c_set_pin(
                self.handle,
                buffers[0], 0 if old is None else len(old),
                buffers[1], 0 if new is None else len(new),
            )  # fmt: skip
        finally:
            for buffer in buffers:
                if buffer is not None:
                    ctypes.memset(buffer, 0, len(buffer))
        _check(rv, "changing the PIN")

    def close(self, *, logout: bool = True) -> None:
        """Close (logging the token out first unless told not to); errors are ignored
        because the session may already be gone. A stale session is left alone."""
        if self.stale:
            return
        if logout:
            self.module.c_logout(self.handle)
        try:
            self._session.close()
        except pkcs11.PKCS11Error:
            return

    def certificates(self) -> list[RawObject]:
        """Every certificate visible in this session."""
        found: list[RawObject] = []
        with _translated("listing certificates"):
            for cert in self._session.get_objects({Attribute.CLASS: P11ObjectClass.CERTIFICATE}):
                found.append(
                    RawObject(
                        object_class=ObjectClass.CERTIFICATE,
                        key_id=bytes(cert[Attribute.ID]),
                        label=str(cert[Attribute.LABEL]),
                        value=bytes(cert[Attribute.VALUE]),
                    )
                )
        return found

    def data_objects(self) -> list[RawObject]:
        """Every data object (CKO_DATA) visible in this session (private ones only after login)."""
        found: list[RawObject] = []
        with _translated("listing data objects"):
            for item in self._session.get_objects({Attribute.CLASS: P11ObjectClass.DATA}):
                found.append(
                    RawObject(
                        object_class=ObjectClass.DATA,
                        key_id=b"",
                        label=str(item[Attribute.LABEL]),
                        value=bytes(item[Attribute.VALUE]),
                    )
                )
        return found

    def keys(self, object_class: ObjectClass) -> list[RawObject]:
        """Every private or public key visible in this session (private ones only after login)."""
        found: list[RawObject] = []
        with _translated("listing keys"):
            for key in self._session.get_objects({Attribute.CLASS: _P11_CLASS[object_class]}):
                found.append(
                    RawObject(
                        object_class=object_class,
                        key_id=bytes(key[Attribute.ID]),
                        label=str(key[Attribute.LABEL]),
                        key_type=_KEY_TYPES.get(key.key_type, "other"),
                    )
                )
        return found

    def private_key(self, key_id: bytes) -> PrivateKeyObject | None:
        """The private key with CKA_ID ``key_id`` (valid while this session is); ``None`` if
        absent."""
        template = {Attribute.CLASS: P11ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}
        with _translated("finding the private key"):
            for key in self._session.get_objects(template):
                return PrivateKeyObject(key)
        return None

    def sign(self, key: PrivateKeyObject, mechanism: PreparedMechanism, data: bytes) -> bytes:
        """One C_SignInit + C_Sign through python-pkcs11."""
        try:
            return key.binding.sign(  # type: ignore[no-any-return]
                data if type(data) is bytes else bytes(data),
                mechanism=mechanism.mechanism,
                mechanism_param=mechanism.parameter,
                buffer_size=_SIGNATURE_BUFFER,
            )
        except pkcs11.PKCS11Error as exc:
            raise translate(exc, "signing") from None

    def decrypt(
        self, key_id: bytes, ckm: int, oaep: tuple[int, int, bytes] | None, data: bytes
    ) -> bytes | None:
        """C_DecryptInit + C_Decrypt with the private key ``key_id``; ``None`` if it is absent.

        ``oaep`` is (CKM of the hash, CKG of MGF1, label) for CKM_RSA_PKCS_OAEP. The key
        is found once per session (a search costs a card round trip).
        """
        parameter = None if oaep is None else (
            pkcs11.Mechanism(oaep[0]), pkcs11.MGF(oaep[1]), oaep[2] or None
        )  # fmt: skip
        with _translated("decrypting"):
            key = self._decrypt_keys.get(key_id)
            if key is None:
                template = {Attribute.CLASS: P11ObjectClass.PRIVATE_KEY, Attribute.ID: key_id}
                # Listed to the end first: a module refuses a decryption while a
                # C_FindObjects operation is still active on the session.
                keys = list(self._session.get_objects(template))
                if not keys:
                    return None
                key = self._decrypt_keys[key_id] = keys[0]
            return bytes(
                key.decrypt(data, mechanism=pkcs11.Mechanism(ckm), mechanism_param=parameter)
            )

    def create_object(self, template: Mapping[Any, Any]) -> None:
        """C_CreateObject with a python-pkcs11 attribute template (token provisioning)."""
        with _translated("storing an object"):
            self._session.create_object(dict(template))


class PrivateKeyObject:
    """A private key found in a session, opaque outside this module."""

    __slots__ = ("binding",)

    def __init__(self, binding: Any) -> None:
        self.binding = binding
