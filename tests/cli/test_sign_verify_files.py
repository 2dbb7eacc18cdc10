"""sign and verify on real files: output checks before the PIN, large files in flat memory,
honest verdicts for inputs that are no signature, ``--out``, ``--max-size`` and the bar."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import PIN_VARIABLE, card_env, card_options, run_cli
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards, TestPki, VirtualCard

pytestmark = pytest.mark.softhsm

MIB = 1024 * 1024


@pytest.fixture
def card(softhsm_cards: StandardCards) -> VirtualCard:
    return softhsm_cards.xca


def _sign(card: VirtualCard, *arguments: str, pin: bool = True) -> tuple[int, str]:
    options = card_options(card) if pin else ["--module", str(card.module_path)]
    result = run_cli("sign", *arguments, *options, env=card_env(card))
    return result.code, result.stderr


def _no_pin_options(card: VirtualCard) -> list[str]:
    """Card options without a PIN source: a command that reached the PIN would fail with PIN."""
    return ["--module", str(card.module_path), "--token", card.serial]


def test_sign_refuses_to_overwrite_its_input_before_asking_the_pin(
    card: VirtualCard, tmp_path: Path
) -> None:
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.7 the input")
    for output in (document, tmp_path / "." / "report.pdf"):
        result = run_cli(
            "sign", str(document), "-o", str(output), *_no_pin_options(card), env=card.environment
        )
        assert result.code == ExitCode.INPUT, result.stderr
        assert "is the input file" in result.stderr
    assert document.read_bytes() == b"%PDF-1.7 the input"


def test_sign_refuses_an_existing_output_unless_forced(card: VirtualCard, tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    document.write_text("content")
    output = tmp_path / "a.p7s"
    output.write_bytes(b"an older signature")
    result = run_cli(
        "sign", str(document), "-o", str(output), *_no_pin_options(card), env=card.environment
    )
    assert result.code == ExitCode.INPUT
    assert "already exists" in result.stderr
    assert "--force" in result.stderr
    assert output.read_bytes() == b"an older signature"
    code, stderr = _sign(card, str(document), "-o", str(output), "--force")
    assert code == ExitCode.OK, stderr
    assert output.read_bytes()[:1] == b"\x30"


def test_sign_checks_the_output_folder_before_the_pin(card: VirtualCard, tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    document.write_text("content")
    missing = tmp_path / "no such folder" / "a.p7s"
    result = run_cli(
        "sign", str(document), "-o", str(missing), *_no_pin_options(card), env=card.environment
    )
    assert result.code == ExitCode.INPUT
    assert "does not exist" in result.stderr
    chinese = run_cli(
        "sign", str(document), "-o", str(missing), "--lang", "zh-TW", *_no_pin_options(card),
        env=card.environment,
    )  # fmt: skip
    assert "不存在" in chinese.stderr
    assert "does not exist" not in chinese.stderr


def test_a_failed_sign_leaves_no_file_behind(card: VirtualCard, tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    document.write_text("content")
    output = tmp_path / "a.p7s"
    env = {**card_env(card), PIN_VARIABLE: "000000"}
    result = run_cli("sign", str(document), "-o", str(output), *card_options(card), env=env)
    assert result.code == ExitCode.PIN
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


@pytest.mark.parametrize("detached", [False, True])
def test_files_above_a_mebibyte_sign_and_verify(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path, detached: bool
) -> None:
    document = tmp_path / "big.pdf"
    document.write_bytes(os.urandom(3 * MIB + 17))
    signature = tmp_path / "big.p7s"
    extra = ["--detached"] if detached else []
    code, stderr = _sign(card, str(document), "-o", str(signature), *extra)
    assert code == ExitCode.OK, stderr
    root = ["--trust-root", str(test_pki.root_certificate_path), "--revocation", "off"]
    content = ["--content", str(document)] if detached else []
    out = tmp_path / "out.pdf"
    result = run_cli("verify", str(signature), *content, *root, "--out", str(out), "--json")
    assert result.code == ExitCode.OK, result.stdout + result.stderr
    document_json = result.json()
    assert document_json["content_size"] == 3 * MIB + 17
    assert document_json["detached"] is detached
    assert out.read_bytes() == document.read_bytes()
    again = run_cli("verify", str(signature), *content, *root, "--out", str(out))
    assert again.code == ExitCode.INPUT
    assert "--force" in again.stderr


def test_max_size_is_a_flag_the_message_names(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path
) -> None:
    document = tmp_path / "doc.bin"
    document.write_bytes(os.urandom(2 * MIB))
    signature = tmp_path / "doc.p7s"
    assert _sign(card, str(document), "-o", str(signature))[0] == ExitCode.OK
    root = ["--trust-root", str(test_pki.root_certificate_path), "--revocation", "off"]
    refused = run_cli("verify", str(signature), *root, "--max-size", "1M")
    assert refused.code == ExitCode.INPUT
    assert "--max-size" in refused.stdout
    assert "altered" not in refused.stdout
    assert run_cli("verify", str(signature), *root, "--max-size", "3M").code == ExitCode.OK
    assert run_cli("verify", str(signature), "--max-size", "lots").code == ExitCode.USAGE


def test_altered_content_is_not_intact_and_out_is_not_written(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path
) -> None:
    document = tmp_path / "doc.bin"
    document.write_bytes(b"A" * (2 * MIB))
    signature = tmp_path / "doc.p7s"
    assert _sign(card, str(document), "-o", str(signature))[0] == ExitCode.OK
    data = bytearray(signature.read_bytes())
    data[MIB] = ord("B")
    signature.write_bytes(bytes(data))
    out = tmp_path / "out.bin"
    root = ["--trust-root", str(test_pki.root_certificate_path), "--revocation", "off"]
    result = run_cli("verify", str(signature), *root, "--out", str(out))
    assert result.code == ExitCode.NOT_INTACT
    assert "not intact" in result.stdout
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.bin", "doc.p7s"]


def test_detached_signature_without_content_names_the_flag(
    card: VirtualCard, tmp_path: Path
) -> None:
    document = tmp_path / "doc.txt"
    document.write_text("detached")
    signature = tmp_path / "doc.p7s"
    assert _sign(card, str(document), "-o", str(signature), "--detached")[0] == ExitCode.OK
    result = run_cli("verify", str(signature), "--revocation", "off")
    assert result.code == ExitCode.INPUT
    assert "--content" in result.stdout
    assert "altered" not in result.stdout
    chinese = run_cli("verify", str(signature), "--revocation", "off", "--lang", "zh-TW")
    assert "分離式簽章" in chinese.stdout
    assert "--content" in chinese.stdout


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("empty.p7s", b""),
        ("notes.txt", b"a text file, not a signature\n"),
    ],
)
def test_files_that_are_no_signature_say_so(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = run_cli("verify", str(path), "--revocation", "off", "--json")
    assert result.code == ExitCode.NOT_INTACT
    assert result.json()["error"]["kind"] == "not_cms"
    text = run_cli("verify", str(path), "--revocation", "off")
    assert "not a CMS (PKCS#7) signature" in text.stdout
    assert "altered" not in text.stdout


def test_a_pdf_is_verified_as_a_pdf_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    result = run_cli("verify", str(path), "--revocation", "off", "--json")
    assert result.code == ExitCode.NOT_INTACT
    assert result.json()["refused"]["type"] == "PdfFormatError"
    text = run_cli("verify", str(path), "--revocation", "off")
    assert "damaged" in text.stdout
    assert "altered" not in text.stdout


def test_a_certificate_is_no_signature(test_pki: TestPki) -> None:
    result = run_cli("verify", str(test_pki.root_certificate_path), "--revocation", "off")
    assert result.code == ExitCode.INPUT
    assert "is a certificate, not a signature" in result.stderr


def test_revocation_off_does_not_claim_not_revoked(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path
) -> None:
    document = tmp_path / "doc.txt"
    document.write_text("revocation")
    signature = tmp_path / "doc.p7s"
    assert _sign(card, str(document), "-o", str(signature))[0] == ExitCode.OK
    root = ["--trust-root", str(test_pki.root_certificate_path)]
    result = run_cli("verify", str(signature), *root, "--revocation", "off")
    assert result.code == ExitCode.OK
    assert "not revoked" not in result.stdout
    assert "revocation was not checked (--revocation off)" in result.stdout


def _peak_rss_mib(*arguments: str, env: dict[str, str], report: Path) -> tuple[int, float]:
    """Run ``python -m xcapki`` under GNU time; return its exit code and peak memory (MiB).

    GNU time, not wait4 from here: a child starts with its parent's peak as its own.
    """
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(report), sys.executable, "-m", "xcapki",
         *arguments],
        env={**os.environ, "LANG": "C.UTF-8", **env},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )  # fmt: skip
    return done.returncode, int(report.read_text().split()[-1]) / 1024


def test_a_large_file_signs_and_verifies_in_flat_memory(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path
) -> None:
    document = tmp_path / "large.bin"
    with document.open("wb") as handle:
        handle.truncate(384 * MIB)
    root = ["--trust-root", str(test_pki.root_certificate_path), "--revocation", "off"]
    for extra in ([], ["--detached"]):
        signature = tmp_path / f"large{len(extra)}.p7s"
        options = [*card_options(card)]
        code, peak = _peak_rss_mib(
            "sign", str(document), "-o", str(signature), *extra, *options,
            env=card_env(card), report=tmp_path / "peak",
        )  # fmt: skip
        assert code == ExitCode.OK
        assert peak < 150, f"sign {extra} peaked at {peak:.0f} MiB"
        content = ["--content", str(document)] if extra else []
        code, peak = _peak_rss_mib(
            "verify", str(signature), *content, *root, env={}, report=tmp_path / "peak"
        )
        assert code == ExitCode.OK
        assert peak < 150, f"verify {extra} peaked at {peak:.0f} MiB"
        signature.unlink()


def _stderr_on_a_terminal(*arguments: str, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stderr on a pseudo-terminal; return the exit code and what it drew."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "xcapki", *arguments],
        env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "100", **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    drawn = bytearray()
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    return process.wait(timeout=120), drawn.decode("utf-8", "replace")


def test_a_progress_bar_only_on_a_terminal_and_not_with_quiet(
    card: VirtualCard, tmp_path: Path
) -> None:
    document = tmp_path / "bar.bin"
    with document.open("wb") as handle:
        handle.truncate(64 * MIB)
    output = tmp_path / "bar.p7s"
    arguments = ["sign", str(document), "-o", str(output), "--detached", *card_options(card)]
    code, drawn = _stderr_on_a_terminal(*arguments, env=card_env(card))
    assert code == ExitCode.OK, drawn
    assert "Signing" in drawn
    assert "MiB" in drawn
    code, drawn = _stderr_on_a_terminal(*arguments, "--force", "--quiet", env=card_env(card))
    assert code == ExitCode.OK, drawn
    assert drawn == ""
    piped = run_cli(*arguments, "--force", env=card_env(card))
    assert piped.code == ExitCode.OK
    assert "MiB" not in piped.stderr


@pytest.mark.openssl
@pytest.mark.parametrize("form", ["pem", "der"])
def test_certs_export_writes_the_signing_certificate(
    card: VirtualCard, tmp_path: Path, form: str
) -> None:
    target = tmp_path / f"card.{form}"
    options = ["--module", str(card.module_path), "--token", card.serial]
    result = run_cli(
        "certs", *options, "--export", str(target), "--format", form, env=card.environment
    )
    assert result.code == ExitCode.OK, result.stderr
    converted = subprocess.run(
        ["openssl", "x509", "-inform", form.upper(), "-in", str(target), "-outform", "DER"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout == card.card.signing.certificate.public_bytes(Encoding.DER)
    again = run_cli("certs", *options, "--export", str(target), env=card.environment)
    assert again.code == ExitCode.INPUT
    assert "--force" in again.stderr


@pytest.mark.openssl
def test_a_pem_signature_from_openssl_verifies(
    card: VirtualCard, test_pki: TestPki, tmp_path: Path
) -> None:
    document = tmp_path / "doc.txt"
    document.write_text("signed by openssl, written as PEM")
    signature = tmp_path / "doc.pem"
    key = card.card.signing
    signed = subprocess.run(
        ["openssl", "cms", "-sign", "-binary", "-nodetach", "-in", str(document),
         "-signer", str(key.certificate_path), "-inkey", str(key.private_key_path),
         "-outform", "PEM", "-out", str(signature)],
        capture_output=True, check=False,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    out = tmp_path / "out.txt"
    root = ["--trust-root", str(test_pki.root_certificate_path), "--revocation", "off"]
    result = run_cli("verify", str(signature), *root, "--out", str(out), "--json")
    # OpenSSL attached only the card's certificate: intact, and the CA is not on hand.
    assert result.json()["intact"] is True, result.stdout + result.stderr
    assert out.read_text() == "signed by openssl, written as PEM"
