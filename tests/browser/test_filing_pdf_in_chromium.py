"""以憑證簽署申報書 in a real browser: the filing signed as PDF through the popupForm.

After a card login, the filing page (static/filing_pdf.js) asks the portal to
prepare the PDF signature, has the card sign the prepared bytes through the
local service's popupForm (MakeSignature, PKCS1), and posts the answer back;
the portal embeds and verifies it, and the page offers the signed PDF.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from browser_kit import PIN, CardDesk, screenshot

pytestmark = [pytest.mark.chromium, pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.poppler]

_TIMEOUT_MS = 60_000


def test_the_card_signs_the_filing_as_a_pdf(
    page: Any, desks: dict[str, CardDesk], tmp_path: Path
) -> None:
    desk = desks["xca"]
    page.goto(f"{desk.portal_url}/login")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_url(re.compile(r"/home$"), timeout=_TIMEOUT_MS)

    page.goto(f"{desk.portal_url}/apps/cpa-filing")
    page.fill("#filing-pin", PIN)
    page.click("#filing-button")
    page.wait_for_function(
        "() => !document.getElementById('filing-download').hidden ||"
        " (document.querySelector('#filing-message.error') || {}).textContent",
        timeout=_TIMEOUT_MS,
    )
    message = page.inner_text("#filing-message")
    assert "申報書已簽署並驗證通過" in message, message
    screenshot(page, "05-cpa-filing-signed-pdf")

    with page.expect_download(timeout=_TIMEOUT_MS) as download:
        page.click("#filing-download")
    signed = tmp_path / "filing.pdf"
    download.value.save_as(str(signed))
    assert signed.read_bytes().startswith(b"%PDF-")
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("pdfsig is not installed (Debian package poppler-utils)")
    report = subprocess.run([pdfsig, str(signed)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report
    assert "測試聯合會計師事務所" in report
