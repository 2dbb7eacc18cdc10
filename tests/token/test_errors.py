"""Every PKCS#11 return code becomes a typed xcapki error that keeps the code."""

from __future__ import annotations

import re
from pathlib import Path

import pkcs11
import pkcs11.exceptions
import pytest

from xcapki.errors import XcapkiError
from xcapki.token import (
    DataError,
    DeviceError,
    MechanismError,
    ModuleError,
    PinError,
    PinExpiredError,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    SessionError,
    TokenError,
    TokenRemovedError,
)
from xcapki.token._pkcs11 import _CKR_FOR_EXCEPTION, translate
from xcapki.token.errors import CKR_NAMES, error_for_ckr


@pytest.mark.parametrize("ckr", sorted(CKR_NAMES))
def test_every_code_maps_to_a_typed_error_keeping_the_code(ckr: int) -> None:
    error = error_for_ckr(ckr, "signing")
    assert isinstance(error, TokenError)
    assert isinstance(error, XcapkiError)
    assert error.ckr == ckr
    assert CKR_NAMES[ckr] in str(error)
    assert str(error).startswith("signing failed")
    if ckr != 0:
        assert type(error) is not TokenError, f"{CKR_NAMES[ckr]} has no specific error type"


@pytest.mark.parametrize(
    ("ckr", "expected"),
    [
        (0xA0, PinIncorrectError), (0xA4, PinLockedError), (0xA2, PinFormatError),
        (0xA3, PinExpiredError), (0x32, TokenRemovedError), (0xE0, TokenRemovedError),
        (0xB3, TokenRemovedError), (0x30, DeviceError), (0x70, MechanismError),
        (0x21, DataError), (0x101, SessionError), (0x190, ModuleError),
    ],
)  # fmt: skip
def test_codes_land_in_the_expected_branch(ckr: int, expected: type[TokenError]) -> None:
    assert type(error_for_ckr(ckr, "x")) is expected


def test_pin_errors_are_pin_errors() -> None:
    for ckr in (0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0x102, 0x1B8):
        assert isinstance(error_for_ckr(ckr, "logging in"), PinError)


def test_vendor_code_keeps_its_number() -> None:
    error = error_for_ckr(0x80000123, "signing")
    assert type(error) is TokenError
    assert error.ckr == 0x80000123
    assert "CKR_VENDOR_DEFINED+0x123" in str(error)


_PKCS11_HEADER = Path("/usr/include/nss/pkcs11t.h")
"""NSS's PKCS#11 types header (Debian libnss3-dev): the CKR_ codes as OASIS publishes them.
(p11-kit's header numbers three of the newer codes differently, 0x1C0/0x1C3/0x1C4 for
0x1B5/0x1B8/0x1B9, so it is not the reference here.)"""
_SPELLED_OTHERWISE = {
    "AnotherUserAlreadyLoggedIn": "CKR_USER_ANOTHER_ALREADY_LOGGED_IN",
    "FunctionCancelled": "CKR_FUNCTION_CANCELED",
    "TokenNotRecognised": "CKR_TOKEN_NOT_RECOGNIZED",
    "RandomNoRNG": "CKR_RANDOM_NO_RNG",
    "SlotIDInvalid": "CKR_SLOT_ID_INVALID",
    "SessionReadWriteSOExists": "CKR_SESSION_READ_WRITE_SO_EXISTS",
}


def _published_codes() -> dict[str, int]:
    if not _PKCS11_HEADER.exists():
        pytest.skip(f"{_PKCS11_HEADER} is missing: apt-get install libnss3-dev")
    found = re.findall(r"#define\s+(CKR_\w+)\s+(0x[0-9a-fA-F]+)UL", _PKCS11_HEADER.read_text())
    return {name: int(value, 16) for name, value in found}


def _ckr_name(exception_name: str) -> str:
    if exception_name in _SPELLED_OTHERWISE:
        return _SPELLED_OTHERWISE[exception_name]
    return "CKR_" + re.sub(r"(?<!^)(?=[A-Z])", "_", exception_name).upper()


@pytest.mark.parametrize(
    "name",
    sorted(_CKR_FOR_EXCEPTION),
)
def test_every_binding_exception_translates_with_its_published_code(name: str) -> None:
    published = _published_codes()[_ckr_name(name)]
    exception_type = getattr(pkcs11.exceptions, name)
    error = translate(exception_type(), "signing")
    assert error.ckr == published
    assert not isinstance(error, pkcs11.exceptions.PKCS11Error)


def test_every_binding_exception_with_a_code_of_its_own_is_mapped() -> None:
    published = _published_codes()
    unmapped = [
        name
        for name, kind in vars(pkcs11.exceptions).items()
        if isinstance(kind, type)
        and issubclass(kind, pkcs11.exceptions.PKCS11Error)
        and _ckr_name(name) in published
        and name not in _CKR_FOR_EXCEPTION
    ]
    assert unmapped == []


def test_binding_messages_with_codes_translate() -> None:
    assert translate(pkcs11.PKCS11Error("Unmapped error code 0x80000007"), "x").ckr == 0x80000007
    generic = pkcs11.PKCS11Error("Initialisation error (not initialized). Should never see this.")
    assert translate(generic, "x").ckr == 0x190
