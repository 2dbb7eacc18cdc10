"""tokens, certs, pin, sign, verify and selftest on SoftHSM2 virtual HiCOS cards."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cli_helpers import BAD_PIN_VARIABLE, PIN_VARIABLE, card_env, card_options, run_cli

from xcapki.cli.exit_codes import ExitCode
from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    PkiServices,
    StandardCards,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
)

pytestmark = pytest.mark.softhsm


def test_tokens_lists_the_card_without_a_pin(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    result = run_cli("tokens", "--module", str(card.module_path), "--json", env=card.environment)
    assert result.code == ExitCode.OK
    tokens = {t["serial"]: t for t in result.json()["tokens"]}
    assert tokens[card.serial]["label"] == "HiCOS PKI Smart Card"
    assert tokens[card.serial]["pin_state"] == "ok"
    assert tokens[card.serial]["initialised"] is True
    text = run_cli("tokens", "--module", str(card.module_path), env=card.environment)
    assert f"serial {card.serial}" in text.stdout


def test_several_cards_without_token_is_ambiguous(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    result = run_cli("pin", "status", "--module", str(card.module_path), env=card.environment)
    assert result.code == ExitCode.TOKEN
    assert "--token" in result.stderr
    assert card.serial in result.stderr


def test_token_option_takes_a_serial_else_a_label(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    module = ["--module", str(card.module_path), "--json"]
    by_serial = run_cli("pin", "status", *module, "--token", card.serial, env=card.environment)
    assert by_serial.code == ExitCode.OK
    assert by_serial.json()["token"]["serial"] == card.serial
    label = "HiCOS PKI Smart Card"
    by_label = run_cli("pin", "status", *module, "--token", label, env=card.environment)
    assert by_label.code == ExitCode.TOKEN
    for other in (softhsm_cards.xca, softhsm_cards.moica):
        assert other.serial in by_label.stderr


def test_certs_show_the_taiwan_profile_in_both_languages_without_a_pin(
    softhsm_cards: StandardCards,
) -> None:
    card = softhsm_cards.xca
    # No --pin-env and no terminal: certificates are read without logging in.
    options = ["--module", str(card.module_path), "--token", card.serial]
    result = run_cli("certs", *options, "--json", env=card.environment)
    assert result.code == ExitCode.OK, result.stderr
    assert "PIN" not in result.stderr
    certificates = result.json()["certificates"]
    signing = certificates[0]
    assert signing["purpose"] == "signing"
    assert signing["token_object"]["label"] == "cert1"
    assert signing["token_object"]["has_private_key"] is True
    assert signing["taiwan"]["authority"] == "XCA"
    assert signing["taiwan"]["authority_name"] == "組織及團體憑證管理中心"
    assert signing["taiwan"]["unified_business_number"] == "12345678"
    assert signing["taiwan"]["organisation"] == "測試聯合會計師事務所"
    assert signing["taiwan"]["card_serial"] == card.serial
    assert signing["days_left"] > 30
    assert [c["purpose"] for c in certificates[:2]] == ["signing", "encryption"]
    english = run_cli("certs", *options, env=card.environment)
    assert "unified business number (統一編號): 12345678" in english.stdout
    assert "purpose: signing" in english.stdout
    chinese = run_cli("certs", *options, "--lang", "zh-TW", env=card.environment)
    assert "統一編號：12345678" in chinese.stdout
    assert "用途：簽章" in chinese.stdout
    assert "憑證管理中心：XCA 組織及團體憑證管理中心" in chinese.stdout


def test_pin_status_needs_no_pin(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.gca
    options = ["--module", str(card.module_path), "--token", card.serial]
    result = run_cli("pin", "status", *options, "--json", env=card.environment)
    assert result.code == ExitCode.OK
    assert result.json()["pin_state"] == "ok"
    chinese = run_cli("pin", "status", *options, "--lang", "zh-TW", env=card.environment)
    assert "PIN 碼正常" in chinese.stdout


def test_pin_change_then_change_back(fresh_card: VirtualCard, tmp_path: Path) -> None:
    env = {**card_env(fresh_card), "NEW_PIN": "654321"}
    content = tmp_path / "content.txt"
    content.write_text("PIN change")

    def sign(*pin_options: str) -> int:
        arguments = ["--module", str(fresh_card.module_path), "--token", fresh_card.serial]
        output = str(tmp_path / "signed.p7s")
        command = ["sign", str(content), "-o", output, "--force", *arguments, *pin_options]
        return run_cli(*command, env=env).code

    changed = run_cli(
        "pin", "change", *card_options(fresh_card), "--new-pin-env", "NEW_PIN", env=env
    )
    assert changed.code == ExitCode.OK, changed.stderr
    assert sign("--pin-env", PIN_VARIABLE) == ExitCode.PIN
    assert sign("--pin-env", "NEW_PIN") == ExitCode.OK
    back = run_cli(
        "pin",
        "change",
        "--module",
        str(fresh_card.module_path),
        "--token",
        fresh_card.serial,
        "--pin-env",
        "NEW_PIN",
        "--new-pin-env",
        PIN_VARIABLE,
        env=env,
    )
    assert back.code == ExitCode.OK, back.stderr
    assert sign("--pin-env", PIN_VARIABLE) == ExitCode.OK


@pytest.fixture
def signed(tmp_path: Path, softhsm_cards: StandardCards) -> tuple[Path, Path, Path]:
    """A file, its attached and its detached signature made through the CLI."""
    card = softhsm_cards.xca
    content = tmp_path / "申報書.txt"
    content.write_text("會計師查核簽證 2024\n")
    attached, detached = tmp_path / "attached.p7s", tmp_path / "detached.p7s"
    for output, extra in ((attached, []), (detached, ["--detached", "--hash", "sha384"])):
        result = run_cli(
            "sign",
            str(content),
            "-o",
            str(output),
            *extra,
            *card_options(card),
            "--json",
            env=card_env(card),
        )
        assert result.code == ExitCode.OK, result.stderr
        document = result.json()
        assert document["signer"]["taiwan"]["unified_business_number"] == "12345678"
        assert document["detached"] is bool(extra)
    return content, attached, detached


@pytest.mark.openssl
def test_openssl_verifies_what_the_cli_signed(
    signed: tuple[Path, Path, Path], test_pki: TestPki
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    content, attached, detached = signed
    root = str(test_pki.root_certificate_path)
    for arguments in (
        ["-in", str(attached)],
        ["-in", str(detached), "-content", str(content), "-binary"],
    ):
        completed = subprocess.run(
            [
                "openssl",
                "cms",
                "-verify",
                "-inform",
                "DER",
                *arguments,
                "-CAfile",
                root,
                "-purpose",
                "any",
                "-out",
                "/dev/null",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        assert "Verification successful" in completed.stderr


@pytest.mark.ocsp
def test_verify_intact_trusted_and_not_revoked(
    signed: tuple[Path, Path, Path], test_pki: TestPki, pki_services: PkiServices
) -> None:
    content, attached, detached = signed
    root = str(test_pki.root_certificate_path)
    result = run_cli("verify", str(attached), "--trust-root", root, "--json")
    assert result.code == ExitCode.OK, result.stdout + result.stderr
    document = result.json()
    assert (document["valid"], document["intact"], document["trusted"]) == (True, True, True)
    assert document["revocation"]["state"] == "good"
    assert document["revocation"]["source"] in ("ocsp", "crl")
    assert document["signer"]["taiwan"]["authority"] == "XCA"
    assert document["signer"]["taiwan"]["unified_business_number"] == "12345678"
    assert len(document["chain"]) == 3
    detached_ok = run_cli("verify", str(detached), "--content", str(content), "--trust-root", root)
    assert detached_ok.code == ExitCode.OK, detached_ok.stdout
    assert "VALID" in detached_ok.stdout
    chinese = run_cli("verify", str(attached), "--trust-root", root, "--lang", "zh-TW")
    assert "驗證通過" in chinese.stdout


def test_verify_untrusted_without_the_test_root(signed: tuple[Path, Path, Path]) -> None:
    _, attached, _ = signed
    result = run_cli("verify", str(attached), "--revocation", "off", "--json")
    assert result.code == ExitCode.UNTRUSTED
    document = result.json()
    assert (document["intact"], document["trusted"], document["valid"]) == (True, False, False)
    assert document["failure"]["type"] == "UntrustedRootError"
    assert document["signer"]["taiwan"]["unified_business_number"] == "12345678"


def test_verify_tampered(
    signed: tuple[Path, Path, Path], test_pki: TestPki, tmp_path: Path
) -> None:
    _content, attached, detached = signed
    root = str(test_pki.root_certificate_path)
    data = bytearray(attached.read_bytes())
    marker = data.find(b"2024")
    assert marker > 0
    data[marker : marker + 4] = b"2025"
    tampered = tmp_path / "tampered.p7s"
    tampered.write_bytes(bytes(data))
    result = run_cli("verify", str(tampered), "--trust-root", root, "--revocation", "off", "--json")
    assert result.code == ExitCode.NOT_INTACT
    document = result.json()
    assert document["intact"] is False
    assert document["valid"] is False
    assert document["failure"]["type"] == "MessageDigestMismatchError"
    other = tmp_path / "other.txt"
    other.write_text("something else\n")
    wrong_content = run_cli(
        "verify",
        str(detached),
        "--content",
        str(other),
        "--trust-root",
        root,
        "--revocation",
        "off",
    )
    assert wrong_content.code == ExitCode.NOT_INTACT
    assert "INVALID" in wrong_content.stdout
    garbage = tmp_path / "garbage.p7s"
    garbage.write_bytes(b"\x30\x03\x02\x01\x01")
    assert run_cli("verify", str(garbage), "--json").json()["intact"] is False


@pytest.mark.ocsp
def test_verify_revoked(
    softhsm_cards: StandardCards, test_pki: TestPki, pki_services: PkiServices, tmp_path: Path
) -> None:
    card = softhsm_cards.revoked
    content = tmp_path / "content.txt"
    content.write_text("revoked signer\n")
    output = tmp_path / "revoked.p7s"
    made = run_cli("sign", str(content), "-o", str(output), *card_options(card), env=card_env(card))
    assert made.code == ExitCode.OK, made.stderr
    result = run_cli(
        "verify", str(output), "--trust-root", str(test_pki.root_certificate_path), "--json"
    )
    assert result.code == ExitCode.REVOKED, result.stdout
    document = result.json()
    assert document["intact"] is True
    assert document["trusted"] is False
    assert document["revocation"]["state"] == "revoked"
    assert document["revocation"]["revoked_at"] is not None


def test_verify_revocation_unavailable_when_nothing_answers(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    # A PKI of its own that no responder serves: its OCSP and CRL ports refuse connections.
    silent = TestPki.create(tmp_path / "silent-pki")
    card = provision_softhsm_card(
        silent,
        CardSpec(authority=Authority.XCA, organisation_name="離線測試事務所"),
        softhsm_conf=softhsm_cards.xca.softhsm_conf,
    )
    content = tmp_path / "content.txt"
    content.write_text("offline\n")
    output = tmp_path / "offline.p7s"
    made = run_cli("sign", str(content), "-o", str(output), *card_options(card), env=card_env(card))
    assert made.code == ExitCode.OK, made.stderr
    root = str(silent.root_certificate_path)
    hard = run_cli("verify", str(output), "--trust-root", root, "--revocation", "hard", "--json")
    assert hard.code == ExitCode.REVOCATION_UNAVAILABLE, hard.stdout
    assert hard.json()["intact"] is True
    assert hard.json()["valid"] is False
    soft = run_cli("verify", str(output), "--trust-root", root, "--revocation", "soft", "--json")
    assert soft.code == ExitCode.OK, soft.stdout
    assert soft.json()["revocation"]["state"] == "unavailable"


@pytest.mark.ocsp
def test_selftest_on_a_working_card(
    softhsm_cards: StandardCards, test_pki: TestPki, pki_services: PkiServices
) -> None:
    card = softhsm_cards.xca_ec
    root = str(test_pki.root_certificate_path)
    result = run_cli(
        "selftest",
        *card_options(card),
        "--trust-root",
        root,
        "--revocation",
        "hard",
        "--json",
        env=card_env(card),
    )
    assert result.code == ExitCode.OK, result.stdout + result.stderr
    document = result.json()
    assert document["works"] is True
    assert [s["step"] for s in document["steps"]] == [
        "token",
        "pin",
        "sign",
        "verify",
        "path",
        "revocation",
    ]
    assert all(s["result"] == "pass" for s in document["steps"])
    assert document["revocation"]["state"] == "good"
    chinese = run_cli(
        "selftest", *card_options(card), "--trust-root", root, "--lang", "zh-TW", env=card_env(card)
    )
    assert "卡片正常" in chinese.stdout


def test_selftest_says_plainly_when_the_card_is_not_trusted(
    softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    card = softhsm_cards.expired
    root = ["--trust-root", str(test_pki.root_certificate_path)]
    result = run_cli(
        "selftest", *card_options(card), *root, "--revocation", "off", "--json",
        env=card_env(card),
    )  # fmt: skip
    assert result.code == ExitCode.FAILED
    document = result.json()
    assert document["works"] is False
    assert document["failed_part"] == "card"
    assert "does NOT work" in document["verdict"]


def test_selftest_without_the_root_blames_the_trust_configuration(
    softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    card = softhsm_cards.xca
    options = [*card_options(card), "--revocation", "off"]
    result = run_cli("selftest", *options, "--json", env=card_env(card))
    assert result.code == ExitCode.FAILED
    document = result.json()
    assert document["failed_part"] == "trust"
    assert "does NOT work" not in document["verdict"]
    assert "--trust-root" in document["verdict"]
    chinese = run_cli("selftest", *options, "--lang", "zh-TW", env=card_env(card))
    assert "卡片正常" in chinese.stdout
    assert "信任設定" in chinese.stdout
    trusted = ["--trust-root", str(test_pki.root_certificate_path)]
    assert run_cli("selftest", *options, *trusted, env=card_env(card)).code == ExitCode.OK


def test_selftest_wrong_pin_stops_without_retrying(fresh_card: VirtualCard) -> None:
    options = card_options(fresh_card)
    options[options.index("--pin-env") + 1] = BAD_PIN_VARIABLE
    result = run_cli("selftest", *options, "--json", env=card_env(fresh_card))
    assert result.code == ExitCode.PIN
    document = result.json()
    assert document["works"] is False
    assert [(s["step"], s["result"]) for s in document["steps"]] == [
        ("token", "pass"),
        ("pin", "fail"),
    ]
    assert document["failure"]["type"] == "PinIncorrectError"
    status = run_cli(
        "pin",
        "status",
        "--module",
        str(fresh_card.module_path),
        "--token",
        fresh_card.serial,
        "--json",
        env=fresh_card.environment,
    )
    assert status.json()["pin_state"] == "count-low"
    chinese = run_cli("selftest", *options, "--lang", "zh-TW", env=card_env(fresh_card))
    assert "PIN 碼錯誤（沒有自動重試）" in chinese.stdout
    assert "卡片未完成測試" in chinese.stdout


@pytest.mark.parametrize("pin", ["917364", "91 7364x", "9173645828461937"])
def test_the_pin_is_never_printed_even_with_debug(
    fresh_card: VirtualCard, tmp_path: Path, pin: str
) -> None:
    content = tmp_path / "in.txt"
    content.write_text("x")
    env = {**card_env(fresh_card), PIN_VARIABLE: pin}
    for extra in ([], ["--debug"], ["--json"]):
        result = run_cli(
            "sign", str(content), "-o", str(tmp_path / "o.p7s"), *card_options(fresh_card),
            *extra, env=env,
        )  # fmt: skip
        assert result.code == ExitCode.PIN, result.stderr
        assert pin not in result.stdout + result.stderr
        assert ("Traceback" in result.stderr) is (extra == ["--debug"])
