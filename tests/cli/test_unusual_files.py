"""Files as users' shells hand them over: pipes and FIFOs, names that are no UTF-8, a
locale that is no UTF-8, a write that fails half way, ``kill`` in the middle of a write.

The signed bytes are checked by OpenSSL, not by xcapki's own verifier; a failing write
is produced by the kernel (``RLIMIT_FSIZE``), as a full disk fails it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
from cli_helpers import card_env, card_options, run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.testing import StandardCards, VirtualCard

pytestmark = pytest.mark.softhsm

CONTENT = os.urandom(300_000)
"""Larger than a pipe's buffer and than the PDF header window, so a lost chunk shows."""


@pytest.fixture
def card(softhsm_cards: StandardCards) -> VirtualCard:
    return softhsm_cards.xca


def _xcapki(
    arguments: list[str],
    *,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    limit_file_size: int | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """``python -m xcapki`` with bytes in and out (names and output that may be no UTF-8)."""

    def limited() -> None:
        if limit_file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_size, limit_file_size))

    return subprocess.run(
        [sys.executable, "-m", "xcapki", *arguments],
        env={**os.environ, "LANG": "C.UTF-8", **env},
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
        preexec_fn=limited,
    )


def _openssl_content(openssl: str, signature: Path) -> bytes:
    """The content OpenSSL finds signed in ``signature`` (the signature checked, not the path)."""
    result = subprocess.run(
        [openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", str(signature),
         "-noverify", "-out", "-"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.openssl
def test_signing_a_pipe_signs_every_byte_of_it(
    card: VirtualCard, openssl: str, tmp_path: Path
) -> None:
    signature = tmp_path / "piped.p7s"
    arguments = ["sign", "/dev/stdin", "-o", str(signature), "--quiet", *card_options(card)]
    result = _xcapki(arguments, env=card_env(card), stdin=CONTENT)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    assert _openssl_content(openssl, signature) == CONTENT


@pytest.mark.openssl
def test_signing_a_fifo_neither_hangs_nor_loses_its_start(
    card: VirtualCard, openssl: str, tmp_path: Path
) -> None:
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as writer:  # waits for the CLI to open the FIFO
            writer.write(CONTENT)

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    signature = tmp_path / "fifo.p7s"
    arguments = ["sign", str(fifo), "-o", str(signature), "--quiet", *card_options(card)]
    result = _xcapki(arguments, env=card_env(card))
    writer.join(timeout=10)
    assert result.returncode == ExitCode.OK, result.stderr.decode()
    assert _openssl_content(openssl, signature) == CONTENT


@pytest.mark.openssl
def test_verify_reads_a_signature_from_a_pipe(
    card: VirtualCard, openssl: str, tmp_path: Path
) -> None:
    document = tmp_path / "document.bin"
    document.write_bytes(CONTENT)
    signature = tmp_path / "document.p7s"
    subprocess.run(
        [openssl, "cms", "-sign", "-binary", "-nodetach", "-outform", "DER",
         "-in", str(document), "-signer", str(card.card.signing.certificate_path),
         "-inkey", str(card.card.signing.private_key_path), "-out", str(signature)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    out = tmp_path / "content.bin"
    arguments = ["verify", "/dev/stdin", "--revocation", "off", "--out", str(out), "--json"]
    result = _xcapki(arguments, env={}, stdin=signature.read_bytes())
    verdict = json.loads(result.stdout)
    assert verdict["intact"] is True, result.stderr.decode()
    assert out.read_bytes() == CONTENT


def _wait_for_partial(folder: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".partial") for p in folder.iterdir()):
        assert process.poll() is None, "the signing ended before it wrote anything"
        assert time.monotonic() < deadline, "no output was being written"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("stop", "ended"),
    [(signal.SIGTERM, -signal.SIGTERM), (signal.SIGINT, ExitCode.INTERRUPTED)],
    ids=["SIGTERM", "SIGINT"],
)
def test_a_signal_while_signing_leaves_no_half_written_file_and_one_json_error(
    card: VirtualCard, tmp_path: Path, stop: signal.Signals, ended: int
) -> None:
    document = tmp_path / "large.bin"
    with document.open("wb") as handle:
        handle.truncate(64 * 1024**3)
    output = tmp_path / "large.p7s"
    process = subprocess.Popen(
        [sys.executable, "-m", "xcapki", "sign", str(document), "-o", str(output), "--quiet",
         "--json", *card_options(card)],
        env={**os.environ, "LANG": "C.UTF-8", **card_env(card)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    _wait_for_partial(tmp_path, process)
    process.send_signal(stop)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == ended, stderr.decode()
    assert b"Traceback" not in stderr
    error = json.loads(stdout)["error"]
    assert error["kind"] == "interrupted"
    assert error["exit_code"] == ExitCode.INTERRUPTED
    assert sorted(p.name for p in tmp_path.iterdir()) == ["large.bin"]


def test_json_is_utf8_for_a_file_name_that_is_not(card: VirtualCard, tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/\xff\xfe report.txt"
    Path(os.fsdecode(name)).write_bytes(b"content")
    output = name + b".p7s"
    arguments = [os.fsdecode(name), "-o", os.fsdecode(output), "--json", *card_options(card)]
    result = _xcapki(["sign", *arguments], env=card_env(card))
    assert result.returncode == ExitCode.OK, result.stderr.decode(errors="replace")
    document = json.loads(result.stdout.decode("utf-8"))
    assert os.fsencode(document["output"]) == output


@pytest.mark.parametrize("encoding", ["big5", "ascii"])
def test_json_is_utf8_whatever_the_locale_encodes(
    card: VirtualCard, tmp_path: Path, encoding: str
) -> None:
    document = tmp_path / "申報書.txt"
    document.write_bytes(b"content")
    arguments = [str(document), "-o", str(tmp_path / "申報書.p7s"), "--json", *card_options(card)]
    result = _xcapki(["sign", *arguments], env={**card_env(card), "PYTHONIOENCODING": encoding})
    assert result.returncode == ExitCode.OK, result.stderr.decode(errors="replace")
    signed = json.loads(result.stdout.decode("utf-8"))
    assert signed["output"] == str(tmp_path / "申報書.p7s")
    assert signed["signer"]["taiwan"]["organisation"] == card.card.spec.organisation_name


@pytest.fixture
def recipient(card: VirtualCard) -> str:
    return str(card.card.encryption.certificate_path)


def test_encrypt_that_cannot_finish_writing_is_an_output_error_and_leaves_nothing(
    card: VirtualCard, recipient: str, tmp_path: Path
) -> None:
    document = tmp_path / "report.bin"
    document.write_bytes(CONTENT)
    envelope = tmp_path / "report.p7m"
    arguments = ["encrypt", str(document), "--to", recipient, "-o", str(envelope), "--json"]
    result = _xcapki(arguments, env={}, limit_file_size=64 * 1024)
    assert result.returncode == ExitCode.INPUT, result.stderr.decode()
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "output"
    assert "--force" not in error["remedy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.bin"]


def test_decrypt_refuses_an_output_in_a_missing_folder_before_the_pin(
    card: VirtualCard, recipient: str, tmp_path: Path
) -> None:
    document = tmp_path / "report.bin"
    document.write_bytes(b"content")
    envelope = tmp_path / "report.p7m"
    made = run_cli("encrypt", str(document), "--to", recipient, "-o", str(envelope))
    assert made.code == ExitCode.OK, made.stderr
    no_pin = ["--module", str(card.module_path), "--token", card.serial]
    missing = tmp_path / "missing" / "report.bin"
    result = run_cli(
        "decrypt", str(envelope), "-o", str(missing), "--json", *no_pin, env=card.environment
    )
    assert result.code == ExitCode.INPUT, result.stderr
    error = result.json()["error"]
    assert error["kind"] == "output"
    assert str(tmp_path / "missing") in error["message"]
    assert "--force" not in error["remedy"]
    for occupied in (document, tmp_path):
        refused = run_cli("encrypt", str(document), "--to", recipient, "-o", str(occupied))
        assert refused.code == ExitCode.INPUT
        assert "an input file" not in refused.stderr
    assert document.read_bytes() == b"content"


def test_output_errors_name_the_remedy_that_helps(card: VirtualCard, tmp_path: Path) -> None:
    document = tmp_path / "a.txt"
    document.write_text("content")
    for output, words in (
        (document, "choose another output name"),
        (tmp_path / "missing" / "a.p7s", "folder that exists"),
    ):
        result = run_cli("sign", str(document), "-o", str(output), "--json", *card_options(card))
        assert result.code == ExitCode.INPUT, result.stderr
        remedy = result.json()["error"]["remedy"]
        assert words in remedy
        assert "--force" not in remedy


def test_trust_uses_the_default_file_without_file(tmp_path: Path) -> None:
    environment = {"XDG_CONFIG_HOME": str(tmp_path / "config")}
    added = run_cli("trust", "add", "www.example.gov.tw", env=environment)
    assert added.code == ExitCode.OK, added.stderr
    stored = json.loads((tmp_path / "config" / "xcapki" / "trusted-origins.json").read_text())
    assert stored == {"origins": ["www.example.gov.tw"]}
    listed = run_cli("trust", "list", "--json", env=environment)
    assert listed.json()["sites"] == ["www.example.gov.tw"]
    assert run_cli("trust", "remove", "www.example.gov.tw", env=environment).code == ExitCode.OK


def test_a_pdf_from_a_pipe_is_refused_before_the_pin(card: VirtualCard, tmp_path: Path) -> None:
    no_pin = ["--module", str(card.module_path), "--token", card.serial]
    pdf = b"%PDF-1.7\n" + CONTENT
    output = tmp_path / "signed.pdf"
    for arguments in (
        ["sign", "/dev/stdin", "--pdf", "-o", str(output), "--json", *no_pin],
        ["verify", "/dev/stdin", "--pdf", "--revocation", "off", "--json"],
    ):
        result = _xcapki(arguments, env=card.environment, stdin=pdf)
        assert result.returncode == ExitCode.INPUT, result.stderr.decode()
        error = json.loads(result.stdout)["error"]
        assert error["kind"] == "input"
        assert "save it to a file first" in error["message"]
    assert not output.exists()


def test_verify_pdf_of_a_missing_file_says_the_file_is_missing(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pdf"
    result = run_cli("verify", str(missing), "--pdf", "--revocation", "off", "--json")
    assert result.code == ExitCode.INPUT
    error = result.json()["error"]
    assert error["kind"] == "input"
    assert "No such file" in error["message"]


NAME_MAX = os.pathconf("/", "PC_NAME_MAX")


@pytest.mark.openssl
def test_an_output_name_near_the_file_systems_limit_is_written(
    card: VirtualCard, openssl: str, tmp_path: Path
) -> None:
    document = tmp_path / "a.txt"
    document.write_bytes(b"content")
    signed = tmp_path / ("s" * (NAME_MAX - 4) + ".p7s")
    result = run_cli(
        "sign", str(document), "-o", str(signed), *card_options(card), env=card_env(card)
    )
    assert result.code == ExitCode.OK, result.stderr
    assert _openssl_content(openssl, signed) == b"content"
    envelope = tmp_path / ("e" * (NAME_MAX - 4) + ".p7m")
    recipient = str(card.card.encryption.certificate_path)
    encrypted = run_cli("encrypt", str(document), "--to", recipient, "-o", str(envelope))
    assert encrypted.code == ExitCode.OK, encrypted.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["a.txt", signed.name, envelope.name]
    )


def test_a_name_too_long_for_the_file_system_is_a_file_error(
    card: VirtualCard, tmp_path: Path
) -> None:
    document = tmp_path / "a.txt"
    document.write_bytes(b"content")
    too_long = str(tmp_path / ("x" * (NAME_MAX + 1)))
    recipient = str(card.card.encryption.certificate_path)
    for arguments, kind in (
        (["sign", too_long, "-o", str(tmp_path / "a.p7s"), *card_options(card)], "input"),
        (["sign", str(document), "-o", too_long, *card_options(card)], "output"),
        (["verify", too_long, "--revocation", "off"], "input"),
        (["decrypt", too_long, "-o", str(tmp_path / "b"), *card_options(card)], "input"),
        (["encrypt", str(document), "--to", recipient, "-o", too_long], "output"),
    ):
        result = run_cli(*arguments, "--json", env=card_env(card))
        assert result.code == ExitCode.INPUT, result.stderr
        error = result.json()["error"]
        assert error["kind"] == kind, error
        assert "internal" not in result.stderr
        if kind == "output":
            assert "another output name" in error["remedy"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_module_path_too_long_for_the_file_system_is_a_module_error(tmp_path: Path) -> None:
    too_long = str(tmp_path / ("m" * (NAME_MAX + 1)))
    for environment, options in (
        ({}, ["--module", too_long]),
        ({"XCAPKI_PKCS11_MODULE": too_long}, []),
    ):
        result = run_cli("tokens", *options, "--json", env=environment)
        assert result.code == ExitCode.TOKEN, result.stderr
        assert result.json()["error"]["type"] == "ModuleError"
        assert "internal" not in result.stderr


def test_an_output_that_is_a_pipe_or_device_is_refused_not_replaced(
    card: VirtualCard, tmp_path: Path
) -> None:
    document = tmp_path / "a.txt"
    document.write_bytes(b"content")
    fifo = tmp_path / "consumer.fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    device.symlink_to(os.devnull)
    recipient = str(card.card.encryption.certificate_path)
    for output in (fifo, device):
        for arguments in (
            ["sign", str(document), "-o", str(output), *card_options(card)],
            ["encrypt", str(document), "--to", recipient, "-o", str(output)],
        ):
            result = run_cli(*arguments, "--force", "--json", env=card_env(card))
            assert result.code == ExitCode.INPUT, result.stderr
            assert result.json()["error"]["kind"] == "output"
    assert fifo.is_fifo()
    assert device.resolve() == Path(os.devnull)


def test_virtual_card_create_in_a_place_it_cannot_use_says_so(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("")
    for directory in (a_file, tmp_path / ("d" * (NAME_MAX + 1))):
        result = run_cli(
            "virtual-card", "create", "--directory", str(directory), "--pin-env", "NEW_PIN",
            "--json", env={"NEW_PIN": "123456"},
        )  # fmt: skip
        assert result.code == ExitCode.INPUT, result.stderr
        error = result.json()["error"]
        assert error["kind"] == "output"
        assert "--directory" in error["remedy"]
        assert "internal" not in result.stderr
