"""Hostile inputs and certificates the login validators once mishandled.

Each test builds its input independently of the code under test (JSON and
certificates made with ``cryptography`` and the test PKI directly).
"""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import subprocess
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core as asn1_core
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID
from login_helpers import SESSION, card_signer, dead_url
from test_webeid_validator import Desk, _with, make_token, reissued

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    CertificateRevokedError,
    ChainValidator,
    RevocationMode,
    RevocationSource,
    RevocationState,
    UntrustedRevocationError,
)
from xcapki.crypto.validation._validator import MAX_HELPERS_PER_NAME
from xcapki.errors import XcapkiError
from xcapki.login import (
    ChallengeSessionError,
    ChallengeUnknownError,
    KeyUsageRejectedError,
    LoginResponse,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    UntrustedSignerError,
    login_message,
    respond,
)
from xcapki.login.webeid import CertificateDecodingError, WebEidRules
from xcapki.testing import PkiServices, StandardCards, TestPki
from xcapki.testing.pki import CardSpec

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


@pytest.fixture
def desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust)


@pytest.fixture
def webeid_desk(portal_trust: TrustStore, pki_services: PkiServices) -> Desk:
    return Desk(portal_trust, rules=WebEidRules.WEB_EID)


@pytest.mark.parametrize(
    "token",
    [
        {"format": "web-eid:1.0", "unverifiedCertificate": b"\x30\x82" * 60},
        {("format",): "web-eid:1.0", "pad": "x" * 200},
        {"format": "web-eid:1.0", "pad": "x" * 200, "set": {1, 2}},
    ],
    ids=["bytes-value", "tuple-key", "set-value"],
)
def test_a_token_dict_that_is_not_json_is_refused_as_malformed(
    desk: Desk, token: dict[Any, Any]
) -> None:
    challenge_id, _ = desk.challenge()
    with pytest.raises(ResponseMalformedError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)


def test_a_deeply_nested_token_dict_is_refused_as_malformed(desk: Desk) -> None:
    nested: dict[str, Any] = {"format": "web-eid:1.0", "pad": "x" * 200}
    inner = nested
    for _ in range(100_000):
        inner["n"] = {}
        inner = inner["n"]
    challenge_id, _ = desk.challenge()
    with pytest.raises(XcapkiError):
        desk.validator.validate(nested, challenge_id=challenge_id, session_id=SESSION)


def test_web_eid_rules_refuse_a_ca_certificate_without_key_cert_sign(
    webeid_desk: Desk, test_pki: TestPki, softhsm_cards: StandardCards
) -> None:
    """basicConstraints cA=TRUE with keyUsage digitalSignature only: a CA, not a card."""
    template = _with(
        softhsm_cards.xca.card.signing.certificate,
        x509.BasicConstraints(ca=True, path_length=None),
    )
    ca_like = reissued(test_pki, template)
    assert ca_like.certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    with pytest.raises(KeyUsageRejectedError):
        webeid_desk.login(ca_like)


def _self_signed(*extensions: x509.ExtensionType) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile")])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
    )
    for extension in extensions:
        builder = builder.add_extension(extension, critical=False)
    return builder.sign(key, hashes.SHA256())


def _malformed_key_usage() -> bytes:
    """A keyUsage extension whose value is not a BIT STRING: the certificate parses lazily."""
    garbage = x509.UnrecognizedExtension(ExtensionOID.KEY_USAGE, b"\x01\x02")
    return _self_signed(garbage).public_bytes(serialization.Encoding.DER)


def _repeated_extension() -> bytes:
    """Two extensions of one OID (builders refuse that, so the second OID is rewritten)."""
    first = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4"), b"\x05\x00")
    second = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.5"), b"\x05\x00")
    der = _self_signed(first, second).public_bytes(serialization.Encoding.DER)
    oid_1235 = b"\x06\x03\x2a\x03\x05"
    assert der.count(oid_1235) == 1
    return der.replace(oid_1235, b"\x06\x03\x2a\x03\x04")


