"""What real HiPKI pages ask besides sign: the image probe, CORS, RAW digests, reader numbers,
validity in seconds, the self-test page and the waiting image.

The probe image is decoded here by the BMP format's own rules (headers, bottom-up rows, BGR
pixels), as a page's canvas would; Chromium decodes it in tests/browser.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID
from service_helpers import (
    TRUSTED,
    UNTRUSTED,
    UserAnswers,
    client_for,
    reader_of,
    sign_form,
    sign_package,
)
from starlette.testclient import TestClient

from xcapki.service import HipkiCode, PinMode, ServiceConfig
from xcapki.service.probe_image import text_bitmap
from xcapki.testing import StandardCards, VirtualCard
from xcapki.testing.pcscd import PcscdSite, pcscd_missing_reason, vpcd_reader_names

pytestmark = pytest.mark.softhsm


def _row_zero_text(bmp: bytes) -> str:
    """Row 0 (the top row) read as pages read it: B, G, R per pixel until a blue of 0."""
    magic, _size, _, _, offset = struct.unpack_from("<2sIHHI", bmp, 0)
    assert magic == b"BM"
    _, width, height, planes, bits, compression = struct.unpack_from("<IiiHHI", bmp, 14)
    assert (planes, bits, compression) == (1, 24, 0)
    stride = (width * 3 + 3) // 4 * 4
    top = offset + (abs(height) - 1) * stride if height > 0 else offset
    text = []
    for x in range(width):
        blue, green, red = bmp[top + 3 * x : top + 3 * x + 3]
        if blue == 0:
            break
        text.append(chr(blue) + chr(green) + chr(red))
    return "".join(text)


def _probe(client: TestClient, origin: str | None) -> tuple[Any, dict[str, Any]]:
    headers = {} if origin is None else {"Origin": origin}
    response = client.get("/p11Image.bmp", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/bmp"
    return response, json.loads(_row_zero_text(response.content))


def test_text_bitmap_keeps_every_byte_of_escaped_text() -> None:
    for text in ("", "a", "ab", "abc", json.dumps({"讀卡機": "王小明 ✓"}), "x" * 5000):
        assert _row_zero_text(text_bitmap(text)).rstrip(" ") == text
    with pytest.raises(UnicodeEncodeError):
        text_bitmap("王")


def test_probe_image_tells_a_trusted_page_the_readers_cards_and_version(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    response, body = _probe(client, TRUSTED)
    assert response.headers["access-control-allow-origin"] == TRUSTED
    assert (body["func"], body["ret_code"]) == ("pkcs11info", 0)
    assert (
        body["serverVersion"]
        == body["version"]
        == client.get("/").text.split("version:")[1].strip()
    )
    cards = {s["token"]["serialNumber"]: s["slotDescription"] for s in body["slots"] if s["token"]}
    for card in (softhsm_cards.xca, softhsm_cards.moica):
        assert cards[card.serial] == reader_of(card)
    assert any(slot["token"] is None for slot in body["slots"]), "an empty reader is listed"


@pytest.mark.parametrize("origin", [UNTRUSTED, "null", None])
def test_probe_image_tells_an_untrusted_page_to_ask_trust_and_names_no_card(
    client: TestClient, softhsm_cards: StandardCards, origin: str | None
) -> None:
    response, body = _probe(client, origin)
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED == 0x76000031
    assert body["serverVersion"]
    assert response.headers.get("access-control-allow-origin") == origin
    assert softhsm_cards.xca.serial not in json.dumps(body)
    assert body["slots"], "the page may still see that a card is there"


def test_a_trusted_page_reads_pkcs11info_directly_after_its_preflight(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    asked = {
        "Origin": TRUSTED,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with, content-type",
        "Access-Control-Request-Private-Network": "true",
    }
    preflight = client.options("/pkcs11info?withcert=true", headers=asked)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == TRUSTED
    assert preflight.headers["access-control-allow-headers"] == "x-requested-with, content-type"
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["access-control-allow-private-network"] == "true"
    read = client.get(
        "/pkcs11info?withcert=true", headers={"Origin": TRUSTED, "X-Requested-With": "x"}
    )
    assert read.headers["access-control-allow-origin"] == TRUSTED
    assert softhsm_cards.xca.serial in read.text

    refused = client.options("/pkcs11info", headers={**asked, "Origin": UNTRUSTED})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers
    untrusted = client.get("/pkcs11info", headers={"Origin": UNTRUSTED})
    assert "access-control-allow-origin" not in untrusted.headers


def test_certificates_carry_their_validity_in_epoch_seconds_and_moica_id_digits(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    body = client.get("/pkcs11info?withcert=true", headers={"Origin": TRUSTED}).json()
    slots = {s["token"]["serialNumber"]: s for s in body["slots"] if s["token"]}
    moica = softhsm_cards.moica
    entry = next(c for c in slots[moica.serial]["token"]["certs"] if c["label"] == "cert1")
    issued = moica.card.signing.certificate
    assert entry["notBeforeT"] == int(issued.not_valid_before_utc.timestamp())
    assert entry["notAfterT"] == int(issued.not_valid_after_utc.timestamp())
    digits = issued.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert digits == entry["subjectID"] == "6789"
    assert "serialNumber=6789" in entry["subjectDN"]


def _openssl_verifies_digest(card: VirtualCard, digest: bytes, signature: bytes, tmp: Path) -> None:
    public = card.card.signing.certificate.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    (tmp / "key.pem").write_bytes(public)
    (tmp / "digest").write_bytes(digest)
    (tmp / "sig").write_bytes(signature)
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp / "key.pem"),
         "-in", str(tmp / "digest"), "-sigfile", str(tmp / "sig"),
         "-pkeyopt", f"digest:sha{len(digest) * 8 if len(digest) != 20 else 1}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("algorithm", "hasher"),
    [("SHA256", hashlib.sha256), ("SHA1", hashlib.sha1), ("SHA512", hashlib.sha512)],
)
@pytest.mark.parametrize("kind", ["xca", "xca_ec"])
def test_raw_signs_the_page_supplied_digest_and_openssl_verifies_it(
    client: TestClient,
    softhsm_cards: StandardCards,
    tmp_path: Path,
    algorithm: str,
    hasher: Any,
    kind: str,
) -> None:
    card = getattr(softhsm_cards, kind)
    digest = hasher(b"a document the page hashed").digest()
    package = sign_package(
        card,
        signatureType="RAW",
        tbs=base64.b64encode(digest).decode(),
        tbsEncoding="base64",
        hashAlgorithm=algorithm,
    )
    body = client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).json()
    assert body["ret_code"] == 0, body
    _openssl_verifies_digest(card, digest, base64.b64decode(body["signature"]), tmp_path)


def test_raw_refuses_a_digest_of_the_wrong_length_and_untrusted_pages(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    short = sign_package(
        card, signatureType="RAW", tbs=base64.b64encode(b"x" * 20).decode(), tbsEncoding="base64"
    )
    response = client.post("/sign", data=sign_form(short), headers={"Origin": TRUSTED})
    assert response.status_code == 400
    assert response.json()["ret_code"] == HipkiCode.BAD_REQUEST
    assert "32 bytes" in response.json()["message"]
    good = dict(short, tbs=base64.b64encode(b"x" * 32).decode())
    untrusted = client.post("/sign", data=sign_form(good), headers={"Origin": UNTRUSTED}).json()
    assert untrusted["ret_code"] == HipkiCode.SITE_NOT_TRUSTED
    assert "signature" not in untrusted


def test_raw_in_local_pin_mode_tells_the_user_the_page_supplied_the_hash(
    config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.moeaca
    user.pin = card.pin
    local = dataclasses.replace(config, pin_mode=PinMode.LOCAL)
    digest = hashlib.sha256(b"x").digest()
    package = sign_package(
        card, signatureType="RAW", tbs=base64.b64encode(digest).decode(), tbsEncoding="base64"
    )
    with client_for(local) as client:
        body = client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).json()
    assert body["ret_code"] == 0
    asked = user.pin_requests[-1]
    assert asked.origin == TRUSTED
    assert "a hash supplied by the page" in asked.operation
    assert digest.hex() in asked.operation


def test_slot_description_may_be_the_readers_number(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    slots = client.get("/pkcs11info", headers={"Origin": TRUSTED}).json()["slots"]
    card = softhsm_cards.gca
    index = next(
        i for i, s in enumerate(slots) if s["token"] and s["token"]["serialNumber"] == card.serial
    )
    package: dict[str, Any] = {
        **sign_package(card, signatureType="PKCS1"),
        "slotDescription": index,
    }
    body = client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).json()
    assert body["ret_code"] == 0, body
    assert body["cardSN"] == card.serial
    assert base64.b64decode(body["certb64"]) == card.card.signing.certificate.public_bytes(
        Encoding.DER
    )

    empty = next(i for i, s in enumerate(slots) if s["token"] is None)
    for missing in (empty, len(slots)):
        package["slotDescription"] = missing
        refused = client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).json()
        assert refused["ret_code"] == HipkiCode.NO_CARD
    package["slotDescription"] = -1
    assert (
        client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).status_code
        == 400
    )


def test_waiting_gif_and_self_test_page_are_served(client: TestClient) -> None:
    gif = client.get("/waiting.gif")
    assert (gif.status_code, gif.headers["content-type"]) == (200, "image/gif")
    assert gif.content.startswith(b"GIF89a")
    page = client.get("/selfTest.htm")
    assert page.status_code == 200
    assert "使用環境建議與檢測" in page.text
    assert "選擇讀卡機及卡片" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def _slots_once_pcscd_lists(client: TestClient, readers: set[str]) -> list[dict[str, Any]]:
    """pkcs11info's slots once pcscd, just started, has loaded its readers' driver."""
    deadline = time.monotonic() + 10
    while True:
        slots: list[dict[str, Any]] = client.get("/pkcs11info", headers={"Origin": TRUSTED}).json()[
            "slots"
        ]
        if readers <= {slot["slotDescription"] for slot in slots} or time.monotonic() > deadline:
            return slots
        time.sleep(0.1)


@pytest.mark.pcscd
def test_pcsc_readers_without_a_card_are_listed_and_numbered(
    client: TestClient, pcsc_site: PcscdSite, softhsm_cards: StandardCards
) -> None:
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    daemon = pcsc_site.daemon()
    daemon.start()
    try:
        slots = _slots_once_pcscd_lists(client, set(vpcd_reader_names()))
        _, probed = _probe(client, TRUSTED)
        package: dict[str, Any] = {**sign_package(softhsm_cards.xca)}
        package["slotDescription"] = len(slots) - 1
        body = client.post("/sign", data=sign_form(package), headers={"Origin": TRUSTED}).json()
        assert "there is no card in reader 'Virtual PCD 00 01'" in body["message"]
    finally:
        daemon.stop()
    empty = [slot["slotDescription"] for slot in slots if slot["token"] is None]
    assert set(vpcd_reader_names()) <= set(empty), slots
    assert probed["slots"] == slots, "the probe image lists the same readers"
    assert slots[-1]["slotDescription"] in vpcd_reader_names(), "PC/SC readers come last"
    assert body["ret_code"] == HipkiCode.NO_CARD
