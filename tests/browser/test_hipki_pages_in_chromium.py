"""The acceptance journey: a page written for HiPKI works unchanged (but the port) through
``xcapki serve`` in headless Chromium.

The page probes the service by image, finds itself untrusted, is refused a direct
certificate read and a signature, cannot frame the approval popup, is trusted through
the popup (the user presses 信任 once it is enabled; the page waits for the popup's
message and reloads), then reads the certificates by XMLHttpRequest (a CORS preflight)
and signs PKCS7, PKCS1 and RAW through /popupForm. OpenSSL verifies every signature.
The self-test page then runs its nine steps the same way.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import CHROMIUM, CHROMIUM_ARGS, PIN, screenshot
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hipki_desk import HipkiDesk, page_server, rewritten_pages, xcapki_serve

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, TestPki

pytestmark = [pytest.mark.chromium, pytest.mark.softhsm, pytest.mark.openssl]

_TIMEOUT_MS = 60_000
NOT_TRUSTED = 0x76000031
HOLDER = CardSpec(authority=Authority.MOICA, organisation_name="陳測試", moica_id_digits="4321")


@pytest.fixture(scope="module")
def desk(test_pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HipkiDesk]:
    root = tmp_path_factory.mktemp("hipki-desk")
    with xcapki_serve(test_pki, HOLDER, root, PIN) as (service_url, log, trust_file, card):
        port = int(service_url.rsplit(":", 1)[1])
        with page_server(rewritten_pages(root / "site", port)) as site:
            yield HipkiDesk(
                page_url=f"{site}/hipki_login.html",
                service_url=service_url,
                log=log,
                trust_file=trust_file,
                card=card,
            )


def _result(page: Any, name: str) -> Any:
    page.wait_for_function(f"() => window.results && window.results.{name} !== undefined",
                           timeout=_TIMEOUT_MS)  # fmt: skip
    return page.evaluate(f"() => window.results.{name}")


def _wait_closed(popup: Any) -> None:
    if not popup.is_closed():
        popup.wait_for_event("close", timeout=_TIMEOUT_MS)


def _openssl(*arguments: str | Path) -> None:
    result = subprocess.run(["openssl", *map(str, arguments)], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def _public_key(desk: HipkiDesk, certb64: str, directory: Path) -> Path:
    certificate = x509.load_der_x509_certificate(base64.b64decode(certb64))
    assert certificate == desk.card.card.signing.certificate
    path = directory / "public.pem"
    path.write_bytes(
        certificate.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def test_an_unchanged_hipki_page_is_trusted_through_the_popup_then_reads_and_signs(
    page: Any, desk: HipkiDesk, test_pki: TestPki, tmp_path: Path
) -> None:
    page.goto(desk.page_url)
    probe = _result(page, "probe")
    assert probe["ret_code"] == NOT_TRUSTED, "untrusted first"
    assert probe["serverVersion"] == probe["version"]
    assert desk.card.serial not in str(probe)
    assert page.is_visible("#trust")
    screenshot(page, "hipki-01-untrusted")

    page.click("#read-certs")
    assert _result(page, "certs") == {"error": "XMLHttpRequest failed"}, "no CORS for it"
    with page.expect_popup() as opened:
        page.click("#sign-pkcs1")
    refused = _result(page, "pkcs1")
    assert refused["ret_code"] == NOT_TRUSTED
    assert "signature" not in refused
    _wait_closed(opened.value)
    page.evaluate("() => { delete window.results.pkcs1; }")

    page.evaluate(
        """src => { const frame = document.createElement('iframe');
                    frame.id = 'framed'; frame.src = src; document.body.appendChild(frame); }""",
        f"{desk.service_url}/addDomain?domain=127.0.0.1",
    )
    page.wait_for_timeout(1000)
    framed = page.query_selector("#framed").content_frame()
    assert framed is None or framed.query_selector("#approve") is None, "it cannot be framed"

    with page.expect_popup() as opened:
        page.click("#trust")
    popup = opened.value
    popup.wait_for_load_state()
    assert "127.0.0.1" in popup.inner_text(".site")
    assert popup.is_disabled("#approve"), "the trust button waits before it works"
    screenshot(popup, "hipki-02-add-domain-popup")
    popup.wait_for_selector("#approve:not([disabled])", timeout=_TIMEOUT_MS)
    with page.expect_navigation(timeout=_TIMEOUT_MS):
        popup.click("#approve")
    trusted = _result(page, "probe")
    assert trusted["ret_code"] == 0
    assert _result(page, "cardReader")
    card_index = _result(page, "cardIndex")
    assert trusted["slots"][card_index]["token"]["serialNumber"] == desk.card.serial
    screenshot(page, "hipki-03-trusted")

    page.click("#read-certs")
    certs = _result(page, "certs")
    assert certs["ret_code"] == 0
    slot = certs["slots"][card_index]
    signing = next(c for c in slot["token"]["certs"] if c["usage"] == "digitalSignature")
    issued = desk.card.card.signing.certificate
    assert signing["subjectID"] == "4321"
    assert "serialNumber=4321" in signing["subjectDN"]
    assert signing["notAfterT"] == int(issued.not_valid_after_utc.timestamp())

    page.fill("#pin", PIN)
    for button in ("#sign-pkcs7", "#sign-pkcs1", "#sign-raw"):
        with page.expect_popup() as opened:
            page.click(button)
        name = button.removeprefix("#sign-")
        answer = _result(page, name)
        assert (answer["func"], answer["ret_code"]) == ("sign", 0), answer
        assert answer["cardSN"] == desk.card.serial

    pkcs7 = _result(page, "pkcs7")
    (tmp_path / "p7s").write_bytes(base64.b64decode(pkcs7["signature"]))
    _openssl("cms", "-verify", "-inform", "DER", "-in", tmp_path / "p7s", "-binary",
             "-CAfile", test_pki.root_certificate_path, "-out", tmp_path / "content")  # fmt: skip
    assert (tmp_path / "content").read_text("utf-8") == _result(page, "pkcs7Tbs")

    key = _public_key(desk, _result(page, "pkcs1")["certb64"], tmp_path)
    (tmp_path / "pkcs1-data").write_text(_result(page, "pkcs1Tbs"), "utf-8")
    (tmp_path / "pkcs1-sig").write_bytes(base64.b64decode(_result(page, "pkcs1")["signature"]))
    _openssl("dgst", "-sha256", "-verify", key, "-signature", tmp_path / "pkcs1-sig",
             tmp_path / "pkcs1-data")  # fmt: skip

    digest = base64.b64decode(_result(page, "rawDigest"))
    assert digest == hashlib.sha256(b"a document hashed by the page").digest()
    (tmp_path / "digest").write_bytes(digest)
    (tmp_path / "raw-sig").write_bytes(base64.b64decode(_result(page, "raw")["signature"]))
    _openssl("pkeyutl", "-verify", "-pubin", "-inkey", key, "-in", tmp_path / "digest",
             "-sigfile", tmp_path / "raw-sig", "-pkeyopt", "digest:sha256")  # fmt: skip

    log = desk.log_text()
    assert "GET /p11Image.bmp" in log
    assert "GET /addDomain?domain=127.0.0.1" in log
    assert "trusted by the user" in log
    assert "OPTIONS /pkcs11info?withcert=true" in log
    assert PIN not in log


def test_the_self_test_page_runs_its_steps_after_the_user_trusts_it(
    page: Any, desk: HipkiDesk
) -> None:
    page.goto(f"{desk.service_url}/selfTest.htm")
    page.wait_for_selector("#step-3.fail", timeout=_TIMEOUT_MS)
    assert "信任本頁" in page.inner_text("#step-3 .remedy")
    assert page.get_attribute("#step-1", "class") == "pass"
    with page.expect_popup() as opened:
        page.click("#trust")
    popup = opened.value
    popup.wait_for_selector("#approve:not([disabled])", timeout=_TIMEOUT_MS)
    popup.click("#approve")
    page.wait_for_selector("#step-5.pass", timeout=_TIMEOUT_MS)

    page.fill("#pin", "000000")
    page.click("#run")
    page.wait_for_selector("#step-6.fail", timeout=_TIMEOUT_MS)
    assert "3 次" in page.inner_text("#step-6 .remedy")
    screenshot(page, "self-test-01-wrong-pin")

    page.fill("#pin", PIN)
    page.click("#run")
    page.wait_for_selector("#step-9.pass", timeout=_TIMEOUT_MS)
    for step in range(1, 10):
        assert page.get_attribute(f"#step-{step}", "class") == "pass", step
    assert "陳測試" in page.inner_text("#step-9 .detail")
    assert "4321" in page.inner_text("#step-9 .detail")
    screenshot(page, "self-test-02-passed")


# Chromium's Local Network Access: a page on a public address asking the loopback service.
# --ip-address-space-overrides makes the page server's address count as public (as a
# portal on the Internet is) and --host-resolver-rules gives it a name that is not
# loopback, so a plain-http page is not a secure context; the HTTPS server's certificate
# is self-signed (--ignore-certificate-errors). Granting "local-network-access" is the
# user pressing Allow on Chromium's prompt; headless Chromium otherwise denies it.

PUBLIC_HOST = "portal.test"


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    directory = tmp_path_factory.mktemp("tls")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", certificate, "-subj", f"/CN={PUBLIC_HOST}", "-days", "2",
             "-addext", f"subjectAltName=DNS:{PUBLIC_HOST}")  # fmt: skip
    return certificate, key


def _public_page(
    playwright: Any, profile: Path, site_url: str, *, allowed: bool
) -> tuple[Any, Any, list[str]]:
    """A page of ``site_url``'s site, on an address Chromium counts as public."""
    port = site_url.rsplit(":", 1)[1]
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            f"--ip-address-space-overrides=127.0.0.1:{port}=public",
            f"--host-resolver-rules=MAP {PUBLIC_HOST} 127.0.0.1",
            "--ignore-certificate-errors",
        ],
    )
    scheme = site_url.split("://", 1)[0]
    public_url = f"{scheme}://{PUBLIC_HOST}:{port}"
    if allowed:
        context.grant_permissions(["local-network-access"], origin=public_url)
    page = context.pages[0] if context.pages else context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    page.goto(f"{public_url}/hipki_login.html")
    return context, page, messages


