"""Other keys and verdicts: ECDSA and RSA-PSS cards, a revoked card, an untrusted root."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdf_tools import pyhanko_statuses, run_pdfsig

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation._status import RevocationState
from xcapki.pdf import PadesLevel, PdfUsageError, sign_pdf, verify_pdf
from xcapki.signer import Signer
from xcapki.testing import PkiServices, StandardCards, TestPki, VirtualCard
from xcapki.testing.pdf_documents import write_pdf
from xcapki.token import KeyPurpose, TokenSelector, load_module, login

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.poppler]


def _sign_with(card: VirtualCard, source: Path, output: Path, **options: object) -> None:
    module = load_module(card.module_path)
    with login(module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        sign_pdf(
            source,
            output,
            session.signer(KeyPurpose.SIGNING),
            chain=[card.card.issuer],
            **options,  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("card_name", "options"),
    [
        ("xca_ec", {}),
        ("xca_ec", {"hash_algorithm": HashAlgorithm.SHA384}),
        ("xca", {"scheme": SignatureScheme.RSA_PSS}),
        ("xca", {"hash_algorithm": HashAlgorithm.SHA512}),
        ("gca", {}),
        ("moica", {}),
    ],
    ids=["ecdsa", "ecdsa-sha384", "rsa-pss", "rsa-sha512", "gca", "moica"],
)
def test_other_keys_and_authorities_sign_valid_pdfs(
    card_name: str,
    options: dict[str, object],
    softhsm_cards: StandardCards,
    tmp_path: Path,
    test_pki: TestPki,
    pdf_trust: TrustStore,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    card: VirtualCard = getattr(softhsm_cards, card_name)
    signed = tmp_path / "signed.pdf"
    _sign_with(card, write_pdf(tmp_path / "report.pdf"), signed, **options)
    assert "Signature is Valid." in run_pdfsig(pdfsig, nss_database, signed)[0]
    assert pyhanko_statuses(signed, test_pki.root.certificate, offline=False)[0].bottom_line
    check = verify_pdf(signed, trust_store=pdf_trust).signatures[0]
    assert check.valid, check.failure
    assert check.signer.card_serial == card.serial
    assert check.signer.authority is card.card.spec.authority


def test_a_revoked_card_signs_but_verifies_as_revoked(
    softhsm_cards: StandardCards, tmp_path: Path, pdf_trust: TrustStore, pki_services: PkiServices
) -> None:
    signed = tmp_path / "signed.pdf"
    _sign_with(softhsm_cards.revoked, write_pdf(tmp_path / "report.pdf"), signed)
    check = verify_pdf(signed, trust_store=pdf_trust).signatures[0]
    assert check.intact
    assert check.revocation is RevocationState.REVOKED
    assert not check.valid
    assert "revoked" in (check.failure or "")


def test_a_revoked_card_cannot_reach_b_lt(
    softhsm_cards: StandardCards, tmp_path: Path, pdf_trust: TrustStore, pki_services: PkiServices
) -> None:
    from xcapki.pdf import PdfSigningError

    tsa = pki_services.timestamp_authority()
    output = tmp_path / "signed.pdf"
    with pytest.raises(PdfSigningError, match="revocation data"):
        _sign_with(
            softhsm_cards.revoked,
            write_pdf(tmp_path / "report.pdf"),
            output,
            level=PadesLevel.B_LT,
            trust_store=pdf_trust,
            tsa_url=tsa.url,
        )
    assert not output.exists()


def test_a_signer_outside_the_trust_store_is_untrusted(
    tmp_path: Path, card_signer: Signer, xca_card: VirtualCard
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(write_pdf(tmp_path / "report.pdf"), signed, card_signer, chain=[xca_card.card.issuer])
    check = verify_pdf(signed).signatures[0]  # the bundled GRCA roots only
    assert check.intact
    assert not check.trusted
    assert not check.valid
    assert "trusted root" in (check.failure or "")
    assert check.signer.unified_business_number == "12345678"


def test_a_timestamped_level_without_a_tsa_is_refused(tmp_path: Path, card_signer: Signer) -> None:
    with pytest.raises(PdfUsageError, match="time-stamping authority"):
        sign_pdf(
            write_pdf(tmp_path / "r.pdf"), tmp_path / "o.pdf", card_signer, level=PadesLevel.B_T
        )
