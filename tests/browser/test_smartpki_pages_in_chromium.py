"""SmartPKI pages of the test's own in headless Chromium: secondary-card user data, LoadPkcs7,
and the legacy Edge CustomEvent path.

The pages (tests/browser/pages/smartpki_*.html) are written as SmartPKI
pages behave and served over https from a trusted origin of their own; the
form they submit is recorded by the server. The secondary 工商憑證 card's
attribute certificate is made by the test and written with pkcs11-tool;
the submitted PKCS#7 is checked by OpenSSL.
"""

from __future__ import annotations

import base64
import http.server
import ssl
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from browser_kit import PIN, XCA_FIRM, Portal
from test_extension_in_chromium import STEP_TIMEOUT, launch

from xcapki.crypto.authority import Authority
from xcapki.demo.tls import self_signed_tls
from xcapki.nativehost.smartpki import SmartPkiCode
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
from xcapki.testing.attribute_certificate import issue_attribute_certificate, store_user_data

PAGES = Path(__file__).resolve().parent / "pages"

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.softhsm,
    pytest.mark.ocsp,
    pytest.mark.openssl,
    pytest.mark.pkcs11tool,
]


@dataclass
class PageSite:
    """The test pages over https, and every form posted back to ``/submit``."""

    origin: str
    posted: list[dict[str, str]] = field(default_factory=list)


