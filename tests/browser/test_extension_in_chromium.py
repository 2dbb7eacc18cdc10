"""Headless Debian Chromium with the unpacked xcapki extension, its native host and the portal.

Chromium loads extension/ (``--load-extension`` with ``--disable-extensions-except``)
and finds the native host through the manifest ``xcapki browser install``
writes into the test profile's user data directory. The host runs on a
SoftHSM2 store holding one card and asks its PINs from the test pinentry
program. The portal is served over https (a throw-away certificate the
browser is told to accept), as Web eID requires; other host names resolve
to loopback so that pages of other origins can be opened.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import CHROMIUM, CHROMIUM_ARGS, PIN, XCA_FIRM, Portal
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from xcapki.crypto.authority import Authority
from xcapki.nativehost.install import Browser, install
from xcapki.testing import (
    CardSpec,
    TestPki,
    VirtualCard,
    find_softhsm2_module,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.pinentry import ScriptedPinentry

EXTENSION = Path(__file__).resolve().parents[2] / "extension"
STEP_TIMEOUT = 30_000

pytestmark = [pytest.mark.chromium, pytest.mark.softhsm, pytest.mark.ocsp]


@pytest.fixture(scope="module")
def cards(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One SoftHSM2 store per situation: an XCA card, a MOICA card, no card."""
    specs: dict[str, CardSpec | None] = {
        "xca": XCA_FIRM,
        "moica": CardSpec(
            authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="6789"
        ),
        "absent": None,
    }
    made: dict[str, Any] = {}
    for name, spec in specs.items():
        conf = softhsm_config(tmp_path_factory.mktemp(f"ext-{name}"))
        card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=PIN) if spec else None
        made[name] = (conf, card)
    return made


class Browser_:
    """A Chromium profile with the extension, its native host, and one card store."""

    def __init__(self, context: Any, dialogs: ScriptedPinentry, card: VirtualCard | None) -> None:
        self.context = context
        self.dialogs = dialogs
        self.card = card

    def page(self) -> Any:
        return self.context.pages[0] if self.context.pages else self.context.new_page()


@contextlib.contextmanager
def launch(
    playwright: Any,
    directory: Path,
    store: tuple[Path, VirtualCard | None],
    portal: Portal,
    *host_options: str,
    also_trusted: tuple[str, ...] = (),
) -> Iterator[Browser_]:
    conf, card = store
    dialogs = ScriptedPinentry(directory)
    sites = directory / "sites.json"
    sites.write_text(json.dumps({"origins": [portal.origin, *also_trusted]}))
    profile = directory / "profile"
    install(
        [Browser.CHROMIUM],
        home=directory / "home",
        user_data_dir=profile,
        host_options=[
            "--module", str(find_softhsm2_module()), "--pinentry", str(dialogs.program),
            "--sites", str(sites), "--timeout", "60", *host_options,
        ],
    )  # fmt: skip
    environment = {
        "SOFTHSM2_CONF": str(conf),
        "XCAPKI_TEST_PINENTRY": str(dialogs.script),
        "HOME": str(directory / "home"),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            f"--disable-extensions-except={EXTENSION}",
            f"--load-extension={EXTENSION}",
            "--ignore-certificate-errors",
            "--host-resolver-rules=MAP evil.test 127.0.0.1, MAP insecure.test 127.0.0.1",
        ],
        ignore_default_args=["--disable-extensions"],
        env=environment,
        locale="zh-TW",
    )
    try:
        worker = context.service_workers[0] if context.service_workers else None
        if worker is None:
            worker = context.wait_for_event("serviceworker", timeout=STEP_TIMEOUT)
        deadline = time.monotonic() + STEP_TIMEOUT / 1000
        while not worker.evaluate("chrome.scripting.getRegisteredContentScripts()"):
            if time.monotonic() > deadline:
                raise AssertionError("the extension did not register the SmartPKI page API")
            time.sleep(0.1)
        yield Browser_(context, dialogs, card)
    finally:
        context.close()


@pytest.fixture(scope="module")
def xca_browser(
    playwright: Any,
    portal: Portal,
    cards: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Browser_]:
    with launch(playwright, tmp_path_factory.mktemp("xca-browser"), cards["xca"], portal) as b:
        yield b


def _me(page: Any) -> Any:
    return page.evaluate("fetch('/api/me').then((r) => r.json())")


def _logout(page: Any, portal: Portal) -> None:
    page.goto(f"{portal.origin}/login")
    page.evaluate("fetch('/logout', {method: 'POST'})")