@pytest.mark.parametrize(
    "certificate", [_malformed_key_usage, _repeated_extension], ids=["bad-value", "repeated"]
)
def test_a_certificate_with_unreadable_extensions_is_a_decoding_error(
    desk: Desk, certificate: Callable[[], bytes]
) -> None:
    challenge_id, _ = desk.challenge()
    token = {
        "unverifiedCertificate": base64.b64encode(certificate()).decode(),
        "algorithm": "ES256",
        "signature": base64.b64encode(b"\x01" * 64).decode(),
        "format": "web-eid:1.0",
    }
    with pytest.raises(CertificateDecodingError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    assert len(desk.store) == 1, "a token that fails decoding leaves its challenge alone"


SURROGATE_SESSION = "session-\udc80\udcff"
"""A session id as a WSGI server's surrogateescape decoding of a raw cookie hands it over."""


def test_a_session_id_with_lone_surrogates_binds_like_any_other(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    portal = make_portal()
    signer = card_signer(softhsm_cards.xca)
    mine = portal.issue_challenge(SURROGATE_SESSION)
    login = portal.verify_response(SURROGATE_SESSION, respond(mine, signer))
    assert login.identity.unified_business_number == "12345678"
    theirs = portal.issue_challenge(SESSION)
    with pytest.raises(ChallengeSessionError):
        portal.verify_response(SURROGATE_SESSION, respond(theirs, signer))


def test_a_web_eid_token_posted_from_a_surrogate_session_is_refused(
    desk: Desk, softhsm_cards: StandardCards
) -> None:
    challenge_id, nonce = desk.challenge()
    key = softhsm_cards.xca.card.signing
    token = make_token(key.private_key, key.certificate, nonce=nonce)
    with pytest.raises(ChallengeSessionError):
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SURROGATE_SESSION)


def _made_up_ca_ring(name: x509.Name, count: int) -> tuple[list[Any], list[x509.Certificate]]:
    """``count`` CA certificates all named ``name``, each signed by the next one's key."""
    keys = [rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(count)]
    now = dt.datetime.now(dt.UTC)
    ring = [
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(keys[i].public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(keys[(i + 1) % count], hashes.SHA256())
        for i in range(count)
    ]
    return keys, ring


def test_a_cms_full_of_look_alike_cas_is_refused_before_path_building(
    make_portal: Callable[..., PortalLogin],
    test_pki: TestPki,
    openssl: str,
    tmp_path: Path,
) -> None:
    """Anyone with a challenge can send a self-made leaf "issued" by XCA's name with a ring
    of made-up CAs of that name; path building would try every ordering of them."""
    portal = make_portal()
    xca_name = test_pki.ca(Authority.XCA).certificate.subject
    ca_keys, ring = _made_up_ca_ring(xca_name, 6)
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "look-alike")]))
        .issuer_name(xca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(_SIGNING_ONLY, critical=True)
        .sign(ca_keys[0], hashes.SHA256())
    )
    challenge = portal.issue_challenge(SESSION)
    (tmp_path / "message").write_bytes(login_message(challenge, challenge.origin))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "ring.pem").write_bytes(
        b"".join(c.public_bytes(serialization.Encoding.PEM) for c in ring)
    )
    signed = subprocess.run(
        [
            openssl, "cms", "-sign", "-binary", "-nodetach", "-md", "sha256", "-outform", "DER",
            "-in", str(tmp_path / "message"), "-signer", str(tmp_path / "leaf.pem"),
            "-inkey", str(tmp_path / "key.pem"), "-certfile", str(tmp_path / "ring.pem"),
        ],
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    response = LoginResponse(
        format=ResponseFormat.XCAPKI, challenge_id=challenge.challenge_id, cms=signed
    )
    with pytest.raises(UntrustedSignerError) as caught:
        portal.verify_response(SESSION, response.to_json())
    assert f"at most {MAX_HELPERS_PER_NAME} of one name" in str(caught.value)


_SIGNING_ONLY = x509.KeyUsage(
    digital_signature=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


class _TwoAnswerResponder:
    """An OCSP responder that answers "good" and then "revoked" for the one certificate asked
    about, both signed by the CA. A stand-in, because no real responder (openssl ocsp, the
    test PKI's) can be made to repeat a certificate in one answer."""

    def __init__(self, ca_certificate: x509.Certificate, ca_key: Any) -> None:
        self._ca_key_hash = asn1_x509.Certificate.load(
            ca_certificate.public_bytes(serialization.Encoding.DER)
        ).public_key.sha1
        self._ca_key = ca_key
        answer = self.answer

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = answer(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, request_der: bytes) -> bytes:
        request = asn1_ocsp.OCSPRequest.load(request_der)
        cert_id = request["tbs_request"]["request_list"][0]["req_cert"]
        now = dt.datetime.now(dt.UTC)
        revoked = {"revocation_time": now - dt.timedelta(hours=1), "revocation_reason": 1}
        statuses = [
            asn1_ocsp.CertStatus(name="good", value=asn1_core.Null()),
            asn1_ocsp.CertStatus(name="revoked", value=revoked),
        ]
        data = asn1_ocsp.ResponseData(
            {
                "responder_id": asn1_ocsp.ResponderId(name="by_key", value=self._ca_key_hash),
                "produced_at": now,
                "responses": [
                    {
                        "cert_id": cert_id,
                        "cert_status": status,
                        "this_update": now - dt.timedelta(minutes=1),
                        "next_update": now + dt.timedelta(hours=1),
                    }
                    for status in statuses
                ],
                "response_extensions": [
                    {"extn_id": "nonce", "extn_value": request.nonce_value.native}
                ],
            }
        )
        signature = self._ca_key.sign(data.dump(), padding.PKCS1v15(), hashes.SHA256())
        basic = asn1_ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": data,
                "signature_algorithm": {"algorithm": "sha256_rsa"},
                "signature": signature,
            }
        )
        return asn1_ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        ).dump()


