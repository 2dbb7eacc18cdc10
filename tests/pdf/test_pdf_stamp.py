"""The visible signature: drawn where asked (pdftoppm's rendering), in a CJK font, still valid."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from xcapki.crypto.trust import TrustStore
from xcapki.pdf import PadesLevel, PdfUsageError, VisibleSignature, sign_pdf, verify_pdf
from xcapki.pdf.stamp import stamp_lines
from xcapki.signer import Signer
from xcapki.testing import PkiServices, VirtualCard
from xcapki.testing.pdf_documents import write_pdf

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.poppler]

PAGE_HEIGHT = 792
BOX = (300.0, 100.0, 540.0, 190.0)


def dark_pixels(
    pdftoppm: str, path: Path, page: int, box: tuple[float, float, float, float]
) -> int:
    """How many pixels of ``box`` (PDF points) on ``page`` render darker than light grey."""
    x1, y1, x2, y2 = (round(value) for value in box)
    completed = subprocess.run(
        [
            pdftoppm,
            "-gray",
            "-r",
            "72",
            "-f",
            str(page),
            "-l",
            str(page),
            "-x",
            str(x1),
            "-y",
            str(PAGE_HEIGHT - y2),
            "-W",
            str(x2 - x1),
            "-H",
            str(y2 - y1),
            str(path),
        ],
        capture_output=True,
        check=True,
    )
    image = completed.stdout
    assert image.startswith(b"P5")
    header_end = 0
    fields: list[bytes] = []
    while len(fields) < 4:
        start = header_end
        while image[start : start + 1].isspace():
            start += 1
        end = start
        while not image[end : end + 1].isspace():
            end += 1
        fields.append(image[start:end])
        header_end = end
    width, height = int(fields[1]), int(fields[2])
    pixels = image[header_end + 1 : header_end + 1 + width * height]
    assert len(pixels) == width * height
    return sum(1 for value in pixels if value < 160)


def test_the_stamp_is_drawn_in_its_box_on_its_page_only(
    tmp_path: Path,
    card_signer: Signer,
    xca_card: VirtualCard,
    pdf_trust: TrustStore,
    pki_services: PkiServices,
    pdftoppm: str,
) -> None:
    report = write_pdf(tmp_path / "report.pdf", pages=2)
    assert dark_pixels(pdftoppm, report, 2, BOX) == 0
    signed = tmp_path / "signed.pdf"
    result = sign_pdf(
        report,
        signed,
        card_signer,
        level=PadesLevel.B_B,
        chain=[xca_card.card.issuer],
        visible=VisibleSignature(page=2, box=BOX),
    )
    assert result.visible
    inside = dark_pixels(pdftoppm, signed, 2, BOX)
    assert inside > 500
    assert dark_pixels(pdftoppm, signed, 1, BOX) == 0
    assert dark_pixels(pdftoppm, signed, 2, (40.0, 300.0, 280.0, 390.0)) == 0
    assert verify_pdf(signed, trust_store=pdf_trust).valid


def test_the_stamp_names_the_organisation_and_ubn_in_chinese(xca_card: VirtualCard) -> None:
    from xcapki.crypto.profile import TaiwanCertificate

    lines = stamp_lines(TaiwanCertificate.from_certificate(xca_card.card.signing.certificate))
    assert lines[0] == xca_card.card.spec.organisation_name
    assert lines[1] == "統一編號 12345678"
    assert xca_card.serial in lines[2]


def test_the_stamp_font_is_embedded_as_a_subset(
    tmp_path: Path, card_signer: Signer, xca_card: VirtualCard
) -> None:
    signed = tmp_path / "signed.pdf"
    sign_pdf(
        write_pdf(tmp_path / "report.pdf"),
        signed,
        card_signer,
        chain=[xca_card.card.issuer],
        visible=VisibleSignature(),
    )
    fonts = subprocess.run(
        ["pdffonts", str(signed)], capture_output=True, text=True, check=True
    ).stdout
    line = next(line for line in fonts.splitlines() if "WenQuanYi" in line or "Micro" in line)
    assert "CID TrueType" in line
    assert " yes yes " in line
    assert signed.stat().st_size < 200_000


def test_a_page_that_does_not_exist_is_refused_before_the_card_signs(
    tmp_path: Path, card_signer: Signer
) -> None:
    out = tmp_path / "out.pdf"
    with pytest.raises(PdfUsageError, match="page 3 does not exist"):
        sign_pdf(
            write_pdf(tmp_path / "report.pdf", pages=2),
            out,
            card_signer,
            visible=VisibleSignature(page=3),
        )
    assert not out.exists()


def test_a_missing_font_and_a_bad_box_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(PdfUsageError, match="box"):
        VisibleSignature(box=(100.0, 100.0, 90.0, 200.0))
    from xcapki.pdf.stamp import find_cjk_font

    with pytest.raises(PdfUsageError, match="does not exist"):
        find_cjk_font(tmp_path / "absent.ttf")