def _web_eid(page: Any, action: str, fields: dict[str, Any]) -> Any:
    """One Web eID request as the page library sends it; the extension's final answer."""
    return page.evaluate(
        """([action, fields]) => new Promise((resolve) => {
            window.addEventListener("message", function listen(event) {
              const data = event.data || {};
              if (data.action === action + "-success" || data.action === action + "-failure") {
                window.removeEventListener("message", listen);
                resolve(data);
              }
            });
            window.postMessage(Object.assign({action, libraryVersion: "2.1.0"}, fields), "*");
          })""",
        [action, fields],
    )


# --- Web eID ---


def test_web_eid_login_then_sign_a_hash(xca_browser: Browser_, portal: Portal) -> None:
    dialogs = xca_browser.dialogs
    page = xca_browser.page()
    _logout(page, portal)
    posted: list[Any] = []
    page.on(
        "request",
        lambda r: posted.append(r.post_data) if r.url.endswith("/login/webeid") else None,
    )
    dialogs.answer({"pin": PIN})
    page.goto(f"{portal.origin}/login/webeid")
    page.click("#webeid-button")
    page.wait_for_url(f"{portal.origin}/home", timeout=STEP_TIMEOUT)
    me = _me(page)
    assert me["response_format"] == "web-eid"
    assert me["authority"] == "XCA"
    assert me["unified_business_number"] == "12345678"
    assert me["cpa_filing_admitted"] is True
    assert me["revocation"] == "good"
    description = dialogs.texts("SETDESC")[0]
    assert portal.origin in description
    assert xca_browser.card is not None
    assert xca_browser.card.serial in description

    replay = page.evaluate(
        "(body) => fetch('/login/webeid', {method: 'POST', body,"
        " headers: {'Content-Type': 'application/json'}}).then((r) => r.status)",
        posted[0],
    )
    assert replay in (400, 401)

    dialogs.answer({"confirm": True}, {"pin": PIN})
    certificate = _web_eid(page, "web-eid:get-signing-certificate", {})
    assert certificate["action"] == "web-eid:get-signing-certificate-success"
    digest = hashlib.sha256(b"a document the portal prepared").digest()
    signed = _web_eid(
        page,
        "web-eid:sign",
        {
            "certificate": certificate["certificate"],
            "hash": base64.b64encode(digest).decode(),
            "hashFunction": "SHA-256",
        },
    )
    assert signed["action"] == "web-eid:sign-success", signed
    key = x509.load_der_x509_certificate(base64.b64decode(certificate["certificate"])).public_key()
    key.verify(  # type: ignore[union-attr]
        base64.b64decode(signed["signature"]),
        digest,
        padding.PKCS1v15(),  # type: ignore[call-arg]
        utils.Prehashed(hashes.SHA256()),  # type: ignore[call-arg]
    )


def test_web_eid_status(xca_browser: Browser_, portal: Portal) -> None:
    page = xca_browser.page()
    page.goto(f"{portal.origin}/login/webeid")
    status = _web_eid(page, "web-eid:status", {})
    assert status["action"] == "web-eid:status-success"
    assert status["nativeApp"] == "2.9.0"
    assert status["extension"].split(".")[0] == "2"


def test_the_user_cancels_and_a_wrong_pin(xca_browser: Browser_, portal: Portal) -> None:
    page = xca_browser.page()
    _logout(page, portal)
    page.goto(f"{portal.origin}/login/webeid")
    xca_browser.dialogs.answer({"pin": "654321"}, {"cancel": True})
    page.click("#webeid-button")
    page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
    assert "取消" in page.inner_text("#message")
    assert "refused" in xca_browser.dialogs.texts("SETERROR")[0]
    assert _me(page)["logged_in"] is False


