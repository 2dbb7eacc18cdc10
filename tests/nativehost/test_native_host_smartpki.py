"""The native host's SmartPKI side over pipes: the page library's command sequence on the card.

The detached PKCS#7 is checked by OpenSSL and by the portal's existing
login verifier; the PIN a page wraps is wrapped here with ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from host_helpers import ORIGIN, PIN, Dialogs, Store

from xcapki.nativehost.smartpki import SmartPkiCode

DETACHED_NOATTR = 0x40 | 0x100

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl]


class Page:
    """What the extension relays for one SmartPKI page."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.msg_id = 0

    def open(self, origin: str = ORIGIN) -> Any:
        return self.host.ask({"smartpki": {"type": "open", "origin": origin}})["smartpki"]

    def info(self) -> Any:
        return self.host.ask({"smartpki": {"type": "info"}})["smartpki"]["message"]

    def command(self, cmd: str, **arguments: Any) -> Any:
        self.msg_id += 1
        request = {"cmd": cmd, "msgId": self.msg_id, "tabid": 7, **arguments}
        answer = self.host.ask({"smartpki": {"type": "command", "request": request}})
        message = answer["smartpki"]["message"]
        assert message["msgId"] == self.msg_id
        assert message["cmd"] == cmd
        return message

    def close(self) -> Any:
        return self.host.ask({"smartpki": {"type": "close"}})["smartpki"]


def login_sequence(page: Page, content: str, pin: str = "") -> Any:
    """What the MOEA login page runs: Initial, LoadCertificate, LoadContent, Sign, Output."""
    assert (
        page.command("Initial", soltIndex=-1, driverType=1, style=DETACHED_NOATTR)["errorCode"] == 0
    )
    properties = page.command("LoadCertificate")
    assert page.command("LoadContent", content=content)["errorCode"] == 0
    signed = page.command("Sign", pin=pin, signTime=0)
    if signed["errorCode"] != 0:
        return properties, signed
    return properties, page.command("Output", format=64)


def test_info_reports_versions_pages_accept(start_host: Any) -> None:
    page = Page(start_host())
    assert page.open() == {"type": "opened"}
    info = page.info()
    assert tuple(int(p) for p in info["version"].split(".")) >= (6, 0, 1, 0)
    assert int(info["modulus"], 16).bit_length() == 2048


def test_the_login_sequence_signs_detached_without_attributes(
    start_host: Any, dialogs: Dialogs, stores: dict[str, Store], tmp_path: Path
) -> None:
    dialogs.answer({"pin": PIN})
    page = Page(start_host())
    page.open()
    content = "login:2026-12-02T08:00:00Z:9f2c"
    properties, output = login_sequence(page, content, pin="ignored-by-the-dialog")
    assert output["errorCode"] == 0
    card = stores["xca"].card
    assert card is not None
    assert properties["certType"] == 10
    assert properties["id"] == "12345678"
    assert properties["cardNumber"] == card.serial
    assert properties["isMainCard"] == 1
    der = base64.b64decode(output["returnValue"])
    (tmp_path / "sig.p7s").write_bytes(der)
    (tmp_path / "content.txt").write_text(content)
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.p7s"),
         "-content", str(tmp_path / "content.txt"), "-noverify", "-out", "/dev/null"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "sig.p7s")],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert re.search(r"signedAttrs:\s*<ABSENT>", printed)
    assert re.search(r"eContent:\s*<ABSENT>", printed)
    assert page.command("Close")["errorCode"] == 0
    assert page.close() == {"type": "closed"}
    assert ORIGIN in dialogs.texts("SETDESC")[0]


def test_the_page_pin_is_unwrapped_when_the_host_has_no_dialog(start_host: Any) -> None:
    page = Page(start_host("xca", "--accept-page-pin", pinentry=False))
    page.open()
    modulus = int(page.info()["modulus"], 16)
    key = rsa.RSAPublicNumbers(0x10001, modulus).public_key()
    wrapped = key.encrypt(f"{PIN}_PKI".encode(), padding.PKCS1v15()).hex()
    _, output = login_sequence(page, "content", pin=wrapped)
    assert output["errorCode"] == 0


@pytest.mark.parametrize(
    ("wrapping", "code"),
    [("00ff", SmartPkiCode.BAD_ARGUMENT), ("", SmartPkiCode.BAD_ARGUMENT)],
)
def test_a_page_pin_not_wrapped_for_this_session(
    start_host: Any, wrapping: str, code: SmartPkiCode
) -> None:
    page = Page(start_host("xca", "--accept-page-pin", pinentry=False))
    page.open()
    page.info()
    _, signed = login_sequence(page, "content", pin=wrapping)
    assert signed["errorCode"] == code