def _loopback_refusals(page: Any, console: list[str], count: int) -> list[str]:
    """Chromium's console lines refusing requests to the loopback address space (they may
    arrive a little after the page's error handlers ran)."""
    for _ in range(100):
        blocked = [line for line in console if "`loopback`" in line]
        if len(blocked) >= count:
            return blocked
        page.wait_for_timeout(100)
    raise AssertionError(f"Chromium did not report {count} loopback refusals: {console}")


def _signature_popup_answers(page: Any) -> dict[str, Any]:
    """A top-level popup and postMessage are not network requests: they reach the service."""
    page.evaluate("() => { window.results = {}; }")
    with page.expect_popup() as opened:
        page.click("#sign-pkcs1")
    answer: dict[str, Any] = _result(page, "pkcs1")
    _wait_closed(opened.value)
    return answer


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_public_page_loses_the_image_probe_and_xhr_but_keeps_the_popup(
    playwright: Any,
    desk: HipkiDesk,
    tls_pair: tuple[Path, Path],
    tmp_path: Path,
    scheme: str,
) -> None:
    port = int(desk.service_url.rsplit(":", 1)[1])
    pages = rewritten_pages(tmp_path / "site", port)
    with page_server(pages, tls=tls_pair if scheme == "https" else None) as site:
        context, page, console = _public_page(playwright, tmp_path / "profile", site, allowed=False)
        try:
            assert _result(page, "probe") is None
            assert page.inner_text("#status") == "未安裝客戶端程式或未啟動服務"
            page.click("#read-certs")
            assert _result(page, "certs") == {"error": "XMLHttpRequest failed"}
            blocked = _loopback_refusals(page, console, 2)
            reason = "not a secure context" if scheme == "http" else "Permission was denied"
            assert all(reason in line for line in blocked), blocked
            answer = _signature_popup_answers(page)
            assert answer["func"] == "sign"
            assert answer["ret_code"] == NOT_TRUSTED, "the service answered through the popup"
            assert f"{scheme}://{PUBLIC_HOST}" in answer["message"]
        finally:
            context.close()


def test_a_public_https_page_the_user_allowed_probes_and_reads_again(
    playwright: Any, desk: HipkiDesk, tls_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    port = int(desk.service_url.rsplit(":", 1)[1])
    pages = rewritten_pages(tmp_path / "site", port)
    with page_server(pages, tls=tls_pair) as site:
        context, page, _ = _public_page(playwright, tmp_path / "profile", site, allowed=True)
        try:
            probe = _result(page, "probe")
            assert probe["ret_code"] == NOT_TRUSTED, "reached: the service says who it trusts"
            assert probe["serverVersion"]
            with page.expect_popup() as opened:
                page.click("#trust")
            popup = opened.value
            popup.wait_for_selector("#approve:not([disabled])", timeout=_TIMEOUT_MS)
            with page.expect_navigation(timeout=_TIMEOUT_MS):
                popup.click("#approve")
            assert _result(page, "probe")["ret_code"] == 0
            page.click("#read-certs")
            certs = _result(page, "certs")
            assert certs["ret_code"] == 0, "the preflighted XMLHttpRequest reads the certificates"
            assert desk.card.serial in str(certs)
        finally:
            context.close()
