"""A page like the vendor's PKCS#7加密範例 decrypts, through /popupForm, an envelope made by
`openssl cms -encrypt` for the virtual card's KEYX certificate, in headless Chromium."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from xcapki.demo.servers import BackgroundServer, bind_loopback
from xcapki.service import ServiceConfig, create_app
from xcapki.testing import StandardCards, VirtualCard
from xcapki.token import TokenSelector, load_module

pytestmark = [pytest.mark.chromium, pytest.mark.softhsm, pytest.mark.openssl]

PLAIN = "PKCS#7加密範例：這是只有卡片能解開的訊息。"

# Written as the vendor's sample pages behave: open the popup, answer its getTbs with the
# package (pin URL-encoded), show `plain` or the ret_code it got back.
PAGE = """<!doctype html>
<html lang="zh-Hant"><head><meta charset="utf-8"><title>PKCS#7加密範例</title></head>
<body>
<button id="decrypt">解密</button>
<pre id="result"></pre>
<script>
var SERVICE = %(service)s;
var request = %(request)s;
var popup = null;
window.addEventListener("message", function (event) {
  if (event.origin !== SERVICE) { return; }
  var data = JSON.parse(event.data);
  if (data.func === "getTbs") {
    popup.postMessage(JSON.stringify(request), SERVICE);
    return;
  }
  document.getElementById("result").textContent =
    data.ret_code === 0 ? "plain:" + data.plain : "ret_code:" + data.ret_code.toString(16);
});
document.getElementById("decrypt").onclick = function () {
  popup = window.open(SERVICE + "/popupForm", "hipki", "width=400,height=300");
};
</script>
</body></html>
"""


def _reader_of(card: VirtualCard) -> str:
    return load_module(card.module_path).select_token(TokenSelector(serial=card.serial)).reader_name


def _envelope(openssl: str, card: VirtualCard, plain: bytes) -> bytes:
    made = subprocess.run(
        [openssl, "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-256-gcm",
         "-recip", str(card.card.encryption.certificate_path),
         "-keyopt", "rsa_padding_mode:oaep"],
        input=plain, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr.decode()
    return made.stdout


def _refuse(request: object) -> None:
    raise AssertionError(f"the service asked the user ({request}) in page PIN mode")


class _Site:
    """The service on a free port, and a page origin it trusts serving one sample page."""

    def __init__(self, tmp_path: Path, cards: StandardCards) -> None:
        self._service_listener = bind_loopback(0, what="the service", option="--port")
        self._page_listener = bind_loopback(0, what="the page", option="--port")
        self.service_url = f"http://localhost:{self._service_listener.getsockname()[1]}"
        self.page_url = f"http://localhost:{self._page_listener.getsockname()[1]}"
        trust = tmp_path / "trusted-origins.json"
        trust.write_text(json.dumps({"origins": [self.page_url]}))
        self.config = ServiceConfig(
            port=self._service_listener.getsockname()[1],
            module_path=cards.xca.module_path,
            trust_list_path=trust,
            pin_prompter=_refuse,
            domain_approver=_refuse,
        )
        self.html = ""

    def serve(self) -> Iterator[_Site]:
        async def sample(request: Any) -> HTMLResponse:
            return HTMLResponse(self.html)

        page_app = Starlette(routes=[Route("/", sample)])
        with (
            BackgroundServer(create_app(self.config), self._service_listener, name="service"),
            BackgroundServer(page_app, self._page_listener, name="sample page"),
        ):
            yield self


@pytest.fixture
def site(tmp_path: Path, softhsm_cards: StandardCards) -> Iterator[_Site]:
    yield from _Site(tmp_path, softhsm_cards).serve()


def _decrypt_in_page(page: Any, site: _Site, request: dict[str, str]) -> str:
    site.html = PAGE % {"service": json.dumps(site.service_url), "request": json.dumps(request)}
    page.goto(site.page_url)
    page.click("#decrypt")
    page.wait_for_function("document.getElementById('result').textContent !== ''", timeout=30000)
    return str(page.text_content("#result"))


def _request(card: VirtualCard, cipher: bytes) -> dict[str, str]:
    return {
        "func": "DecryptData",
        "cipher": base64.b64encode(cipher).decode(),
        "cipherType": "PKCS7",
        "plainEncoding": "NONE",
        "pin": card.pin,
        "slotDescription": _reader_of(card),
    }


def test_the_sample_page_decrypts_an_openssl_envelope_through_the_popup(
    page: Any, site: _Site, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    envelope = _envelope(openssl, card, PLAIN.encode())
    assert _decrypt_in_page(page, site, _request(card, envelope)) == "plain:" + PLAIN


def test_the_sample_page_gets_the_one_refusal_for_a_tampered_envelope(
    page: Any, site: _Site, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    envelope = _envelope(openssl, card, PLAIN.encode())
    tampered = envelope[:-1] + bytes([envelope[-1] ^ 1])
    assert _decrypt_in_page(page, site, _request(card, tampered)) == "ret_code:7a000006"