class _PlainPage(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!DOCTYPE html><title>plain http</title><p>no TLS here</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is not the place for access lines."""


@pytest.fixture(scope="module")
def plain_http_port() -> Iterator[int]:
    """A plain-http site on loopback; reached as insecure.test it is not a secure context."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PlainPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        thread.join()


def test_an_insecure_page_gets_no_card(xca_browser: Browser_, plain_http_port: int) -> None:
    page = xca_browser.page()
    page.goto(f"http://insecure.test:{plain_http_port}/")
    assert page.evaluate("window.isSecureContext") is False
    answer = _web_eid(page, "web-eid:authenticate", {"challengeNonce": "n" * 44})
    assert answer["error"]["code"] == "ERR_WEBEID_CONTEXT_INSECURE"


def test_another_origin_cannot_claim_the_portals(xca_browser: Browser_, portal: Portal) -> None:
    """A page on evil.test relays the portal's nonce and claims the portal's origin."""
    page = xca_browser.page()
    _logout(page, portal)
    page.goto(f"{portal.origin}/login/webeid")
    challenge = page.evaluate(
        "fetch('/login/webeid/challenge', {method: 'POST', body: '{}'}).then((r) => r.json())"
    )
    evil = xca_browser.context.new_page()
    evil.goto(f"https://evil.test:{portal.port}/login")
    xca_browser.dialogs.answer({"pin": PIN})
    token = _web_eid(
        evil,
        "web-eid:authenticate",
        {"challengeNonce": challenge["nonce"], "origin": portal.origin},
    )
    evil.close()
    assert token["action"] == "web-eid:authenticate-success"
    assert f"https://evil.test:{portal.port}" in xca_browser.dialogs.texts("SETDESC")[0]
    body = json.dumps(
        {
            "challengeId": challenge["challengeId"],
            "authToken": {k: token[k] for k in ("unverifiedCertificate", "algorithm", "signature",
                                                 "format", "appVersion")},
        }
    )  # fmt: skip
    status = page.evaluate(
        "(body) => fetch('/login/webeid', {method: 'POST', body,"
        " headers: {'Content-Type': 'application/json'}}).then((r) => r.status)",
        body,
    )
    assert status == 401
    assert _me(page)["logged_in"] is False


# --- SmartPKI pages ---


def test_smartpki_form_login(xca_browser: Browser_, portal: Portal) -> None:
    page = xca_browser.page()
    _logout(page, portal)
    xca_browser.dialogs.answer({"pin": PIN})
    page.goto(f"{portal.origin}/login/smartpki")
    assert page.evaluate("window.zhaninfo.smartpki.version") == "1.0.0.0"
    page.fill("#pin", "typed-into-the-page")
    page.click("#login-button")
    page.wait_for_url(f"{portal.origin}/home", timeout=STEP_TIMEOUT)
    me = _me(page)
    assert me["response_format"] == "smartpki"
    assert me["authority"] == "XCA"
    assert me["cpa_filing_admitted"] is True
    assert portal.origin in xca_browser.dialogs.texts("SETDESC")[0]


def test_an_untrusted_site_has_no_smartpki_api(xca_browser: Browser_, portal: Portal) -> None:
    page = xca_browser.page()
    page.goto(f"https://evil.test:{portal.port}/login/smartpki")
    assert page.evaluate("typeof window.zhaninfo") == "undefined"
    page.click("#login-button")
    page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
    assert "20001" in page.inner_text("#message")


def test_smartpki_page_refuses_a_moica_card(
    playwright: Any, portal: Portal, cards: dict[str, Any], tmp_path: Path
) -> None:
    with launch(playwright, tmp_path, cards["moica"], portal) as browser:
        page = browser.page()
        page.goto(f"{portal.origin}/login/smartpki")
        page.click("#login-button")
        page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
        assert "憑證檢查錯誤" in page.inner_text("#message")
        assert browser.dialogs.texts("GETPIN") == []


def test_no_card_in_either_protocol(
    playwright: Any, portal: Portal, cards: dict[str, Any], tmp_path: Path
) -> None:
    with launch(playwright, tmp_path, cards["absent"], portal) as browser:
        page = browser.page()
        page.goto(f"{portal.origin}/login/webeid")
        page.click("#webeid-button")
        page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
        assert "no card" in page.inner_text("#message")
        page.goto(f"{portal.origin}/login/smartpki")
        page.click("#login-button")
        page.wait_for_selector("#message.error", timeout=STEP_TIMEOUT)
        assert str(0x76000006) in page.inner_text("#message")


def test_smartpki_compatible_mode_wraps_the_page_pin(
    playwright: Any, portal: Portal, cards: dict[str, Any], tmp_path: Path
) -> None:
    """The page-world port wraps the typed PIN with the host's session key (RSA PKCS#1 v1.5)."""
    with launch(playwright, tmp_path, cards["xca"], portal, "--accept-page-pin") as browser:
        page = browser.page()
        page.goto(f"{portal.origin}/login/smartpki")
        page.fill("#pin", PIN)
        page.click("#login-button")
        page.wait_for_url(f"{portal.origin}/home", timeout=STEP_TIMEOUT)
        assert _me(page)["response_format"] == "smartpki"
        assert browser.dialogs.texts("GETPIN") == []
