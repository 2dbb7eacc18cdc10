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
from conftest import PIN, screenshot
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

    framed = page.evaluate(
        """src => new Promise(resolve => {
             const frame = document.createElement('iframe');
             frame.src = src;
             frame.onload = () => resolve(true);
             document.body.appendChild(frame);
             setTimeout(() => resolve(false), 5000);
           })""",
        f"{desk.service_url}/addDomain?domain=127.0.0.1",
    )
    assert framed is not None
    framed_frame = next(f for f in page.frames if "addDomain" in f.url or "chrome-error" in f.url)
    assert framed_frame.query_selector("#approve") is None, "the popup refuses to be framed"

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
