"""A PDF signed by a key elsewhere: prepared here, signed by the card, finished here."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pdf_tools import run_pdfsig

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.trust import TrustStore
from xcapki.pdf import (
    PdfFormatError,
    PdfSigningError,
    PdfUsageError,
    prepare_pdf_signature,
    sign_pdf,
    verify_pdf,
)
from xcapki.signer import Signer
from xcapki.testing import PkiServices, StandardCards, VirtualCard
from xcapki.testing.pdf_documents import pdf_bytes, write_pdf

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.poppler]


def test_the_card_signs_the_prepared_bytes_and_the_pdf_verifies(
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    pdf_trust: TrustStore,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    document = pdf_bytes(pages=2, text="Filing")
    prepared = prepare_pdf_signature(
        document, xca_card.card.signing.certificate, chain=[xca_card.card.issuer], reason="申報"
    )
    assert prepared.scheme is SignatureScheme.RSA_PKCS1V15
    signature = card_signer.sign(
        prepared.to_be_signed, hash_algorithm=prepared.hash_algorithm, scheme=prepared.scheme
    )
    signed = prepared.finish(signature)
    assert signed.startswith(document)
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed)
    report = run_pdfsig(pdfsig, nss_database, path)[0]
    assert "Signature is Valid." in report
    assert "Certificate is Trusted." in report
    check = verify_pdf(signed, trust_store=pdf_trust).signatures[0]
    assert check.valid
    assert check.signer.card_serial == xca_card.serial
    with pytest.raises(PdfSigningError, match="finished already"):
        prepared.finish(signature)


def test_an_ecdsa_card_signs_prepared_bytes(
    softhsm_cards: StandardCards, pdf_trust: TrustStore, pki_services: PkiServices
) -> None:
    from xcapki.token import KeyPurpose, TokenSelector, load_module, login

    card = softhsm_cards.xca_ec
    prepared = prepare_pdf_signature(
        pdf_bytes(), card.card.signing.certificate, chain=[card.card.issuer]
    )
    module = load_module(card.module_path)
    with login(module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signature = session.signer(KeyPurpose.SIGNING).sign(
            prepared.to_be_signed, hash_algorithm=prepared.hash_algorithm, scheme=prepared.scheme
        )
    assert verify_pdf(prepared.finish(signature), trust_store=pdf_trust).valid


def test_a_signature_by_another_key_is_refused(
    card_signer: Signer, softhsm_cards: StandardCards
) -> None:
    other = softhsm_cards.moeaca.card
    prepared = prepare_pdf_signature(pdf_bytes(), other.signing.certificate)
    signature = card_signer.sign(
        prepared.to_be_signed, hash_algorithm=prepared.hash_algorithm, scheme=prepared.scheme
    )
    with pytest.raises(PdfSigningError, match="does not verify"):
        prepared.finish(signature)


def test_preparing_something_that_is_not_a_pdf_is_refused(xca_card: VirtualCard) -> None:
    with pytest.raises(PdfFormatError, match="not a PDF"):
        prepare_pdf_signature(b"hello", xca_card.card.signing.certificate)
    with pytest.raises(PdfFormatError, match="damaged"):
        prepare_pdf_signature(b"%PDF-1.7\n" + b"x" * 100, xca_card.card.signing.certificate)


def test_blocking_calls_inside_an_event_loop_are_refused(
    tmp_path: Path, card_signer: Signer
) -> None:
    source = write_pdf(tmp_path / "report.pdf")

    async def inside() -> None:
        sign_pdf(source, tmp_path / "out.pdf", card_signer)

    with pytest.raises(PdfUsageError, match="worker thread"):
        asyncio.run(inside())
    assert not (tmp_path / "out.pdf").exists()
