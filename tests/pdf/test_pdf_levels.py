"""Every PAdES level signed on the virtual card, judged by pdfsig, qpdf, pyHanko and xcapki."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_tools import dss_counts, pyhanko_statuses, qpdf_check, run_pdfsig

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation._status import RevocationState
from xcapki.pdf import (
    Coverage,
    LaterChanges,
    PadesLevel,
    RevocationEvidence,
    SignatureKind,
    sign_pdf,
    verify_pdf,
)
from xcapki.signer import Signer
from xcapki.testing import PkiServices, TestPki, TimestampAuthority, VirtualCard

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.openssl, pytest.mark.poppler]


@pytest.mark.parametrize("level", list(PadesLevel), ids=lambda level: level.value)
def test_every_level_is_accepted_by_pdfsig_pyhanko_qpdf_and_xcapki(
    level: PadesLevel,
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: object,
    pdfsig: str,
    qpdf: str,
    nss_database: Path,
) -> None:
    signed = tmp_path / "signed.pdf"
    result = sign_pdf(
        report_pdf,
        signed,
        card_signer,
        level=level,
        chain=[xca_card.card.issuer],
        trust_store=pdf_trust,
        tsa_url=tsa.url,
        reason="會計師查核簽證申報",
        location="臺北市",
    )
    assert result.size == signed.stat().st_size
    assert signed.read_bytes().startswith(report_pdf.read_bytes())

    assert qpdf_check(qpdf, signed).returncode == 0

    reports = run_pdfsig(pdfsig, nss_database, signed)
    assert "Signature is Valid." in reports[0]
    assert "Certificate is Trusted." in reports[0]
    assert "ETSI.CAdES.detached" in reports[0]

    online = pyhanko_statuses(signed, test_pki.root.certificate, offline=False)
    signature = online[0]
    assert signature.bottom_line, signature.pretty_print_details()
    if level.needs_timestamp:
        assert signature.timestamp_validity is not None
        assert signature.timestamp_validity.intact
        assert signature.timestamp_validity.trusted
    else:
        assert signature.timestamp_validity is None
    if level.embeds_revocation:
        certificates, ocsps, crls = dss_counts(signed)
        assert certificates >= 3
        # leaf + issuing CA + TSA, each with an answer from its issuer
        assert ocsps + crls >= 3
        offline = pyhanko_statuses(signed, test_pki.root.certificate, offline=True)
        assert offline[0].bottom_line, offline[0].pretty_print_details()
    if level is PadesLevel.B_LTA:
        assert len(online) == 2
        assert online[1].valid
        assert online[1].trusted

    verified = verify_pdf(signed, trust_store=pdf_trust)
    assert verified.valid
    first = verified.signatures[0]
    assert first.kind is SignatureKind.SIGNATURE
    assert first.level is level
    assert first.revocation is RevocationState.GOOD
    assert first.signer.organisation_name == xca_card.card.spec.organisation_name
    assert first.signer.unified_business_number == "12345678"
    assert first.signer.card_serial == xca_card.serial
    if level.embeds_revocation:
        assert first.revocation_evidence is RevocationEvidence.EMBEDDED
        assert first.coverage is Coverage.ENTIRE_REVISION
        assert first.later_changes is LaterChanges.VALIDATION_DATA
    else:
        assert first.revocation_evidence is RevocationEvidence.ONLINE
        assert first.coverage is Coverage.ENTIRE_FILE
    if level is PadesLevel.B_LTA:
        assert verified.signatures[-1].kind is SignatureKind.DOCUMENT_TIMESTAMP
        assert verified.signatures[-1].valid


def test_b_lt_verifies_from_embedded_answers_without_asking_the_responders(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(
        report_pdf,
        signed,
        card_signer,
        level=PadesLevel.B_LT,
        chain=[xca_card.card.issuer],
        trust_store=pdf_trust,
        tsa_url=tsa.url,
    )
    counts = {ca.name: pki_services.responder(ca).request_count for ca in test_pki.authorities}
    verified = verify_pdf(signed, trust_store=pdf_trust)
    assert verified.valid
    assert verified.signatures[0].revocation_evidence is RevocationEvidence.EMBEDDED
    after = {ca.name: pki_services.responder(ca).request_count for ca in test_pki.authorities}
    assert after == counts


def test_b_lt_asks_each_certificates_responder_once(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
) -> None:
    before = {ca.name: pki_services.responder(ca).request_count for ca in test_pki.authorities}
    sign_pdf(
        report_pdf,
        tmp_path / "signed.pdf",
        card_signer,
        level=PadesLevel.B_LT,
        chain=[xca_card.card.issuer],
        trust_store=pdf_trust,
        tsa_url=tsa.url,
    )
    asked = {
        ca.name: pki_services.responder(ca).request_count - before[ca.name]
        for ca in test_pki.authorities
    }
    # the card's certificate at the XCA; the XCA's and the TSA's certificates at the root
    assert asked == dict.fromkeys(asked, 0) | {"xca": 1, "grca": 2}