def _handler(site: PageSite) -> type[http.server.BaseHTTPRequestHandler]:
    class Pages(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            name = self.path.lstrip("/").split("?")[0]
            path = PAGES / name
            if "/" in name or not name.endswith(".html") or not path.is_file():
                self.send_error(404)
                return
            self._send(path.read_bytes())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
            site.posted.append({key: values[0] for key, values in form.items()})
            self._send("<!doctype html><meta charset=utf-8><title>已送出</title>".encode())

        def _send(self, body: bytes) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is not the place for access lines."""

    return Pages


@pytest.fixture(scope="module")
def page_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PageSite]:
    certificate, key = self_signed_tls(tmp_path_factory.mktemp("pages-tls"), ("localhost",))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    site = PageSite(origin="")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    site.origin = f"https://localhost:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join()


@dataclass(frozen=True)
class SecondaryCard:
    store: tuple[Path, VirtualCard]
    user_data: bytes


@pytest.fixture(scope="module")
def secondary_card(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> SecondaryCard:
    """A MOEACA secondary card (附卡) carrying its attribute certificate."""
    conf = softhsm_config(tmp_path_factory.mktemp("pages-secondary"))
    spec = CardSpec(
        authority=Authority.MOEACA,
        organisation_name="測試科技股份有限公司",
        unified_business_number="24681357",
        card_rank="附卡",
    )
    card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=PIN)
    user_data = issue_attribute_certificate(
        test_pki.ca(Authority.MOEACA), card.card.signing.certificate
    )
    store_user_data(card, user_data)
    return SecondaryCard(store=(conf, card), user_data=user_data)


@pytest.fixture(scope="module")
def xca_card(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Any:
    conf = softhsm_config(tmp_path_factory.mktemp("pages-xca"))
    return conf, provision_softhsm_card(test_pki, XCA_FIRM, softhsm_conf=conf, pin=PIN)


def _check_detached(signed: str, content: str, directory: Path) -> None:
    signature, text = directory / "sig.p7s", directory / "content.txt"
    signature.write_bytes(base64.b64decode(signed))
    text.write_text(content, encoding="utf-8")
    verified = subprocess.run(
        ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature),
         "-content", str(text), "-noverify", "-out", "/dev/null"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr


def _submitted(page: Any, site: PageSite, count: int) -> dict[str, str]:
    page.wait_for_url(f"{site.origin}/submit", timeout=STEP_TIMEOUT)
    assert len(site.posted) == count
    return site.posted[-1]


def test_a_secondary_card_login_submits_its_user_data(
    playwright: Any, portal: Portal, page_site: PageSite, secondary_card: SecondaryCard,
    tmp_path: Path,
) -> None:  # fmt: skip
    with launch(
        playwright, tmp_path, secondary_card.store, portal, also_trusted=(page_site.origin,)
    ) as browser:
        browser.dialogs.answer({"pin": PIN})
        page = browser.page()
        page.goto(f"{page_site.origin}/smartpki_card.html")
        before = len(page_site.posted)
        page.click("#login-button")
        form = _submitted(page, page_site, before + 1)
        assert base64.b64decode(form["attributeCertData"]) == secondary_card.user_data
        assert form["mainCard"] == "2"
        assert form["certCaType"] == "2"
        assert form["ownerId"] == "24681357"
        _check_detached(form["signedData"], form["content"], tmp_path)
        assert len(browser.dialogs.texts("GETPIN")) == 1
        assert page_site.origin in browser.dialogs.texts("SETDESC")[0]


def test_a_page_reads_a_pkcs7_back(
    playwright: Any, portal: Portal, page_site: PageSite, xca_card: Any, tmp_path: Path
) -> None:
    with launch(playwright, tmp_path, xca_card, portal, also_trusted=(page_site.origin,)) as b:
        b.dialogs.answer({"pin": PIN})
        page = b.page()
        page.goto(f"{page_site.origin}/smartpki_card.html")
        before = len(page_site.posted)
        page.click("#login-button")
        form = _submitted(page, page_site, before + 1)

        page.goto(f"{page_site.origin}/smartpki_card.html")
        page.fill("#signed-text", form["content"])
        page.fill("#pkcs7", form["signedData"])
        page.click("#read-button")
        page.wait_for_selector("#message.ok", timeout=STEP_TIMEOUT)
        shown = page.inner_text("#out")
        assert '"id":"12345678"' in shown
        assert form["content"] in shown

        page.fill("#signed-text", form["content"] + "x")
        page.click("#read-button")
        page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
        assert str(int(SmartPkiCode.SIGNATURE_INVALID)) in page.inner_text("#message")
        assert len(b.dialogs.texts("GETPIN")) == 1


def test_the_edge_path_signs_and_reads_the_user_data(
    playwright: Any, portal: Portal, page_site: PageSite, secondary_card: SecondaryCard,
    tmp_path: Path,
) -> None:  # fmt: skip
    with launch(
        playwright, tmp_path, secondary_card.store, portal, also_trusted=(page_site.origin,)
    ) as browser:
        browser.dialogs.answer({"pin": PIN})
        page = browser.page()
        page.goto(f"{page_site.origin}/smartpki_edge.html")
        before = len(page_site.posted)
        page.click("#login-button")
        form = _submitted(page, page_site, before + 1)
        _check_detached(form["signedData"], form["content"], tmp_path)
        assert form["mainCard"] == "2"
        assert base64.b64decode(form["attributeCertData"]) == secondary_card.user_data
        assert page_site.origin in browser.dialogs.texts("SETDESC")[0]

        browser.dialogs.answer({"cancel": True})
        page.goto(f"{page_site.origin}/smartpki_edge.html")
        page.click("#login-button")
        page.wait_for_function(
            "document.getElementById('message').textContent !== ''", timeout=STEP_TIMEOUT
        )
        assert str(int(SmartPkiCode.USER_CANCELLED)) in page.inner_text("#message")
        assert len(page_site.posted) == before + 1


def test_the_edge_path_is_silent_on_an_untrusted_site(
    playwright: Any, portal: Portal, page_site: PageSite, xca_card: Any, tmp_path: Path
) -> None:
    with launch(playwright, tmp_path, xca_card, portal) as browser:
        page = browser.page()
        port = page_site.origin.rsplit(":", 1)[1]
        page.goto(f"https://evil.test:{port}/smartpki_edge.html")
        page.click("#login-button")
        page.wait_for_function(
            "document.getElementById('message').textContent !== ''", timeout=STEP_TIMEOUT
        )
        assert "20003" in page.inner_text("#message")
        assert page.evaluate("window.answers") == []
        assert browser.dialogs.asked() == []
