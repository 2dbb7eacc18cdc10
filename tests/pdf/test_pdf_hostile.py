"""Hostile and damaged PDFs are refused with a reason, never half-read, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation._status import RevocationMode
from xcapki.pdf import PadesLevel, PdfFormatError, PdfUsageError, sign_pdf, verify_pdf
from xcapki.signer import Signer
from xcapki.testing import VirtualCard
from xcapki.testing.pdf_documents import write_pdf

pytestmark = [pytest.mark.softhsm]


@pytest.fixture
def signed(report_pdf: Path, tmp_path: Path, card_signer: Signer, xca_card: VirtualCard) -> Path:
    out = tmp_path / "signed.pdf"
    sign_pdf(report_pdf, out, card_signer, level=PadesLevel.B_B, chain=[xca_card.card.issuer])
    return out


def _byte_range(data: bytes) -> tuple[re.Match[bytes], list[int]]:
    found = re.search(rb"/ByteRange (\[[0-9 ]+\] *)", data)
    assert found is not None
    return found, [int(value) for value in found.group(1).strip(b"[] ").split()]


def _with_byte_range(path: Path, values: list[int]) -> None:
    """Rewrite the /ByteRange in place, keeping the file's length (and every offset)."""
    data = path.read_bytes()
    found, _ = _byte_range(data)
    text = ("[" + " ".join(str(value) for value in values) + "]").encode()
    width = len(found.group(1))
    assert len(text) <= width
    path.write_bytes(data[: found.start(1)] + text.ljust(width) + data[found.end(1) :])


def _verify(path: Path, trust: TrustStore) -> None:
    verify_pdf(path, trust_store=trust, revocation_mode=RevocationMode.OFF)


def test_a_byte_range_pointing_outside_the_file_is_refused(
    signed: Path, pdf_trust: TrustStore
) -> None:
    _, (start, first, second, length) = _byte_range(signed.read_bytes())
    _with_byte_range(signed, [start, first, second, length + 5000])
    with pytest.raises(PdfFormatError, match="outside"):
        _verify(signed, pdf_trust)


def test_a_byte_range_whose_gap_hides_content_is_refused(
    signed: Path, pdf_trust: TrustStore
) -> None:
    _, (start, first, second, length) = _byte_range(signed.read_bytes())
    _with_byte_range(signed, [start, first - 40, second, length])
    with pytest.raises(PdfFormatError, match="unsigned"):
        _verify(signed, pdf_trust)


def test_a_byte_range_that_stops_short_of_its_revision_is_refused(
    signed: Path, pdf_trust: TrustStore
) -> None:
    _, (start, first, second, length) = _byte_range(signed.read_bytes())
    _with_byte_range(signed, [start, first, second, length - 200])
    with pytest.raises(PdfFormatError, match="whole revision"):
        _verify(signed, pdf_trust)


def test_a_byte_range_not_starting_at_zero_is_refused(signed: Path, pdf_trust: TrustStore) -> None:
    _, (_, first, second, length) = _byte_range(signed.read_bytes())
    _with_byte_range(signed, [10, first - 10, second, length])
    with pytest.raises(PdfFormatError, match="byte 0"):
        _verify(signed, pdf_trust)


def test_a_broken_cross_reference_table_is_refused_for_verifying_and_signing(
    signed: Path, tmp_path: Path, pdf_trust: TrustStore, card_signer: Signer
) -> None:
    data = signed.read_bytes()
    last = data.rindex(b"startxref")
    broken = data[:last] + re.sub(rb"startxref\s+\d+", b"startxref\n99", data[last:])
    signed.write_bytes(broken)
    with pytest.raises(PdfFormatError, match="damaged"):
        _verify(signed, pdf_trust)
    output = tmp_path / "out.pdf"
    with pytest.raises(PdfFormatError, match="damaged"):
        sign_pdf(signed, output, card_signer)
    assert not output.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_file_that_is_not_a_pdf_is_refused(tmp_path: Path, pdf_trust: TrustStore) -> None:
    text = tmp_path / "report.pdf"
    text.write_text("this is not a PDF\n")
    with pytest.raises(PdfFormatError, match="not a PDF"):
        _verify(text, pdf_trust)


def test_a_truncated_pdf_is_refused(signed: Path, pdf_trust: TrustStore) -> None:
    data = signed.read_bytes()
    signed.write_bytes(data[: len(data) // 2])
    with pytest.raises(PdfFormatError):
        _verify(signed, pdf_trust)


def test_a_missing_file_is_a_usage_error(tmp_path: Path, pdf_trust: TrustStore) -> None:
    with pytest.raises(PdfUsageError, match="cannot read"):
        _verify(tmp_path / "absent.pdf", pdf_trust)


def test_an_unsigned_pdf_verifies_to_no_signatures(tmp_path: Path, pdf_trust: TrustStore) -> None:
    result = verify_pdf(write_pdf(tmp_path / "plain.pdf"), trust_store=pdf_trust)
    assert result.signatures == ()
    assert not result.valid


def _point_object_outside(path: Path, number: int) -> None:
    """Make the newest xref entry of object ``number`` point past the end of the file."""
    data = bytearray(path.read_bytes())
    at = data.rindex(b"\nxref\n") + len(b"\nxref\n")
    while True:
        header = re.match(rb"(\d+) (\d+)\r?\n", data[at:])
        assert header is not None, "object not in the newest xref section"
        first, count = int(header.group(1)), int(header.group(2))
        at += header.end()
        if first <= number < first + count:
            entry = at + 20 * (number - first)
            data[entry : entry + 10] = b"9999999999"
            path.write_bytes(bytes(data))
            return
        at += 20 * count


def test_a_signature_dictionary_pointing_outside_the_file_is_refused(
    signed: Path, pdf_trust: TrustStore
) -> None:
    found = re.search(rb"/V (\d+) 0 R", signed.read_bytes())
    assert found is not None
    _point_object_outside(signed, int(found.group(1)))
    with pytest.raises(PdfFormatError, match="signatures cannot be read"):
        _verify(signed, pdf_trust)
