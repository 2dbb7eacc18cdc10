"""A second signature keeps the first valid; a change after signing is seen by all three judges."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_tools import append_revision, pyhanko_statuses, qpdf_check, run_pdfsig

from xcapki.crypto.trust import TrustStore
from xcapki.pdf import Coverage, LaterChanges, PadesLevel, sign_pdf, verify_pdf
from xcapki.signer import Signer
from xcapki.testing import StandardCards, TestPki, TimestampAuthority, VirtualCard
from xcapki.token import KeyPurpose, TokenSelector, load_module, login

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.openssl, pytest.mark.poppler]

PAGE_ONE_CONTENT = 4
"""Object number of page 1's content stream in documents.write_pdf's layout."""


@pytest.fixture
def signed(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
) -> Path:
    out = tmp_path / "signed.pdf"
    sign_pdf(
        report_pdf,
        out,
        card_signer,
        level=PadesLevel.B_T,
        chain=[xca_card.card.issuer],
        trust_store=pdf_trust,
        tsa_url=tsa.url,
    )
    return out


def test_second_signature_keeps_the_first_valid(
    signed: Path,
    tmp_path: Path,
    softhsm_cards: StandardCards,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: object,
    pdfsig: str,
    qpdf: str,
    nss_database: Path,
) -> None:
    second_card = softhsm_cards.moeaca
    twice = tmp_path / "twice.pdf"
    module = load_module(second_card.module_path)
    with login(module, TokenSelector(serial=second_card.serial), pin=second_card.pin) as session:
        result = sign_pdf(
            signed,
            twice,
            session.signer(KeyPurpose.SIGNING),
            level=PadesLevel.B_LT,
            chain=[second_card.card.issuer],
            trust_store=pdf_trust,
            tsa_url=tsa.url,
        )
    assert result.field_name == "Signature2"
    assert twice.read_bytes().startswith(signed.read_bytes())
    assert qpdf_check(qpdf, twice).returncode == 0

    reports = run_pdfsig(pdfsig, nss_database, twice)
    assert len(reports) == 2
    for report in reports:
        assert "Signature is Valid." in report
        assert "Certificate is Trusted." in report

    statuses = pyhanko_statuses(twice, test_pki.root.certificate, offline=False)
    assert all(status.bottom_line for status in statuses)

    verified = verify_pdf(twice, trust_store=pdf_trust)
    assert verified.valid
    first, second = verified.signatures
    assert first.coverage is Coverage.ENTIRE_REVISION
    assert first.later_changes is LaterChanges.FORM_FILLING
    assert first.revision == 2
    assert second.signer.card_serial == second_card.serial
    assert second.level is PadesLevel.B_LT


def test_a_flipped_byte_in_the_signed_range_is_seen_by_everyone(
    signed: Path,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    pki_services: object,
    pdfsig: str,
    nss_database: Path,
) -> None:
    data = bytearray(signed.read_bytes())
    at = data.index(b"Annual report page 1")
    data[at] = ord("B")
    signed.write_bytes(bytes(data))

    assert "Digest Mismatch" in run_pdfsig(pdfsig, nss_database, signed)[0]
    status = pyhanko_statuses(signed, test_pki.root.certificate, offline=False)[0]
    assert not status.intact
    verified = verify_pdf(signed, trust_store=pdf_trust)
    assert not verified.valid
    assert not verified.signatures[0].intact
    assert "altered" in (verified.signatures[0].failure or "")


def test_an_update_that_rewrites_signed_content_is_seen_by_everyone(
    signed: Path,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    pki_services: object,
    pdfsig: str,
    nss_database: Path,
) -> None:
    forged = b"BT /F1 24 Tf 72 720 Td (Nothing to report) Tj ET"
    append_revision(
        signed,
        {PAGE_ONE_CONTENT: b"<< /Length %d >>\nstream\n%s\nendstream" % (len(forged), forged)},
    )

    report = run_pdfsig(pdfsig, nss_database, signed)[0]
    assert "Not total document signed" in report
    status = pyhanko_statuses(signed, test_pki.root.certificate, offline=False)[0]
    assert status.intact
    assert not status.bottom_line
    verified = verify_pdf(signed, trust_store=pdf_trust)
    check = verified.signatures[0]
    assert check.intact
    assert check.later_changes is LaterChanges.CONTENT
    assert not check.valid
    assert not verified.valid
    assert "changed after signing" in (check.failure or "")
