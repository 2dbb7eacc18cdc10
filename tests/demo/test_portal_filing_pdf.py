"""申報書簽章 in the portal: the filing signed as a PDF by the card that logged in.

The test stands in for static/filing_pdf.js and for the local signing service:
the service's PKCS1 answer is the card key's signature over the prepared bytes.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from portal_driver import PORTAL, PortalBrowser

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.pdf import PadesLevel, verify_pdf
from xcapki.testing import IssuedCard, TestPki

pytestmark = [pytest.mark.ocsp, pytest.mark.poppler]


def _card_answer(tbs: str, card: IssuedCard) -> str:
    """What the local service's MakeSignature (signatureType PKCS1) returns as ``signature``."""
    signer = KeySigner(private_key=card.signing.private_key, certificate=card.signing.certificate)
    signature = signer.sign(
        base64.b64decode(tbs),
        hash_algorithm=HashAlgorithm.SHA256,
        scheme=SignatureScheme.RSA_PKCS1V15,
    )
    return base64.b64encode(signature).decode()


def _prepare(browser: PortalBrowser) -> dict[str, str]:
    prepared = browser.client.post(
        "/apps/cpa-filing/pdf/prepare", content=b"{}", headers={"Origin": PORTAL}
    )
    assert prepared.status_code == 200, prepared.text
    body: dict[str, str] = prepared.json()
    return body


def _finish(browser: PortalBrowser, signature: str) -> tuple[int, dict[str, object]]:
    finished = browser.client.post(
        "/apps/cpa-filing/pdf/finish",
        json={"signature": signature},
        headers={"Origin": PORTAL},
    )
    return finished.status_code, finished.json()


def test_the_filing_is_signed_as_a_pdf_by_the_card_that_logged_in(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard], test_pki: TestPki, tmp_path: Path
) -> None:
    card = file_cards["xca"]
    assert browser.sign_in(card)[0] == 200
    page = browser.client.get("/apps/cpa-filing")
    assert 'id="filing-form"' in page.text
    assert "/static/filing_pdf.js" in page.text

    prepared = _prepare(browser)
    assert prepared["hashAlgorithm"] == "SHA256"
    status, result = _finish(browser, _card_answer(prepared["tbs"], card))
    assert status == 200, result
    assert result["valid"] is True
    assert result["organisation"] == "測試聯合會計師事務所"
    assert result["unified_business_number"] == "12345678"
    assert result["level"] == "b-b"

    download = browser.client.get(str(result["download"]))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    signed = tmp_path / "filing.pdf"
    signed.write_bytes(download.content)
    pdfsig = shutil.which("pdfsig")
    if pdfsig is None:
        pytest.skip("pdfsig is not installed (Debian package poppler-utils)")
    report = subprocess.run([pdfsig, str(signed)], capture_output=True, text=True).stdout
    assert "Signature is Valid." in report
    check = verify_pdf(
        signed,
        trust_store=TrustStore.empty().with_roots(test_pki.root.certificate),
        revocation_mode=RevocationMode.HARD_FAIL,
    ).signatures[0]
    assert check.valid
    assert check.level is PadesLevel.B_B
    assert check.signer.card_serial == card.card_serial


def test_another_cards_signature_is_refused_and_the_preparation_spent(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["xca"])[0] == 200
    prepared = _prepare(browser)
    status, result = _finish(browser, _card_answer(prepared["tbs"], file_cards["markup"]))
    assert status == 422
    assert "登入時的卡片" in str(result["message"])
    status, _ = _finish(browser, _card_answer(prepared["tbs"], file_cards["xca"]))
    assert status == 409
    assert browser.client.get("/apps/cpa-filing/pdf/signed").status_code == 404


def test_only_filers_from_the_portals_own_pages_may_prepare(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    refused = browser.client.post(
        "/apps/cpa-filing/pdf/prepare", content=b"{}", headers={"Origin": PORTAL}
    )
    assert refused.status_code == 403
    assert browser.sign_in(file_cards["moica"])[0] == 200
    refused = browser.client.post(
        "/apps/cpa-filing/pdf/prepare", content=b"{}", headers={"Origin": PORTAL}
    )
    assert refused.status_code == 403


def test_a_cross_origin_prepare_is_refused(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["xca"])[0] == 200
    refused = browser.client.post(
        "/apps/cpa-filing/pdf/prepare", content=b"{}", headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403


def test_a_malformed_answer_is_refused(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["xca"])[0] == 200
    _prepare(browser)
    status, _ = _finish(browser, "not base64!")
    assert status == 400