def test_an_ocsp_answer_saying_good_and_revoked_for_one_certificate_is_not_relied_on(
    portal_trust: TrustStore, pki_services: PkiServices, test_pki: TestPki
) -> None:
    """The certificate is revoked (its CA's CRL lists it); its responder's answer lists it
    twice, good first. Only the CRL may then decide."""
    xca = test_pki.ca(Authority.XCA)
    responder = _TwoAnswerResponder(xca.certificate, xca.key.private_key)
    try:
        card = test_pki.issue_card(
            CardSpec(authority=Authority.XCA, organisation_name="雙答測試事務所")
        )
        leaf = test_pki.reissue(
            card.signing.certificate, Authority.XCA, ocsp_url=responder.url, record=True
        )
        test_pki.revoke(leaf)
        validator = ChainValidator(portal_trust, revocation_mode=RevocationMode.HARD_FAIL)
        with pytest.raises(CertificateRevokedError):
            validator.validate(leaf)
    finally:
        responder.close()


@pytest.mark.parametrize("challenge_id", ["x" * 100_000, "id\n2026-12-02 INFO login ok"])
def test_a_made_up_challenge_id_is_not_echoed_into_the_error(
    desk: Desk, softhsm_cards: StandardCards, challenge_id: str
) -> None:
    """Portals log the error; an id the portal never issues must not write its text there."""
    key = softhsm_cards.xca.card.signing
    token = make_token(key.private_key, key.certificate, nonce="made-up")
    with pytest.raises(ChallengeUnknownError) as caught:
        desk.validator.validate(token, challenge_id=challenge_id, session_id=SESSION)
    assert challenge_id not in str(caught.value)
    assert len(str(caught.value)) < 200


class _SwitchableCrlPoint:
    """A CRL distribution point that serves a forged CRL (XCA's name, a stranger's key, a
    nextUpdate ten years ahead) until told to serve the genuine one. A stand-in for a
    tampered plain-HTTP answer, which the test PKI's own CRL server never gives."""

    def __init__(self, issuer_name: x509.Name, genuine: bytes) -> None:
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = dt.datetime.now(dt.UTC)
        self.forged = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer_name)
            .last_update(now - dt.timedelta(minutes=5))
            .next_update(now + dt.timedelta(days=3650))
            .sign(stranger, hashes.SHA256())
            .public_bytes(serialization.Encoding.DER)
        )
        self.genuine = genuine
        self.serve_forged = True
        point = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = point.forged if point.serve_forged else point.genuine
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/xca.crl"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def forged_crl_card(
    test_pki: TestPki, pki_services: PkiServices
) -> Iterator[tuple[x509.Certificate, _SwitchableCrlPoint]]:
    """An XCA card certificate whose OCSP responder is down and whose CRL point is switchable."""
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="偽清單測試"))
    points = card.signing.certificate.extensions.get_extension_for_class(
        x509.CRLDistributionPoints
    ).value
    genuine_url = points[0].full_name[0].value  # type: ignore[index]
    with urllib.request.urlopen(genuine_url) as answer:
        genuine = answer.read()
    point = _SwitchableCrlPoint(test_pki.ca(Authority.XCA).certificate.subject, genuine)
    leaf = test_pki.reissue(
        card.signing.certificate,
        Authority.XCA,
        ocsp_url=dead_url(),
        crl_url=point.url,
        record=True,
    )
    try:
        yield leaf, point
    finally:
        point.close()


def test_a_forged_crl_once_does_not_refuse_the_card_for_its_claimed_lifetime(
    portal_trust: TrustStore, forged_crl_card: tuple[x509.Certificate, _SwitchableCrlPoint]
) -> None:
    leaf, point = forged_crl_card
    validator = ChainValidator(portal_trust, revocation_mode=RevocationMode.HARD_FAIL)
    with pytest.raises(UntrustedRevocationError):
        validator.validate(leaf)
    point.serve_forged = False
    path = validator.validate(leaf)
    assert path.leaf_revocation.state is RevocationState.GOOD
    assert path.leaf_revocation.source is RevocationSource.CRL


def test_soft_fail_does_not_report_a_forged_crl_as_good(
    portal_trust: TrustStore, forged_crl_card: tuple[x509.Certificate, _SwitchableCrlPoint]
) -> None:
    leaf, _ = forged_crl_card
    validator = ChainValidator(portal_trust, revocation_mode=RevocationMode.SOFT_FAIL)
    for _ in range(2):
        path = validator.validate(leaf)
        assert path.leaf_revocation.state is RevocationState.UNAVAILABLE