def test_a_wrong_page_pin(start_host: Any) -> None:
    page = Page(start_host("xca", "--accept-page-pin", pinentry=False))
    page.open()
    key = rsa.RSAPublicNumbers(0x10001, int(page.info()["modulus"], 16)).public_key()
    wrapped = key.encrypt(b"654321_PKI", padding.PKCS1v15()).hex()
    _, signed = login_sequence(page, "content", pin=wrapped)
    assert signed["errorCode"] == SmartPkiCode.PIN_INCORRECT
    assert PIN not in json.dumps(signed)


def test_a_moica_card_is_a_natural_person(start_host: Any, dialogs: Dialogs) -> None:
    page = Page(start_host("moica"))
    page.open()
    page.command("Initial", soltIndex=-1, driverType=1, style=DETACHED_NOATTR)
    assert page.command("GetAll")["certType"] == 1


def test_an_untrusted_site_is_refused(start_host: Any) -> None:
    refused = Page(start_host()).open("https://elsewhere.example.tw")
    assert refused["type"] == "refused"


def test_no_card(start_host: Any) -> None:
    page = Page(start_host("absent"))
    page.open()
    answer = page.command("Initial", soltIndex=-1, driverType=1, style=DETACHED_NOATTR)
    assert answer["errorCode"] == SmartPkiCode.NO_CARD


def test_commands_out_of_order_and_unknown(start_host: Any) -> None:
    page = Page(start_host())
    page.open()
    assert page.command("LoadCertificate")["errorCode"] == SmartPkiCode.OUT_OF_ORDER
    assert page.command("Output", format=64)["errorCode"] == SmartPkiCode.OUT_OF_ORDER
    assert page.command("FormatCard")["errorCode"] == SmartPkiCode.NOT_SUPPORTED
    page.command("Initial", soltIndex=-1, driverType=1, style=DETACHED_NOATTR)
    assert page.command("Sign", pin="", signTime=0)["errorCode"] == SmartPkiCode.OUT_OF_ORDER
    assert page.command("Initial", driverType=4)["errorCode"] == SmartPkiCode.NOT_SUPPORTED


def test_cancel_in_the_dialog(start_host: Any, dialogs: Dialogs) -> None:
    dialogs.answer({"cancel": True})
    page = Page(start_host())
    page.open()
    _, signed = login_sequence(page, "content")
    assert signed["errorCode"] == SmartPkiCode.USER_CANCELLED


def test_sites_list_and_add_after_the_user_allows(start_host: Any, dialogs: Dialogs) -> None:
    assert start_host().ask({"sites": "list"}) == {"sites": [ORIGIN]}
    dialogs.answer({"confirm": True})
    added = start_host().ask({"sites": "add", "origin": "https://new.example.tw"})
    assert added == {"sites": sorted([ORIGIN, "https://new.example.tw"])}
    assert "https://new.example.tw" in dialogs.texts("SETDESC")[0]
    dialogs.answer({"cancel": True})
    refused = start_host().ask({"sites": "add", "origin": "https://other.example.tw"})
    assert refused["error"]["code"] == "UserCancelledError"
    plain = start_host().ask({"sites": "add", "origin": "http://plain.example.tw"})
    assert plain["error"]["code"] == "OriginRefusedError"


def test_an_expired_card_is_refused_before_the_pin(start_host: Any, dialogs: Dialogs) -> None:
    page = Page(start_host("expired"))
    page.open()
    _, signed = login_sequence(page, "content")
    assert signed["errorCode"] == SmartPkiCode.CERTIFICATE_EXPIRED
    assert dialogs.asked() == []


def test_the_compatible_mode_uses_the_page_pin_not_the_dialog(
    start_host: Any, dialogs: Dialogs
) -> None:
    dialogs.answer({"pin": PIN})
    page = Page(start_host("xca", "--accept-page-pin"))
    page.open()
    key = rsa.RSAPublicNumbers(0x10001, int(page.info()["modulus"], 16)).public_key()
    wrapped = key.encrypt(f"{PIN}_PKI".encode(), padding.PKCS1v15()).hex()
    _, output = login_sequence(page, "content", pin=wrapped)
    assert output["errorCode"] == 0
    assert dialogs.asked() == []


def test_a_malformed_page_pin_costs_no_try(start_host: Any) -> None:
    page = Page(start_host("xca", "--accept-page-pin", pinentry=False))
    page.open()
    key = rsa.RSAPublicNumbers(0x10001, int(page.info()["modulus"], 16)).public_key()
    wrapped = key.encrypt(b"12_PKI", padding.PKCS1v15()).hex()
    _, signed = login_sequence(page, "content", pin=wrapped)
    assert signed["errorCode"] == SmartPkiCode.PIN_LENGTH
