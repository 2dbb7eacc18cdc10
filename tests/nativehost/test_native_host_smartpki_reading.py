"""The SmartPKI commands that read rather than sign: ReadUserData and LoadPkcs7, over pipes.

The secondary 工商憑證 card's attribute certificate is built and signed by
the test (asn1crypto, ``cryptography``) and written to the card with
pkcs11-tool; the PKCS#7s read back are made by OpenSSL or by the card.
"""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from host_helpers import ORIGIN, PIN, Dialogs, Store
from test_native_host_smartpki import DETACHED_NOATTR, Page, login_sequence

from xcapki.crypto.authority import Authority
from xcapki.nativehost.smartpki import SmartPkiCode
from xcapki.testing import TestPki

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl, pytest.mark.pkcs11tool]

NOVERIFY = 0x20
TEXT = "申報案號 2026-1234：同意送出"


def _initial(page: Page, style: int = DETACHED_NOATTR) -> None:
    assert page.command("Initial", soltIndex=-1, driverType=1, style=style)["errorCode"] == 0


def test_read_user_data_gives_the_secondary_cards_attribute_certificate(
    start_host: Any, dialogs: Dialogs, stores: dict[str, Store], test_pki: TestPki
) -> None:
    store = stores["moeaca_secondary"]
    assert store.card is not None
    assert store.user_data is not None
    dialogs.answer({"pin": PIN})
    page = Page(start_host("moeaca_secondary"))
    page.open()
    _initial(page)
    properties = page.command("LoadCertificate")
    assert properties["isMainCard"] == 2
    answer = page.command("ReadUserData", pin="")
    assert answer["errorCode"] == 0, answer
    der = base64.b64decode(answer["returnValue"])
    assert der == store.user_data
    parsed = asn1_cms.AttributeCertificateV2.load(der)
    holder = parsed["ac_info"]["holder"]["base_certificate_id"]
    assert holder["serial"].native == store.card.card.signing.certificate.serial_number
    authority = test_pki.ca(Authority.MOEACA).certificate.public_key()
    authority.verify(  # type: ignore[union-attr]
        parsed["signature"].native,
        parsed["ac_info"].dump(),
        padding.PKCS1v15(),  # type: ignore[call-arg]
        hashes.SHA256(),  # type: ignore[call-arg]
    )
    description = dialogs.texts("SETDESC")[0]
    assert ORIGIN in description
    assert "user data" in description


def test_read_user_data_after_signing_asks_no_second_pin(
    start_host: Any, dialogs: Dialogs, stores: dict[str, Store]
) -> None:
    """The MOEA login page reads the user data after Sign; one PIN serves both."""
    dialogs.answer({"pin": PIN})
    page = Page(start_host("moeaca_secondary"))
    page.open()
    _, output = login_sequence(page, "login:2026-12-02")
    assert output["errorCode"] == 0
    answer = page.command("ReadUserData", pin="")
    assert base64.b64decode(answer["returnValue"]) == stores["moeaca_secondary"].user_data
    assert len(dialogs.texts("GETPIN")) == 1


def test_a_primary_card_has_no_user_data(start_host: Any, dialogs: Dialogs) -> None:
    dialogs.answer({"pin": PIN})
    page = Page(start_host("xca"))
    page.open()
    _initial(page)
    answer = page.command("ReadUserData", pin="")
    assert answer["errorCode"] == SmartPkiCode.NO_USER_DATA
    assert "secondary" in answer["errorMessage"]


def test_read_user_data_needs_initial_and_the_users_pin(start_host: Any, dialogs: Dialogs) -> None:
    page = Page(start_host("moeaca_secondary"))
    page.open()
    assert page.command("ReadUserData", pin="")["errorCode"] == SmartPkiCode.OUT_OF_ORDER
    _initial(page)
    dialogs.answer({"cancel": True})
    assert page.command("ReadUserData", pin="")["errorCode"] == SmartPkiCode.USER_CANCELLED


def _openssl_pkcs7(store: Store, tmp_path: Path, text: str, *options: str) -> bytes:
    """A PKCS#7 SignedData over ``text`` made by OpenSSL with the card's key file."""
    assert store.card is not None
    signing = store.card.card.signing
    (tmp_path / "text.txt").write_text(text, encoding="utf-8")
    return subprocess.run(
        ["openssl", "cms", "-sign", "-binary", "-in", str(tmp_path / "text.txt"),
         "-signer", str(signing.certificate_path), "-inkey", str(signing.private_key_path),
         *options],
        capture_output=True, check=True,
    ).stdout  # fmt: skip


def test_load_pkcs7_reads_an_attached_signature_without_a_card(
    start_host: Any, stores: dict[str, Store], tmp_path: Path
) -> None:
    der = _openssl_pkcs7(stores["xca"], tmp_path, TEXT, "-nodetach", "-outform", "DER")
    page = Page(start_host("absent"))
    page.open()
    answer = page.command("LoadPkcs7", content=base64.b64encode(der).decode())
    assert answer["errorCode"] == 0, answer
    assert answer["returnValue"] == TEXT
    assert answer["id"] == "12345678"
    assert answer["certType"] == 10
    again = page.command("GetAll")
    assert again["serialNumber"] == answer["serialNumber"]
    assert again["certificate"] == answer["certificate"]


def test_load_pkcs7_takes_pem(start_host: Any, stores: dict[str, Store], tmp_path: Path) -> None:
    pem = _openssl_pkcs7(stores["xca"], tmp_path, TEXT, "-nodetach", "-outform", "PEM")
    page = Page(start_host("absent"))
    page.open()
    answer = page.command("LoadPkcs7", content=pem.decode())
    assert answer["errorCode"] == 0, answer
    assert answer["returnValue"] == TEXT


def test_load_pkcs7_verifies_a_detached_signature_against_the_loaded_content(
    start_host: Any, dialogs: Dialogs
) -> None:
    dialogs.answer({"pin": PIN})
    page = Page(start_host("xca"))
    page.open()
    _, output = login_sequence(page, TEXT)
    signed = output["returnValue"]

    reader = Page(start_host("xca"))
    reader.open()
    assert reader.command("LoadPkcs7", content=signed)["errorCode"] == SmartPkiCode.OUT_OF_ORDER
    assert reader.command("LoadContent", content=TEXT)["errorCode"] == 0
    answer = reader.command("LoadPkcs7", content=signed)
    assert answer["errorCode"] == 0, answer
    assert answer["returnValue"] == TEXT
    assert reader.command("LoadContent", content=TEXT + "（竄改）")["errorCode"] == 0
    tampered = reader.command("LoadPkcs7", content=signed)
    assert tampered["errorCode"] == SmartPkiCode.SIGNATURE_INVALID

    _initial(reader, style=DETACHED_NOATTR | NOVERIFY)
    assert reader.command("LoadContent", content=TEXT + "（竄改）")["errorCode"] == 0
    unchecked = reader.command("LoadPkcs7", content=signed)
    assert unchecked["errorCode"] == 0
    assert unchecked["id"] == "12345678"


@pytest.mark.parametrize("content", ["", "not base64!", base64.b64encode(b"not a pkcs7").decode()])
def test_load_pkcs7_refuses_what_is_no_pkcs7(start_host: Any, content: str) -> None:
    page = Page(start_host("absent"))
    page.open()
    assert page.command("LoadPkcs7", content=content)["errorCode"] == SmartPkiCode.BAD_ARGUMENT
