"""``xcapki sign FILE.pdf`` and ``xcapki verify FILE.pdf`` on the virtual card, as users run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pdf_tools import run_pdfsig

from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.pdf_options import LEVEL_CHOICES
from xcapki.pdf import PadesLevel
from xcapki.testing import PkiServices, StandardCards, TestPki, TimestampAuthority, VirtualCard
from xcapki.testing.pdf_documents import write_pdf

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp, pytest.mark.openssl, pytest.mark.poppler]

PIN_VARIABLE = "XCAPKI_TEST_PIN"


def xcapki(
    card: VirtualCard, *arguments: str, lang: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    """``python -m xcapki`` with the card's store and PIN in the environment, no terminal."""
    environment = {**os.environ, **card.environment, PIN_VARIABLE: card.pin, "LANG": lang}
    environment.pop("LC_ALL", None)
    environment.pop("LC_MESSAGES", None)
    options = ["--module", str(card.module_path), "--token", card.serial, "--pin-env", PIN_VARIABLE]
    return subprocess.run(
        [sys.executable, "-m", "xcapki", *arguments, *options],
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_level_choices_are_the_pades_levels() -> None:
    assert tuple(level.value for level in PadesLevel) == LEVEL_CHOICES


def test_sign_b_lt_with_a_stamp_then_verify_shows_organisation_and_ubn(
    tmp_path: Path,
    xca_card: VirtualCard,
    test_pki: TestPki,
    tsa: TimestampAuthority,
    pki_services: PkiServices,
    pdfsig: str,
    nss_database: Path,
) -> None:
    report = write_pdf(tmp_path / "report.pdf")
    signed = tmp_path / "signed.pdf"
    root = str(test_pki.root_certificate_path)
    run = xcapki(
        xca_card,
        "sign",
        str(report),
        "-o",
        str(signed),
        "--level",
        "b-lt",
        "--tsa",
        tsa.url,
        "--stamp",
        "--reason",
        "查核簽證申報",
        "--location",
        "臺北市",
        "--trust-root",
        root,
        "--json",
    )
    assert run.returncode == ExitCode.OK, run.stderr
    document = json.loads(run.stdout)
    assert document["format"] == "pades"
    assert document["level"] == "b-lt"
    assert document["visible"] is True
    assert document["signer"]["taiwan"]["unified_business_number"] == "12345678"
    assert "Signature is Valid." in run_pdfsig(pdfsig, nss_database, signed)[0]

    shown = xcapki(xca_card, "verify", str(signed), "--trust-root", root)
    assert shown.returncode == ExitCode.OK, shown.stderr
    assert xca_card.card.spec.organisation_name in shown.stdout
    assert "12345678" in shown.stdout
    assert "B-LT" in shown.stdout
    assert "embedded in the PDF" in shown.stdout

    chinese = xcapki(xca_card, "verify", str(signed), "--trust-root", root, lang="zh_TW.UTF-8")
    assert chinese.returncode == ExitCode.OK
    assert "統一編號" in chinese.stdout
    assert "內嵌於 PDF" in chinese.stdout

    as_json = json.loads(
        xcapki(xca_card, "verify", str(signed), "--trust-root", root, "--json").stdout
    )
    assert as_json["valid"] is True
    (signature,) = as_json["signatures"]
    assert signature["level"] == "b-lt"
    assert signature["revocation_evidence"] == "embedded"
    assert signature["timestamp"]["valid"] is True


def test_verify_exit_codes_for_a_changed_and_a_forged_pdf(
    tmp_path: Path, xca_card: VirtualCard, test_pki: TestPki, pki_services: PkiServices
) -> None:
    report = write_pdf(tmp_path / "report.pdf")
    signed = tmp_path / "signed.pdf"
    assert xcapki(xca_card, "sign", str(report), "-o", str(signed)).returncode == ExitCode.OK
    root = str(test_pki.root_certificate_path)

    changed = tmp_path / "changed.pdf"
    data = bytearray(signed.read_bytes())
    data[data.index(b"Annual report")] = ord("B")
    changed.write_bytes(bytes(data))
    run = xcapki(xca_card, "verify", str(changed), "--trust-root", root)
    assert run.returncode == ExitCode.NOT_INTACT
    assert "altered" in run.stdout

    forged = tmp_path / "forged.pdf"
    forged.write_bytes(signed.read_bytes().replace(b"/ByteRange [0 ", b"/ByteRange [9 ", 1))
    run = xcapki(xca_card, "verify", str(forged), "--trust-root", root, "--json")
    assert run.returncode == ExitCode.NOT_INTACT
    assert "byte 0" in json.loads(run.stdout)["refused"]["message"]
    assert "Traceback" not in run.stderr


def test_pdf_options_on_another_file_and_a_missing_tsa_are_usage_errors(
    tmp_path: Path, xca_card: VirtualCard
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a pdf")
    run = xcapki(xca_card, "sign", str(text), "-o", str(tmp_path / "x.p7s"), "--level", "b-t")
    assert run.returncode == ExitCode.INPUT
    assert "--level" in run.stderr
    assert "Traceback" not in run.stderr

    report = write_pdf(tmp_path / "report.pdf")
    out = tmp_path / "out.pdf"
    run = xcapki(xca_card, "sign", str(report), "-o", str(out), "--level", "b-t")
    assert run.returncode == ExitCode.INPUT
    assert "tsa" in run.stderr.lower()
    assert not out.exists()


def test_an_unreachable_tsa_fails_without_writing(tmp_path: Path, xca_card: VirtualCard) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report = write_pdf(tmp_path / "report.pdf")
    out = tmp_path / "out.pdf"
    run = xcapki(
        xca_card,
        "sign",
        str(report),
        "-o",
        str(out),
        "--level",
        "b-t",
        "--tsa",
        f"http://127.0.0.1:{port}/",
    )
    assert run.returncode == ExitCode.ERROR
    assert "time-stamping authority" in run.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_verify_names_a_revoked_signer_and_an_unsigned_pdf(
    tmp_path: Path,
    softhsm_cards: StandardCards,
    test_pki: TestPki,
    pki_services: PkiServices,
) -> None:
    revoked = softhsm_cards.revoked
    report = write_pdf(tmp_path / "report.pdf")
    signed = tmp_path / "signed.pdf"
    assert xcapki(revoked, "sign", str(report), "-o", str(signed)).returncode == ExitCode.OK
    root = str(test_pki.root_certificate_path)
    run = xcapki(revoked, "verify", str(signed), "--trust-root", root)
    assert run.returncode == ExitCode.REVOKED
    assert "REVOKED" in run.stdout

    run = xcapki(revoked, "verify", str(report), "--trust-root", root)
    assert run.returncode == ExitCode.NOT_INTACT
    assert "holds no signature" in run.stdout


def test_a_forced_pdf_that_is_not_one_is_an_input_error(
    tmp_path: Path, xca_card: VirtualCard
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a pdf")
    run = xcapki(xca_card, "sign", str(text), "-o", str(tmp_path / "out.pdf"), "--pdf")
    assert run.returncode == ExitCode.INPUT
    assert "not a PDF" in run.stderr
    assert "Logging in" not in run.stderr
    assert not (tmp_path / "out.pdf").exists()
