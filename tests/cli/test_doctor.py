"""doctor against real token and network states, in both languages.

Module missing, locked PIN (opencryptoki's soft token really locks), expired
and soon-expiring certificates (SoftHSM2 virtual cards), the portal over
HTTP, a TLS failure, DNS and proxy failures, and the service port free, held
by a HiPKI-compatible server, or held by another program.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import http.server
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import PIN_VARIABLE, CliRun, card_env, card_options, run_cli
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hostile_pki import look_alike_ca

from xcapki.cli.exit_codes import ExitCode
from xcapki.crypto.authority import Authority
from xcapki.testing import (
    HICOS_CARD_LABEL,
    CardSpec,
    StandardCards,
    TestPki,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.errors import TestingError
from xcapki.testing.ports import unused_port

_BASE = ("doctor", "--no-pcsc", "--json", "--quiet", "--timeout", "3")


def _doctor(
    *extra: str, env: dict[str, str] | None = None, lang: str = "en"
) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run_cli(*_BASE, "--service-port", str(unused_port()), "--lang", lang, *extra, env=env)
    assert "Traceback" not in result.stderr, result.stderr
    document = result.json()
    assert [c["id"] for c in document["checks"]] == [
        "pcsc_service",
        "readers",
        "card_present",
        "card_atr",
        "pkcs11_module",
        "token",
        "pin_state",
        "signing_certificate",
        "encryption_certificate",
        "chain",
        "revocation",
        "proxy",
        "portal_dns",
        "portal_tls",
        "service_port",
        "local_network_access",
    ]
    return result.code, {check["id"]: check for check in document["checks"]}


def test_module_missing_in_both_languages() -> None:
    code, checks = _doctor("--module", "/opt/hicos/libHicos_p11v1.so", "--offline")
    assert code == ExitCode.FAILED
    module = checks["pkcs11_module"]
    assert module["verdict"] == "fail"
    assert module["manual_question"] == "Q1"
    assert "/opt/hicos/libHicos_p11v1.so does not exist" in module["message"]
    assert "install the card component" in module["remedy"]
    assert all(checks[c]["verdict"] == "skip" for c in ("token", "pin_state", "chain"))
    _, chinese = _doctor("--module", "/opt/hicos/libHicos_p11v1.so", "--offline", lang="zh-TW")
    assert chinese["pkcs11_module"]["message"].startswith(
        "憑證元件（PKCS#11 模組）沒有安裝或無法載入"
    )
    assert "請安裝新憑證元件" in chinese["pkcs11_module"]["remedy"]


@pytest.mark.softhsm
@pytest.mark.ocsp
def test_a_good_card_passes_every_card_check(
    softhsm_cards: StandardCards, test_pki: TestPki, pki_services: object
) -> None:
    card = softhsm_cards.xca
    root = str(test_pki.root_certificate_path)
    code, checks = _doctor(
        *card_options(card),
        "--trust-root",
        root,
        "--portal-url",
        "http://127.0.0.1:1/",
        env=card_env(card),
    )
    for check in (
        "pkcs11_module",
        "token",
        "pin_state",
        "signing_certificate",
        "encryption_certificate",
        "chain",
        "revocation",
    ):
        assert checks[check]["verdict"] == "pass", checks[check]
    assert "Test Government Root" in checks["chain"]["message"]
    assert "127.0.0.1" in checks["revocation"]["message"]
    assert checks["portal_tls"]["verdict"] == "fail"  # nothing listens on port 1
    assert code == ExitCode.FAILED


@pytest.mark.softhsm
def test_certificates_are_checked_without_a_pin_or_terminal(
    softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    card = softhsm_cards.xca
    # No --pin-env, no PIN in the environment, stdin no terminal: the doctor never logs in.
    options = ["--module", str(card.module_path), "--token", card.serial, "--offline"]
    root = str(test_pki.root_certificate_path)
    result = run_cli(*_BASE, *options, "--trust-root", root, env=card.environment)
    checks = {check["id"]: check for check in result.json()["checks"]}
    assert "PIN" not in result.stderr
    for check in ("pin_state", "signing_certificate", "encryption_certificate", "chain"):
        assert checks[check]["verdict"] == "pass", checks[check]
    assert "測試聯合會計師事務所" in checks["signing_certificate"]["message"]
    assert checks["revocation"]["verdict"] == "skip"  # --offline
    assert result.code == ExitCode.OK


@pytest.mark.softhsm
def test_expired_certificate_in_both_languages(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.expired
    code, checks = _doctor(*card_options(card), "--offline", env=card_env(card))
    assert code == ExitCode.FAILED
    signing = checks["signing_certificate"]
    assert signing["verdict"] == "fail"
    assert "expired on" in signing["message"]
    assert "new certificate" in signing["remedy"]
    assert checks["encryption_certificate"]["verdict"] == "fail"
    assert checks["chain"]["verdict"] == "skip"
    _, chinese = _doctor(*card_options(card), "--offline", env=card_env(card), lang="zh-TW")
    assert "已於" in chinese["signing_certificate"]["message"]
    assert "到期" in chinese["signing_certificate"]["message"]
    assert "申請新憑證" in chinese["signing_certificate"]["remedy"]


@pytest.mark.softhsm
def test_certificate_expiring_within_30_days_is_a_warning(
    test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    now = dt.datetime.now(dt.UTC)
    card = provision_softhsm_card(
        test_pki,
        CardSpec(
            authority=Authority.XCA,
            organisation_name="即將到期事務所",
            unified_business_number="42345678",
            not_before=now - dt.timedelta(days=700),
            not_after=now + dt.timedelta(days=10),
        ),
        softhsm_conf=softhsm_cards.xca.softhsm_conf,
    )
    root = str(test_pki.root_certificate_path)
    code, checks = _doctor(
        *card_options(card), "--offline", "--trust-root", root, env=card_env(card)
    )
    assert checks["signing_certificate"]["verdict"] == "warn"
    assert "expires in 9 days" in checks["signing_certificate"]["message"] or (
        "expires in 10 days" in checks["signing_certificate"]["message"]
    )
    assert "renew" in checks["signing_certificate"]["remedy"]
    assert checks["chain"]["verdict"] == "pass"
    assert code == ExitCode.OK


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.mark.opencryptoki
def test_locked_pin_in_both_languages(opencryptoki_lock: None) -> None:
    from xcapki.testing.opencryptoki import opencryptoki_module_path, provision_opencryptoki_card

    if opencryptoki_module_path() is None:
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    try:
        card = provision_opencryptoki_card(pin="123456")
    except TestingError as exc:
        pytest.skip(f"opencryptoki is not usable here: {exc}")
    options = ["--module", str(card.module_path), "--token", card.label, "--offline"]
    wrong = {PIN_VARIABLE: "000000"}

    def selftest(*extra: str) -> CliRun:
        return run_cli(
            "selftest", *options[:4], "--pin-env", PIN_VARIABLE, *extra, "--json", env=wrong
        )

    # Three wrong PINs through the CLI itself: each run tries once, the third must be asked for.
    assert selftest().code == ExitCode.PIN
    _, after_one = _doctor(*options)
    assert after_one["pin_state"]["verdict"] == "warn"
    assert "running low" in after_one["pin_state"]["message"]
    assert selftest().code == ExitCode.PIN
    _, final = _doctor(*options)
    assert final["pin_state"]["verdict"] == "warn"
    assert "ONE try" in final["pin_state"]["message"]
    refused = selftest()
    assert refused.code == ExitCode.PIN
    assert refused.json()["failure"]["type"] == "FinalTryRefusedError"
    assert selftest("--spend-final-try").code == ExitCode.PIN
    code, checks = _doctor(*options)
    assert code == ExitCode.FAILED
    assert checks["pin_state"]["verdict"] == "fail"
    assert checks["pin_state"]["message"] == "the PIN is locked"
    assert "issuing CA" in checks["pin_state"]["remedy"]
    # Reading certificates spends no try, so a locked card's are still checked (this soft
    # token holds none).
    assert checks["signing_certificate"]["verdict"] == "fail"
    assert checks["signing_certificate"]["message"] == "the card holds none"
    assert checks["chain"]["verdict"] == "skip"
    certs = run_cli("certs", *options[:4], "--json")
    assert certs.code == ExitCode.TOKEN
    assert certs.json()["certificates"] == []
    _, chinese = _doctor(*options, lang="zh-TW")
    assert chinese["pin_state"]["message"] == "PIN 碼已鎖住"
    assert "憑證管理中心申請解鎖" in chinese["pin_state"]["remedy"]


@pytest.mark.opencryptoki
def test_selftest_wrong_pin_spends_exactly_one_try(opencryptoki_lock: None) -> None:
    from xcapki.testing.opencryptoki import opencryptoki_module_path, provision_opencryptoki_card

    if opencryptoki_module_path() is None:
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    try:
        card = provision_opencryptoki_card(pin="123456")
    except TestingError as exc:
        pytest.skip(f"opencryptoki is not usable here: {exc}")
    options = ["--module", str(card.module_path), "--token", card.label]
    result = run_cli(
        "selftest", *options, "--pin-env", PIN_VARIABLE, "--json", env={PIN_VARIABLE: "000000"}
    )
    assert result.code == ExitCode.PIN
    assert result.json()["failure"]["type"] == "PinIncorrectError"
    status = run_cli("pin", "status", *options, "--json")
    assert status.json()["pin_state"] == "count-low", "more than one try was spent"


# network and port


class _Portal(http.server.BaseHTTPRequestHandler):
    body = b"portal"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


class _HipkiLike(_Portal):
    body = b"<html>xcapki-compatible\nversion:1.3.4.103339\n</html>"


@pytest.fixture
def http_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


_NETWORK = ("--module", "/nonexistent/libnone.so")


def test_portal_reachable(http_server: http.server.ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{http_server.server_port}/"
    _, checks = _doctor(*_NETWORK, "--portal-url", url)
    assert checks["proxy"]["verdict"] == "pass"
    assert checks["portal_dns"]["verdict"] == "pass"
    assert checks["portal_tls"]["verdict"] == "pass"
    assert "HTTP 200" in checks["portal_tls"]["message"]


def test_portal_tls_failure_in_both_languages(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"https://localhost:{server.server_port}/"
        _, checks = _doctor(*_NETWORK, "--portal-url", url)
        _, chinese = _doctor(*_NETWORK, "--portal-url", url, lang="zh-TW")
    finally:
        server.shutdown()
        server.server_close()
    assert checks["portal_dns"]["verdict"] == "pass"
    tls = checks["portal_tls"]
    assert tls["verdict"] == "fail"
    assert tls["manual_question"] == "Q3"
    assert "TLS handshake with localhost failed" in tls["message"]
    assert "self-signed" in tls["message"] or "certificate" in tls["message"]
    assert "date and time" in tls["remedy"]
    assert "TLS 交握失敗" in chinese["portal_tls"]["message"]


def test_portal_name_does_not_resolve() -> None:
    _, checks = _doctor(*_NETWORK, "--portal-url", "https://portal.xcapki-test.invalid/")
    assert checks["portal_dns"]["verdict"] == "fail"
    assert "portal.xcapki-test.invalid cannot be resolved" in checks["portal_dns"]["message"]
    assert checks["portal_tls"]["verdict"] == "skip"


def test_bad_and_refusing_proxies(http_server: http.server.ThreadingHTTPServer) -> None:
    url = f"http://portal.example.test:{http_server.server_port}/"
    _, invalid = _doctor(*_NETWORK, "--portal-url", url, env={"HTTP_PROXY": "http://:0"})
    assert invalid["proxy"]["verdict"] == "fail"
    assert "HTTP_PROXY" in invalid["proxy"]["message"]
    closed = unused_port()
    proxy = f"http://user:secret@127.0.0.1:{closed}"
    _, refused = _doctor(*_NETWORK, "--portal-url", url, env={"HTTP_PROXY": proxy})
    assert refused["proxy"]["verdict"] == "pass"
    assert "secret" not in refused["proxy"]["message"]
    assert "127.0.0.1" in refused["portal_dns"]["message"]
    assert refused["portal_tls"]["verdict"] == "fail"
    assert "proxy" in refused["portal_tls"]["message"]
    assert "HTTPS_PROXY" in refused["portal_tls"]["remedy"]


def test_service_port_free_taken_or_hipki() -> None:
    _code, checks = _doctor(*_NETWORK, "--offline")
    assert checks["service_port"]["verdict"] == "pass"
    assert "is free" in checks["service_port"]["message"]
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        taken = run_cli(*_BASE, *_NETWORK, "--offline", "--service-port", str(port))
    check = {c["id"]: c for c in taken.json()["checks"]}["service_port"]
    assert check["verdict"] == "fail"
    assert f"port {port} is taken" in check["message"]
    hipki = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HipkiLike)
    thread = threading.Thread(target=hipki.serve_forever, daemon=True)
    thread.start()
    try:
        served = run_cli(*_BASE, *_NETWORK, "--offline", "--service-port", str(hipki.server_port))
    finally:
        hipki.shutdown()
        hipki.server_close()
    check = {c["id"]: c for c in served.json()["checks"]}["service_port"]
    assert check["verdict"] == "pass"
    assert "version:1.3.4.103339" in check["message"]


@pytest.mark.softhsm
def test_a_card_holding_too_many_ca_certificates_gets_the_remedy(
    test_pki: TestPki, tmp_path: Path
) -> None:
    """The card carries four CA certificates under its issuer's name (pkcs11-tool writes the
    extra three), past the validator's two per name: the doctor says so and how to fix it,
    and with the issuing CA given by --intermediate the path builds."""
    card = provision_softhsm_card(
        test_pki,
        CardSpec(authority=Authority.XCA, organisation_name="多憑證事務所"),
        softhsm_conf=softhsm_config(tmp_path / "store"),
    )
    issuer = card.card.issuer
    for index in range(3):
        staged = tmp_path / f"extra{index}.der"
        staged.write_bytes(look_alike_ca(issuer.subject).public_bytes(serialization.Encoding.DER))
        written = subprocess.run(
            [
                "pkcs11-tool", "--module", str(card.module_path),
                "--token-label", HICOS_CARD_LABEL, "--login", "--pin", card.pin,
                "--write-object", str(staged), "--type", "cert",
                "--id", f"ca{index}".encode().hex(), "--label", f"CA{index}",
            ],
            env=card.environment,
            capture_output=True,
            check=False,
        )  # fmt: skip
        assert written.returncode == 0, written.stderr
    root = str(test_pki.root_certificate_path)
    options = (*card_options(card), "--offline", "--trust-root", root)
    _, checks = _doctor(*options, env=card_env(card))
    assert checks["chain"]["verdict"] == "fail"
    assert "4 under one name" in checks["chain"]["message"]
    assert "--intermediate" in checks["chain"]["remedy"]
    _, chinese = _doctor(*options, env=card_env(card), lang="zh-TW")
    assert "--intermediate" in chinese["chain"]["remedy"]
    issuer_pem = tmp_path / "issuer.pem"
    issuer_pem.write_bytes(issuer.public_bytes(serialization.Encoding.PEM))
    _, fixed = _doctor(*options, "--intermediate", str(issuer_pem), env=card_env(card))
    assert fixed["chain"]["verdict"] == "pass", fixed["chain"]
