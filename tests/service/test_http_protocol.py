"""The HiPKI protocol over real HTTP (uvicorn on a free loopback port) on the virtual cards."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from service_helpers import (
    TRUSTED,
    UNTRUSTED,
    LiveService,
    reader_of,
    sign_form,
    sign_package,
)

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import verify_cms
from xcapki.service import HipkiCode
from xcapki.testing import StandardCards, TestPki

pytestmark = pytest.mark.softhsm

NONCE_OID = "1.2.840.113549.1.9.25.3"
CARD_SERIAL_OID = "2.16.886.1.100.2.204"
SIGNING_TIME_OID = "1.2.840.113549.1.9.5"


def _post_sign(live: LiveService, form: dict[str, str], origin: str = TRUSTED) -> httpx.Response:
    return httpx.post(f"{live.base_url}/sign", data=form, headers={"Origin": origin}, timeout=30)


def test_root_reports_a_four_part_version(live: LiveService) -> None:
    response = httpx.get(f"{live.base_url}/")
    assert response.status_code == 200
    assert "version:0.1.0.0" in response.text


def test_pkcs11info_lists_every_card_by_reader_and_serial(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    body = httpx.get(f"{live.base_url}/pkcs11info", headers={"Origin": TRUSTED}).json()
    assert (body["func"], body["ret_code"], body["last_error"]) == ("pkcs11info", 0, 0)
    assert body["version"] == "0.1.0.0"
    cards = [slot for slot in body["slots"] if slot["token"] is not None]
    by_serial = {slot["token"]["serialNumber"]: slot for slot in cards}
    for card in (softhsm_cards.xca, softhsm_cards.moica, softhsm_cards.gca):
        slot = by_serial[card.serial]
        assert slot["slotDescription"] == reader_of(card)
        assert "certs" not in slot["token"]


@pytest.mark.parametrize("origin", [UNTRUSTED, "null", None])
def test_pkcs11info_shows_other_origins_the_cards_but_not_who_they_are(
    live: LiveService, softhsm_cards: StandardCards, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin}
    body = httpx.get(f"{live.base_url}/pkcs11info", headers=headers).json()
    assert (body["func"], body["ret_code"]) == ("pkcs11info", 0)
    readers = {slot["slotDescription"] for slot in body["slots"]}
    cards = (softhsm_cards.xca, softhsm_cards.moica, softhsm_cards.gca)
    assert {reader_of(card) for card in cards} <= readers, "a page still sees a card is present"
    for slot in body["slots"]:
        assert slot["token"] in ({"serialNumber": "", "label": ""}, None)
    for card in cards:
        assert card.serial not in str(body)


def test_pkcs11info_with_certificates_has_the_reference_fields(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    response = httpx.post(f"{live.base_url}/pkcs11info?withcert=true", headers={"Origin": TRUSTED})
    slots = {s["token"]["serialNumber"]: s for s in response.json()["slots"] if s["token"]}
    moica = softhsm_cards.moica
    certs = {c["label"]: c for c in slots[moica.serial]["token"]["certs"]}
    assert set(certs) == {"cert1", "cert2"}, "CA certificates on the card are not user certs"
    signing = certs["cert1"]
    issued = moica.card.signing.certificate
    assert base64.b64decode(signing["certb64"]) == issued.public_bytes(Encoding.DER)
    assert signing["usage"] == "digitalSignature"
    assert certs["cert2"]["usage"] == "keyEncipherment|dataEncipherment"
    assert signing["sn"] == f"{issued.serial_number:x}"
    assert signing["subjectCN"] == "王小明"
    assert signing["subjectID"] == "6789"
    assert signing["subjectDN"].startswith("C=TW")
    assert "CN=王小明" in signing["subjectDN"]
    assert "O=行政院" in signing["issuerDN"]
    xca_cert = next(
        c for c in slots[softhsm_cards.xca.serial]["token"]["certs"] if c["label"] == "cert1"
    )
    assert xca_cert["subjectID"] == "12345678"


def test_pkcs11info_with_certificates_needs_a_trusted_origin(live: LiveService) -> None:
    response = httpx.post(
        f"{live.base_url}/pkcs11info?withcert=true", headers={"Origin": "https://evil.example"}
    )
    body = response.json()
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED == 0x76000031
    assert "slots" not in body


@pytest.mark.openssl
def test_pkcs7_signature_verifies_with_openssl_against_the_test_root(
    live: LiveService, softhsm_cards: StandardCards, test_pki: TestPki, tmp_path: Path
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    card = softhsm_cards.xca
    tbs = "會計師查核簽證 challenge &=+% 1"
    package = sign_package(card, tbs, withCardSN="true", nonce="n0nce-from-portal")
    body = _post_sign(live, sign_form(package)).json()
    assert (body["func"], body["ret_code"], body["last_error"]) == ("sign", 0, 0)
    assert body["cardSN"] == card.serial
    signing_der = card.card.signing.certificate.public_bytes(Encoding.DER)
    assert base64.b64decode(body["certb64"]) == signing_der

    signature = tmp_path / "signature.p7s"
    signature.write_bytes(base64.b64decode(body["signature"]))
    result = subprocess.run(
        [openssl, "cms", "-verify", "-inform", "DER", "-in", signature, "-binary",
         "-CAfile", test_pki.root_certificate_path, "-out", tmp_path / "out"],
        capture_output=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "out").read_bytes() == tbs.encode()

    signer_info = cms.ContentInfo.load(signature.read_bytes())["content"]["signer_infos"][0]
    attributes = {a["type"].dotted: a["values"][0] for a in signer_info["signed_attrs"]}
    assert SIGNING_TIME_OID in attributes
    assert attributes[NONCE_OID].native == b"n0nce-from-portal"
    assert attributes[CARD_SERIAL_OID].native == card.serial


def test_pkcs7_without_nonce_or_card_serial_leaves_those_attributes_out(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    package = sign_package(softhsm_cards.xca, "plain", hashAlgorithm="SHA384")
    body = _post_sign(live, sign_form(package)).json()
    assert body["ret_code"] == 0
    der = base64.b64decode(body["signature"])
    verified = verify_cms(der)
    assert verified.content == b"plain"
    assert verified.digest_algorithm is HashAlgorithm.SHA384
    signer_info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    types = {a["type"].dotted for a in signer_info["signed_attrs"]}
    assert SIGNING_TIME_OID in types
    assert NONCE_OID not in types
    assert CARD_SERIAL_OID not in types


@pytest.mark.parametrize("algorithm", ["SHA1", "SHA256", "SHA384", "SHA512"])
def test_pkcs1_is_the_raw_rsa_signature_of_the_tbs(
    live: LiveService, softhsm_cards: StandardCards, algorithm: str
) -> None:
    card = softhsm_cards.xca
    data = bytes(range(256)) * 3
    package = sign_package(
        card,
        base64.b64encode(data).decode(),
        signatureType="PKCS1",
        tbsEncoding="base64",
        hashAlgorithm=algorithm,
    )
    body = _post_sign(live, sign_form(package)).json()
    assert body["ret_code"] == 0, body
    key = card.card.signing.certificate.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(body["signature"]),
        data,
        padding.PKCS1v15(),
        HashAlgorithm(algorithm).new(),
    )


def test_pkcs1_on_an_ec_card_is_an_ecdsa_signature(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    package = sign_package(card, "ec data", signatureType="PKCS1")
    body = _post_sign(live, sign_form(package)).json()
    assert body["ret_code"] == 0, body
    key = card.card.signing.certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    key.verify(base64.b64decode(body["signature"]), b"ec data", ec.ECDSA(hashes.SHA256()))


def test_wrong_pin_is_login_failed_with_ckr_pin_incorrect(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.gca
    body = _post_sign(live, sign_form(sign_package(card, pin="654321"))).json()
    assert body["ret_code"] == HipkiCode.LOGIN_FAILED == 0x76100006
    assert body["last_error"] == 0xA0
    assert "signature" not in body
    assert "654321" not in body["message"]
    again = _post_sign(live, sign_form(sign_package(card))).json()
    assert again["ret_code"] == 0, "the right PIN after a wrong one signs"


def test_pin_outside_the_card_length_range_is_refused_before_the_card(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    body = _post_sign(live, sign_form(sign_package(softhsm_cards.gca, pin="12"))).json()
    assert (body["ret_code"], body["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA2)


def test_cached_login_still_demands_the_right_pin(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.moeaca
    assert _post_sign(live, sign_form(sign_package(card))).json()["ret_code"] == 0
    wrong = _post_sign(live, sign_form(sign_package(card, pin=quote("999999")))).json()
    assert (wrong["ret_code"], wrong["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA0)
    assert _post_sign(live, sign_form(sign_package(card))).json()["ret_code"] == 0


def test_reader_without_a_card_is_no_card(live: LiveService, softhsm_cards: StandardCards) -> None:
    package = sign_package(softhsm_cards.xca, slotDescription="HID Global OMNIKEY 3x21 00 00")
    body = _post_sign(live, sign_form(package)).json()
    assert body["ret_code"] == HipkiCode.NO_CARD == 0x76000006
    assert "insert the card" in body["message"]


def test_expired_certificate_is_refused(live: LiveService, softhsm_cards: StandardCards) -> None:
    body = _post_sign(live, sign_form(sign_package(softhsm_cards.expired))).json()
    assert body["ret_code"] == HipkiCode.CERTIFICATE_EXPIRED == 0x76500002
    assert "signature" not in body


def test_untrusted_origin_cannot_sign(live: LiveService, softhsm_cards: StandardCards) -> None:
    body = _post_sign(
        live, sign_form(sign_package(softhsm_cards.xca)), origin="https://evil.example.com"
    ).json()
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED
    assert "/addDomain" in body["message"]
    no_origin = httpx.post(f"{live.base_url}/sign", data=sign_form(sign_package(softhsm_cards.xca)))
    assert no_origin.json()["ret_code"] == HipkiCode.SITE_NOT_TRUSTED


def test_http_origin_of_a_domain_trusted_for_https_is_not_trusted(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    body = _post_sign(
        live, sign_form(sign_package(softhsm_cards.xca)), origin="http://portal.example.gov.tw"
    ).json()
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED


@pytest.mark.parametrize(
    "host",
    ["evil.example.com", "evil.example.com:{port}", "127.0.0.1:1", "localhost", "0.0.0.0:{port}"],
)
def test_foreign_host_header_is_refused(live: LiveService, host: str) -> None:
    headers = {"Host": host.format(port=live.config.port), "Origin": TRUSTED}
    for method, path in (
        ("GET", "/"),
        ("GET", "/pkcs11info"),
        ("POST", "/sign"),
        ("POST", "/decrypt"),
        ("GET", "/popupForm"),
        ("GET", "/addDomain?domain=evil.example.com"),
        ("POST", "/addDomain"),
        ("GET", "/p11Image.bmp"),
        ("OPTIONS", "/pkcs11info"),
        ("GET", "/selfTest.htm"),
        ("GET", "/waiting.gif"),
        ("GET", "/openapi.json"),
    ):
        response = httpx.request(method, f"{live.base_url}{path}", headers=headers)
        assert response.status_code == 403
        assert response.json()["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
def test_every_loopback_host_name_is_served(live: LiveService, name: str) -> None:
    response = httpx.get(f"{live.base_url}/", headers={"Host": f"{name}:{live.config.port}"})
    assert response.status_code == 200


def test_oversize_body_is_refused_and_the_service_keeps_serving(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    huge = sign_package(softhsm_cards.xca, "x" * (live.config.max_body_bytes + 1))
    response = _post_sign(live, sign_form(huge))
    assert response.status_code == 413
    assert response.json()["ret_code"] == HipkiCode.REQUEST_TOO_LARGE

    def chunks() -> object:
        yield b"tbsPackage="
        for _ in range(live.config.max_body_bytes // 4096 + 2):
            yield b"a" * 4096

    streamed = httpx.post(
        f"{live.base_url}/sign", content=chunks(), headers={"Origin": TRUSTED}, timeout=30
    )
    assert streamed.status_code == 413
    assert _post_sign(live, sign_form(sign_package(softhsm_cards.xca))).json()["ret_code"] == 0


@pytest.mark.parametrize(
    ("form", "fragment"),
    [
        ({}, "no tbsPackage"),
        ({"tbsPackage": "{not json"}, "not JSON"),
        ({"tbsPackage": "[1, 2]"}, "not a JSON object"),
        ({"tbsPackage": '{"func": "Nope"}'}, "func 'Nope' is unknown"),
        ({"tbsPackage": '{"func": "MakeSignature"}'}, "tbs is missing"),
        ({"tbsPackage": '{"func": "MakeSignature", "tbs": "a", "hashAlgorithm": "MD5"}'}, "MD5"),
        ({"tbsPackage": '{"func": "MakeSignature", "tbs": "%%", "tbsEncoding": "base64"}'},
         "not base64"),
        ({"tbsPackage": '{"func": "MakeSignature", "tbs": "a", "withCardSN": 3}'}, "withCardSN"),
    ],
)  # fmt: skip
def test_malformed_packages_are_bad_requests(
    live: LiveService, form: dict[str, str], fragment: str
) -> None:
    response = _post_sign(live, form)
    assert response.status_code == 400
    body = response.json()
    assert body["ret_code"] == HipkiCode.BAD_REQUEST
    assert fragment in body["message"]


def _post_decrypt(live: LiveService, headers: dict[str, str]) -> dict[str, object]:
    form = {"tbsPackage": '{"func":"DecryptData"}'}
    body: dict[str, object] = httpx.post(
        f"{live.base_url}/decrypt", data=form, headers=headers
    ).json()
    return body


@pytest.mark.parametrize("headers", [{"Origin": UNTRUSTED}, {}], ids=["untrusted", "no-origin"])
def test_decrypt_needs_a_trusted_origin_as_sign_does(
    live: LiveService, headers: dict[str, str]
) -> None:
    body = _post_decrypt(live, headers)
    assert (body["func"], body["ret_code"]) == ("decrypt", HipkiCode.SITE_NOT_TRUSTED)
    assert body["ret_code"] == 0x76000031
