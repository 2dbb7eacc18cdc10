"""Hostile and damaged PDFs are refused with a reason, never half-read, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from xcapki.cli.exit_codes import ExitCode
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation._status import RevocationMode
from xcapki.pdf import (
    PadesLevel,
    PdfFormatError,
    PdfUsageError,
    check_signable,
    sign_pdf,
    verify_pdf,
)
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


def _pdf_with_pages(pages_object: bytes) -> bytes:
    """A one-revision PDF whose catalog's /Pages is object 2, written byte by byte."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", pages_object]
    data = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(data))
        data += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(data)


@pytest.mark.parametrize(
    "pages",
    [
        b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>",  # the tree holds itself
        b"<< /Type /Pages /Kids [] /Count 1 >>",  # a page counted that is not there
    ],
)
def test_a_page_tree_that_cannot_be_walked_is_refused_before_the_card_signs(
    tmp_path: Path, card_signer: Signer, xca_card: VirtualCard, pages: bytes
) -> None:
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(_pdf_with_pages(pages))
    with pytest.raises(PdfFormatError, match="page tree"):
        check_signable(damaged)
    output = tmp_path / "out.pdf"
    with pytest.raises(PdfFormatError, match="page tree"):
        sign_pdf(damaged, output, card_signer)
    assert not output.exists()

    # The command line refuses it before it asks for the PIN: none is given here.
    environment = {**os.environ, **xca_card.environment, "LANG": "C.UTF-8"}
    environment.pop("XCAPKI_UNSET_PIN", None)
    refused = subprocess.run(
        [
            *(sys.executable, "-m", "xcapki", "sign", str(damaged), "-o", str(output)),
            *("--module", str(xca_card.module_path), "--token", xca_card.serial),
            *("--pin-env", "XCAPKI_UNSET_PIN"),
        ],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == ExitCode.INPUT, refused.stderr
    assert "page tree" in refused.stderr
    assert not output.exists()
