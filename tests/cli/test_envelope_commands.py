"""``xcapki encrypt`` and ``xcapki decrypt`` on a virtual card, with OpenSSL as the other side."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from cli_helpers import BAD_PIN_VARIABLE, card_env, card_options, run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards, VirtualCard

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl]

CONTENT = "會計師查核簽證 申報資料\n".encode() * 50 + bytes(range(256))


@pytest.fixture
def content(tmp_path: Path) -> Path:
    path = tmp_path / "report.bin"
    path.write_bytes(CONTENT)
    return path


def _openssl_decrypt(openssl: str, card: VirtualCard, envelope: Path) -> bytes:
    result = subprocess.run(
        [openssl, "cms", "-decrypt", "-binary", "-inform", "DER", "-in", str(envelope),
         "-recip", str(card.card.encryption.certificate_path),
         "-inkey", str(card.card.encryption.private_key_path)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.parametrize(
    ("cipher", "transport"),
    [("aes-256-gcm", "oaep"), ("aes-128-cbc", "pkcs1v15"), ("des-ede3-cbc", "oaep-sha256")],
)
def test_openssl_decrypts_what_the_cli_encrypts(
    softhsm_cards: StandardCards,
    openssl: str,
    content: Path,
    tmp_path: Path,
    cipher: str,
    transport: str,
) -> None:
    card = softhsm_cards.xca
    envelope = tmp_path / "report.p7m"
    made = run_cli(
        "encrypt", str(content), "--to", str(card.card.encryption.certificate_path),
        "-o", str(envelope), "--cipher", cipher, "--key-transport", transport, "--json",
    )  # fmt: skip
    assert made.code == ExitCode.OK, made.stderr
    assert made.json()["cipher"] == cipher
    assert _openssl_decrypt(openssl, card, envelope) == CONTENT


@pytest.mark.parametrize(
    "options",
    [
        ["-aes-256-gcm", "-outform", "DER"],
        ["-aes-256-cbc", "-outform", "PEM"],
        ["-des3", "-outform", "DER", "-keyopt", "rsa_padding_mode:oaep"],
    ],
)
def test_the_card_decrypts_what_openssl_encrypts(
    softhsm_cards: StandardCards, openssl: str, content: Path, tmp_path: Path, options: list[str]
) -> None:
    card = softhsm_cards.xca
    envelope = tmp_path / "report.p7m"
    cipher_and_form, keyopts = options[:3], options[3:]
    made = subprocess.run(
        [openssl, "cms", "-encrypt", "-binary", "-in", str(content), "-out", str(envelope),
         *cipher_and_form, "-recip", str(card.card.encryption.certificate_path), *keyopts],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr.decode()
    output = tmp_path / "report.out"
    result = run_cli(
        "decrypt", str(envelope), "-o", str(output), *card_options(card), "--json",
        env=card_env(card),
    )  # fmt: skip
    assert result.code == ExitCode.OK, result.stderr
    assert output.read_bytes() == CONTENT
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert result.json()["authenticated"] is ("gcm" in options[0])


def test_round_trip_through_the_cli_and_existing_outputs_need_force(
    softhsm_cards: StandardCards, content: Path, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    envelope, output = tmp_path / "report.p7m", tmp_path / "report.out"
    encrypt = ["encrypt", str(content), "--to", str(card.card.encryption.certificate_path)]
    assert run_cli(*encrypt, "-o", str(envelope)).code == ExitCode.OK
    first = envelope.read_bytes()

    again = run_cli(*encrypt, "-o", str(envelope))
    assert again.code == ExitCode.INPUT
    assert "--force" in again.stderr
    assert envelope.read_bytes() == first
    assert run_cli(*encrypt, "-o", str(envelope), "--force").code == ExitCode.OK
    assert envelope.read_bytes() != first

    decrypt = ["decrypt", str(envelope), "-o", str(output), *card_options(card)]
    assert run_cli(*decrypt, env=card_env(card)).code == ExitCode.OK
    assert output.read_bytes() == CONTENT
    output.write_bytes(b"keep me")
    # Refused before any login: no PIN is asked for (none is given here).
    refused = run_cli("decrypt", str(envelope), "-o", str(output), "--token", card.serial)
    assert refused.code == ExitCode.INPUT, refused.stderr
    assert output.read_bytes() == b"keep me"
    forced = run_cli(*decrypt, "--force", env=card_env(card))
    assert forced.code == ExitCode.OK, forced.stderr
    assert output.read_bytes() == CONTENT
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_an_envelope_for_another_card_is_one_clear_error_in_both_languages(
    softhsm_cards: StandardCards, content: Path, tmp_path: Path
) -> None:
    card, other = softhsm_cards.xca, softhsm_cards.gca
    envelope, output = tmp_path / "other.p7m", tmp_path / "other.out"
    made = run_cli(
        "encrypt", str(content), "--to", str(other.card.encryption.certificate_path),
        "-o", str(envelope),
    )  # fmt: skip
    assert made.code == ExitCode.OK, made.stderr
    decrypt = ["decrypt", str(envelope), "-o", str(output), *card_options(card)]
    english = run_cli(*decrypt, "--json", env=card_env(card))
    assert english.code == ExitCode.INPUT
    assert english.json()["error"]["kind"] == "decrypt"
    assert "Traceback" not in english.stderr
    chinese = run_cli(*decrypt, "--lang", "zh-TW", env=card_env(card))
    assert chinese.code == ExitCode.INPUT
    assert "無法以這張卡片解密此檔案" in chinese.stderr
    assert not output.exists()


def test_a_signing_certificate_is_refused_as_recipient(
    softhsm_cards: StandardCards, content: Path, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    result = run_cli(
        "encrypt", str(content), "--to", str(card.card.signing.certificate_path),
        "-o", str(tmp_path / "x.p7m"), "--json",
    )  # fmt: skip
    assert result.code == ExitCode.INPUT
    assert result.json()["error"]["kind"] == "recipient"
    assert not (tmp_path / "x.p7m").exists()


def test_a_wrong_pin_is_a_pin_error_and_writes_nothing(
    fresh_card: VirtualCard, content: Path, tmp_path: Path
) -> None:
    envelope, output = tmp_path / "report.p7m", tmp_path / "report.out"
    encrypt = ["encrypt", str(content), "--to", str(fresh_card.card.encryption.certificate_path)]
    assert run_cli(*encrypt, "-o", str(envelope)).code == ExitCode.OK
    result = run_cli(
        "decrypt", str(envelope), "-o", str(output),
        "--module", str(fresh_card.module_path), "--token", fresh_card.serial,
        "--pin-env", BAD_PIN_VARIABLE,
        env=card_env(fresh_card),
    )  # fmt: skip
    assert result.code == ExitCode.PIN
    assert fresh_card.pin not in result.stderr
    assert not output.exists()


def _large_content(tmp_path: Path) -> tuple[Path, bytes]:
    """More than two 1 MiB chunks with a ragged end: segments cross chunks and cipher blocks."""
    data = os.urandom(2 * 1024 * 1024 + 12_345)
    path = tmp_path / "large.bin"
    path.write_bytes(data)
    return path, data


def test_a_file_larger_than_a_chunk_streams_both_ways_with_openssl(
    softhsm_cards: StandardCards, openssl: str, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    source, data = _large_content(tmp_path)
    envelope = tmp_path / "large.p7m"
    made = run_cli(
        "encrypt", str(source), "--to", str(card.card.encryption.certificate_path),
        "-o", str(envelope), "--json",
    )  # fmt: skip
    assert made.code == ExitCode.OK, made.stderr
    assert made.json()["content_size"] == len(data)
    assert envelope.read_bytes()[:2] == b"\x30\x80"  # BER, written before the size was known
    assert _openssl_decrypt(openssl, card, envelope) == data

    sealed = tmp_path / "openssl.p7m"
    result = subprocess.run(
        [openssl, "cms", "-encrypt", "-binary", "-stream", "-aes-256-gcm", "-outform", "DER",
         "-in", str(source), "-out", str(sealed),
         "-recip", str(card.card.encryption.certificate_path)],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    output = tmp_path / "large.out"
    opened = run_cli(
        "decrypt", str(sealed), "-o", str(output), *card_options(card), "--json",
        env=card_env(card),
    )  # fmt: skip
    assert opened.code == ExitCode.OK, opened.stderr
    assert opened.json()["size"] == len(data)
    assert opened.json()["authenticated"] is True
    assert output.read_bytes() == data


@pytest.mark.parametrize("damage", ["content flipped", "tag flipped", "truncated"])
def test_a_damaged_large_envelope_leaves_no_output_and_keeps_an_existing_one(
    softhsm_cards: StandardCards, tmp_path: Path, damage: str
) -> None:
    """The plaintext decrypted before the tag check never reaches OUTPUT, even with --force."""
    card = softhsm_cards.xca
    source, _ = _large_content(tmp_path)
    envelope = tmp_path / "large.p7m"
    encrypt = ["encrypt", str(source), "--to", str(card.card.encryption.certificate_path)]
    assert run_cli(*encrypt, "-o", str(envelope)).code == ExitCode.OK
    good = envelope.read_bytes()
    at = {"content flipped": len(good) // 2, "tag flipped": len(good) - 7}.get(damage)
    if at is None:
        envelope.write_bytes(good[: len(good) - 100])
    else:
        envelope.write_bytes(good[:at] + bytes([good[at] ^ 1]) + good[at + 1 :])
    output = tmp_path / "large.out"
    decrypt = ["decrypt", str(envelope), "-o", str(output), *card_options(card), "--json"]
    refused = run_cli(*decrypt, env=card_env(card))
    assert refused.code == ExitCode.INPUT, refused.stderr
    assert refused.json()["error"]["kind"] == "decrypt"
    assert not output.exists()
    output.write_bytes(b"keep me")
    forced = run_cli(*decrypt, "--force", env=card_env(card))
    assert forced.code == ExitCode.INPUT, forced.stderr
    assert output.read_bytes() == b"keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
