"""The loopback OCSP responder, queried by ``openssl ocsp`` as any client would."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    IssuedCard,
    PkiServices,
    ResponderBehaviour,
    TestPki,
)

pytestmark = [pytest.mark.openssl, pytest.mark.ocsp]


def _openssl_ocsp(pki: TestPki, card: IssuedCard, *, certificate_path: str | None = None) -> str:
    ca = pki.ca(card.spec.authority)
    result = subprocess.run(
        [
            "openssl", "ocsp",
            "-issuer", str(ca.key.certificate_path),
            "-cert", certificate_path or str(card.signing.certificate_path),
            "-url", ca.ocsp_url,
            "-CAfile", str(pki.root_certificate_path),
            "-timeout", "10",
        ],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    assert "Response verify OK" in result.stderr
    return result.stdout


def _request(card: IssuedCard, issuer: x509.Certificate) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        card.signing.certificate, issuer, hashes.SHA256()
    )
    return builder.build().public_bytes(serialization.Encoding.DER)


def _post(url: str, body: bytes) -> ocsp.OCSPResponse:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/ocsp-request"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return ocsp.load_der_ocsp_response(response.read())


def test_openssl_sees_good_then_revoked(test_pki: TestPki, pki_services: PkiServices) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="OCSP 測試"))
    assert ": good" in _openssl_ocsp(test_pki, card)
    test_pki.revoke(card.signing.certificate)
    answer = _openssl_ocsp(test_pki, card)
    assert ": revoked" in answer
    assert "Reason: keyCompromise" in answer


def test_a_certificate_the_ca_never_issued_is_unknown(
    test_pki: TestPki, pki_services: PkiServices, tmp_path: object
) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.GCA, organisation_name="未知"))
    test_pki.ca(Authority.GCA).index.path.write_text("")
    try:
        assert ": unknown" in _openssl_ocsp(test_pki, card)
    finally:
        test_pki.ca(Authority.GCA).index.add(card.signing.certificate)


def test_the_nonce_is_echoed(test_pki: TestPki, pki_services: PkiServices) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="隨機數"))
    ca = test_pki.ca(Authority.XCA)
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate(card.signing.certificate, ca.certificate, hashes.SHA256())
        .add_extension(x509.OCSPNonce(b"n" * 32), critical=False)
        .build()
    )
    response = _post(ca.ocsp_url, request.public_bytes(serialization.Encoding.DER))
    nonce = response.extensions.get_extension_for_class(x509.OCSPNonce).value
    assert nonce.nonce == b"n" * 32
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD


def test_a_request_for_another_ca_is_refused(test_pki: TestPki, pki_services: PkiServices) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="錯置"))
    response = _post(
        test_pki.ca(Authority.MOICA).ocsp_url,
        _request(card, test_pki.ca(Authority.XCA).certificate),
    )
    assert response.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_misbehaviours_for_verifier_tests(test_pki: TestPki, pki_services: PkiServices) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="異常"))
    ca = test_pki.ca(Authority.XCA)
    responder = pki_services.responder(ca)
    before = responder.request_count
    try:
        responder.settings.behaviour = ResponderBehaviour.STALE
        stale = _post(ca.ocsp_url, _request(card, ca.certificate))
        assert stale.next_update_utc is not None
        assert stale.next_update_utc < stale.produced_at_utc
        responder.settings.behaviour = ResponderBehaviour.UNAUTHORISED_SIGNER
        responder.settings.rogue_signer = test_pki.ca(Authority.MOICA).ocsp_signer
        rogue = _post(ca.ocsp_url, _request(card, ca.certificate))
        assert rogue.certificates == [test_pki.ca(Authority.MOICA).ocsp_signer.certificate]
        responder.settings.behaviour = ResponderBehaviour.TRY_LATER
        later = _post(ca.ocsp_url, _request(card, ca.certificate))
        assert later.response_status is ocsp.OCSPResponseStatus.TRY_LATER
    finally:
        responder.settings.behaviour = ResponderBehaviour.CORRECT
    assert responder.request_count == before + 3


def test_a_stopped_responder_refuses_connections(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    ca = test_pki.ca(Authority.MOEACA)
    pki_services.stop_responder(ca)
    try:
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(ca.ocsp_url, data=b"x", timeout=5)
    finally:
        pki_services.start_responder(ca)


def test_crls_and_ca_certificates_are_published(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    ca = test_pki.ca(Authority.XCA)
    with urllib.request.urlopen(ca.crl_url, timeout=10) as response:
        crl = x509.load_der_x509_crl(response.read())
    assert crl.issuer == ca.certificate.subject


def test_misbehaving_lasts_for_the_block_only(test_pki: TestPki, pki_services: PkiServices) -> None:
    card = test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="暫時"))
    ca = test_pki.ca(Authority.XCA)
    with pki_services.misbehaving(ca, ResponderBehaviour.TRY_LATER):
        inside = _post(ca.ocsp_url, _request(card, ca.certificate))
    after = _post(ca.ocsp_url, _request(card, ca.certificate))
    assert inside.response_status is ocsp.OCSPResponseStatus.TRY_LATER
    assert after.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL


def test_restore_mends_responders_and_crls(test_pki: TestPki, pki_services: PkiServices) -> None:
    ca = test_pki.ca(Authority.GCA)
    pki_services.stop_responder(ca)
    test_pki.withdraw_crl(ca)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(ca.crl_url, timeout=10)
    assert missing.value.code == 404
    assert not pki_services.is_running(ca)
    pki_services.restore()
    assert pki_services.is_running(ca)
    assert pki_services.responder(ca).settings.behaviour is ResponderBehaviour.CORRECT
    with urllib.request.urlopen(ca.crl_url, timeout=10) as response:
        assert x509.load_der_x509_crl(response.read()).issuer == ca.certificate.subject
    assert ca.ocsp_url == f"http://127.0.0.1:{ca.ocsp_port}/"
