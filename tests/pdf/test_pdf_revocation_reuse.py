"""B-LT embeds the answers xcapki's validator fetched: no responder is asked twice.

The responders are the test PKI's real OCSP responders on loopback, which
count the requests they answer; the signed files are judged offline by
pdfsig (``-no-ocsp``) and by pyHanko's validator with the DSS's data only.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from pdf_tools import dss_answers, pyhanko_statuses, run_pdfsig

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode, RevocationSource
from xcapki.pdf import PadesLevel, PdfUsageError, sign_pdf
from xcapki.signer import Signer
from xcapki.testing import PkiServices, TestPki, TimestampAuthority, VirtualCard

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.openssl, pytest.mark.poppler]


def _requests(test_pki: TestPki, services: PkiServices) -> dict[str, int]:
    return {ca.name: services.responder(ca).request_count for ca in test_pki.authorities}


def _asked(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] != before[name]}


def _accepted_offline(signed: Path, test_pki: TestPki, pdfsig: str, nss_database: Path) -> None:
    """pyHanko accepts the signature from the DSS alone; pdfsig, which never reads the DSS,
    finds it intact without going online (its certificate check needs its own OCSP
    requests, so that is left to the tests that let it ask)."""
    offline = pyhanko_statuses(signed, test_pki.root.certificate, offline=True)
    assert offline[0].bottom_line, offline[0].pretty_print_details()
    assert offline[0].timestamp_validity is not None
    assert offline[0].timestamp_validity.trusted
    reports = run_pdfsig(pdfsig, nss_database, signed, offline=True)
    assert "Signature is Valid." in reports[0]


@pytest.mark.parametrize("level", [PadesLevel.B_LT, PadesLevel.B_LTA], ids=lambda x: x.value)
def test_the_dss_holds_exactly_the_validators_answers(
    level: PadesLevel,
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    validator = ChainValidator(pdf_trust)
    signed = tmp_path / "signed.pdf"
    before = _requests(test_pki, pki_services)
    sign_pdf(
        report_pdf,
        signed,
        card_signer,
        level=level,
        chain=[xca_card.card.issuer],
        tsa_url=tsa.url,
        validator=validator,
    )
    # the validator's fetch only: the card at the XCA; the XCA and the TSA at the root
    assert _asked(before, _requests(test_pki, pki_services)) == {"xca": 1, "grca": 2}
    assert validator.statistics().ocsp_requests == 3

    # served from the validator's cache: the very answers it fetched while signing
    signer_path = validator.validate(card_signer.certificate, intermediates=[xca_card.card.issuer])
    assert validator.statistics().ocsp_requests == 3
    from_validator = set(signer_path.revocation_data.ocsp_responses)
    assert len(from_validator) == 2
    ocsps, crls = dss_answers(signed)
    assert crls == set()
    assert len(ocsps) == 3
    assert from_validator < ocsps
    (tsa_answer,) = ocsps - from_validator
    assert ocsp.load_der_ocsp_response(tsa_answer).serial_number == tsa.certificate.serial_number

    asked = _requests(test_pki, pki_services)
    _accepted_offline(signed, test_pki, pdfsig, nss_database)
    assert _requests(test_pki, pki_services) == asked
    assert "Certificate is Trusted." in run_pdfsig(pdfsig, nss_database, signed)[0]


def test_a_shared_validator_signs_again_from_its_cache(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    validator = ChainValidator(pdf_trust, revocation_mode=RevocationMode.REQUIRE)
    options = {"chain": [xca_card.card.issuer], "tsa_url": tsa.url, "validator": validator}
    sign_pdf(report_pdf, tmp_path / "first.pdf", card_signer, level=PadesLevel.B_LT, **options)
    before = _requests(test_pki, pki_services)
    second = tmp_path / "second.pdf"
    sign_pdf(report_pdf, second, card_signer, level=PadesLevel.B_LT, **options)
    # The card's and the XCA's answers come from the cache. The test TSA is issued by the
    # root itself, and the validator reuses a cached answer only under a cached issuing CA.
    assert _asked(before, _requests(test_pki, pki_services)) == {"grca": 1}
    first_answers, _ = dss_answers(tmp_path / "first.pdf")
    second_answers, _ = dss_answers(second)
    assert len(first_answers & second_answers) == 2
    asked = _requests(test_pki, pki_services)
    _accepted_offline(second, test_pki, pdfsig, nss_database)
    assert _requests(test_pki, pki_services) == asked


def test_a_validator_that_checks_no_revocation_cannot_serve_b_lt(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
) -> None:
    output = tmp_path / "signed.pdf"
    with pytest.raises(PdfUsageError, match=r"RevocationMode\.HARD_FAIL"):
        sign_pdf(
            report_pdf,
            output,
            card_signer,
            level=PadesLevel.B_LT,
            tsa_url=tsa.url,
            validator=ChainValidator(pdf_trust, revocation_mode=RevocationMode.OFF),
        )
    assert not output.exists()


def test_a_validator_on_another_trust_store_is_refused(
    report_pdf: Path, tmp_path: Path, card_signer: Signer, pdf_trust: TrustStore
) -> None:
    with pytest.raises(PdfUsageError, match="different trust stores"):
        sign_pdf(
            report_pdf,
            tmp_path / "signed.pdf",
            card_signer,
            trust_store=TrustStore.bundled(),
            validator=ChainValidator(pdf_trust),
        )


def test_a_crl_verdict_is_embedded_as_the_crl_the_validator_read(
    report_pdf: Path,
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    xca = test_pki.ca(Authority.XCA)
    validator = ChainValidator(pdf_trust)
    signed = tmp_path / "signed.pdf"
    pki_services.stop_responder(xca)
    try:
        sign_pdf(
            report_pdf,
            signed,
            card_signer,
            level=PadesLevel.B_LT,
            chain=[xca_card.card.issuer],
            tsa_url=tsa.url,
            validator=validator,
        )
        path = validator.validate(card_signer.certificate, intermediates=[xca_card.card.issuer])
    finally:
        pki_services.restore()
    assert path.leaf_revocation.source is RevocationSource.CRL
    ocsps, crls = dss_answers(signed)
    assert crls == set(path.leaf_revocation.data.crls)
    assert x509.load_der_x509_crl(next(iter(crls))).issuer == xca.certificate.subject
    assert len(ocsps) == 2  # the XCA's and the TSA's certificates, from the root's responder
    _accepted_offline(signed, test_pki, pdfsig, nss_database)
