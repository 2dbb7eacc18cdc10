"""DecryptData over real HTTP: envelopes made by `openssl cms -encrypt` for the virtual card's
KEYX certificate, raw PKCS#1 blocks, and one answer for every bad cipher (no oracle)."""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from service_helpers import TRUSTED, UNTRUSTED, LiveService, UserAnswers, reader_of, serve

from xcapki.service import HipkiCode, PinMode, ServiceConfig
from xcapki.testing import StandardCards, VirtualCard

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl]


PLAIN = "PKCS#7加密範例: 統一編號 12345678, 2026 年度查核報告\n"


def _openssl_envelope(openssl: str, card: VirtualCard, *options: str) -> bytes:
    """What a portal's server makes: ``openssl cms -encrypt`` to the card's KEYX certificate."""
    result = subprocess.run(
        [openssl, "cms", "-encrypt", "-binary", "-outform", "DER", *options[:1],
         "-recip", str(card.card.encryption.certificate_path), *options[1:]],
        input=PLAIN.encode(), capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def _package(card: VirtualCard, data: bytes, **fields: str) -> dict[str, str]:
    """A DecryptData package as the vendor's sample page builds it (pin URL-encoded)."""
    package = {
        "func": "DecryptData",
        "cipher": base64.b64encode(data).decode(),
        "cipherType": "PKCS7",
        "plainEncoding": "NONE",
        "pin": quote(card.pin, safe=""),
        "slotDescription": reader_of(card),
    }
    package.update(fields)
    return package


def _post(live: LiveService, package: dict[str, str], origin: str = TRUSTED) -> httpx.Response:
    form = {"tbsPackage": json.dumps(package, ensure_ascii=False)}
    return httpx.post(f"{live.base_url}/decrypt", data=form, headers={"Origin": origin}, timeout=30)


ENVELOPES = {
    "aes-256-cbc, PKCS#1 v1.5 (openssl's default)": ["-aes-256-cbc"],
    "aes-128-cbc": ["-aes-128-cbc"],
    "3des": ["-des3"],
    "aes-256-gcm (AuthEnvelopedData)": ["-aes-256-gcm"],
    "aes-128-gcm, OAEP": ["-aes-128-gcm", "-keyopt", "rsa_padding_mode:oaep"],
    "aes-256-cbc, OAEP": ["-aes-256-cbc", "-keyopt", "rsa_padding_mode:oaep"],
}


@pytest.mark.parametrize("options", list(ENVELOPES.values()), ids=list(ENVELOPES))
def test_an_openssl_envelope_for_the_keyx_certificate_decrypts(
    live: LiveService, softhsm_cards: StandardCards, openssl: str, options: list[str]
) -> None:
    card = softhsm_cards.xca
    envelope = _openssl_envelope(openssl, card, *options)
    response = _post(live, _package(card, envelope))
    assert response.status_code == 200
    body = response.json()
    assert (body["func"], body["ret_code"], body["last_error"]) == ("decrypt", 0, 0)
    assert body["plain"] == PLAIN


def test_a_cipher_wrapped_and_url_encoded_as_servers_send_it_decrypts(
    live: LiveService, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    text = base64.b64encode(_openssl_envelope(openssl, card, "-aes-256-cbc")).decode()
    wrapped = "\r\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    package = _package(card, b"", cipher=quote(wrapped, safe=""))
    assert _post(live, package).json()["plain"] == PLAIN


def test_plain_encoding_base64_returns_bytes_that_are_not_text(
    live: LiveService, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    binary = bytes(range(256))
    result = subprocess.run(
        [openssl, "cms", "-encrypt", "-binary", "-outform", "DER", "-aes-256-gcm",
         "-recip", str(card.card.encryption.certificate_path)],
        input=binary, capture_output=True, timeout=60, check=True,
    )  # fmt: skip
    body = _post(live, _package(card, result.stdout, plainEncoding="base64")).json()
    assert body["ret_code"] == 0
    assert base64.b64decode(body["plain"]) == binary
    as_text = _post(live, _package(card, result.stdout)).json()
    assert as_text["ret_code"] == HipkiCode.BAD_REQUEST
    assert "plainEncoding base64" in as_text["message"]


def _keyx_public(card: VirtualCard) -> rsa.RSAPublicKey:
    public = card.card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    return public


def test_a_pkcs1_block_decrypts(live: LiveService, softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    block = _keyx_public(card).encrypt(b"session key 0123456789abcdef", padding.PKCS1v15())
    body = _post(live, _package(card, block, cipherType="PKCS1", plainEncoding="base64")).json()
    assert body["ret_code"] == 0
    assert base64.b64decode(body["plain"]) == b"session key 0123456789abcdef"


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _content_range(der: bytes) -> tuple[int, int]:
    """Start and length of the encrypted content, found with asn1crypto."""
    body = cms.ContentInfo.load(der)["content"]
    name = (
        "encrypted_content_info"
        if "encrypted_content_info" in body
        else "auth_encrypted_content_info"
    )
    ciphertext = body[name]["encrypted_content"].native
    return der.index(ciphertext), len(ciphertext)


def _bad_ciphers(openssl: str, cards: StandardCards) -> dict[str, tuple[str, bytes]]:
    card = cards.xca
    cbc = _openssl_envelope(openssl, card, "-aes-256-cbc")
    gcm = _openssl_envelope(openssl, card, "-aes-256-gcm")
    cbc_start, cbc_length = _content_range(cbc)
    gcm_start, gcm_length = _content_range(gcm)
    key_offset = cbc.index(
        cms.ContentInfo.load(cbc)["content"]["recipient_infos"][0].chosen["encrypted_key"].native
    )
    block = _keyx_public(card).encrypt(b"k" * 32, padding.PKCS1v15())
    other_block = _keyx_public(cards.gca).encrypt(b"k" * 32, padding.PKCS1v15())
    return {
        "addressed to another card": (
            "PKCS7",
            _openssl_envelope(openssl, cards.gca, "-aes-256-cbc"),
        ),
        "truncated": ("PKCS7", cbc[:-7]),
        "not CMS": ("PKCS7", b"\x30\x80garbage"),
        "wrapped key flipped": ("PKCS7", _flip(cbc, key_offset + 7)),
        # The next-to-last block's last byte flips the last padding byte: bad CBC padding.
        "CBC padding broken": ("PKCS7", _flip(cbc, cbc_start + cbc_length - 17)),
        "GCM content flipped": ("PKCS7", _flip(gcm, gcm_start + gcm_length // 2)),
        "GCM tag flipped": ("PKCS7", _flip(gcm, len(gcm) - 1)),
        "PKCS1 block for another key": ("PKCS1", other_block),
        "PKCS1 block flipped": ("PKCS1", _flip(block, 5)),
        "PKCS1 block truncated": ("PKCS1", block[:-1]),
    }


def test_every_bad_cipher_gets_the_same_answer(
    live: LiveService, softhsm_cards: StandardCards, openssl: str
) -> None:
    """No padding oracle: whichever step fails, the page sees one status and one body."""
    card = softhsm_cards.xca
    answers = {}
    for name, (cipher_type, cipher) in _bad_ciphers(openssl, softhsm_cards).items():
        response = _post(live, _package(card, cipher, cipherType=cipher_type))
        answers[name] = (response.status_code, response.text)
    assert len(set(answers.values())) == 1, answers
    status, text = next(iter(answers.values()))
    body = json.loads(text)
    assert status == 200
    assert (body["func"], body["ret_code"], body["last_error"]) == (
        "decrypt",
        HipkiCode.DECRYPTION_FAILED,
        0,
    )
    assert "plain" not in body
    # The card is still usable after the refusals.
    good = _openssl_envelope(openssl, card, "-aes-256-cbc")
    assert _post(live, _package(card, good)).json()["plain"] == PLAIN


def test_a_wrong_pin_is_a_login_failure_not_a_decryption_failure(
    live: LiveService, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    envelope = _openssl_envelope(openssl, card, "-aes-256-cbc")
    body = _post(live, _package(card, envelope, pin="654321")).json()
    assert (body["ret_code"], body["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA0)
    assert "654321" not in body["message"]
    again = _post(live, _package(card, envelope)).json()
    assert again["plain"] == PLAIN, "the right PIN after a wrong one decrypts"


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"cipher": ""}, "cipher is missing"),
        ({"cipher": "not base64!"}, "cipher is not base64"),
        ({"cipherType": "PKCS12"}, "cipherType 'PKCS12' is not supported"),
        ({"plainEncoding": "hex"}, "plainEncoding 'HEX' is not supported"),
    ],
)
def test_malformed_decrypt_packages_are_bad_requests(
    live: LiveService, softhsm_cards: StandardCards, fields: dict[str, str], fragment: str
) -> None:
    response = _post(live, _package(softhsm_cards.xca, b"x", **fields))
    assert response.status_code == 400
    assert response.json()["ret_code"] == HipkiCode.BAD_REQUEST
    assert fragment in response.json()["message"]


def test_an_untrusted_page_cannot_decrypt(
    live: LiveService, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    envelope = _openssl_envelope(openssl, card, "-aes-256-cbc")
    body = _post(live, _package(card, envelope), origin=UNTRUSTED).json()
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED
    assert "plain" not in body


@pytest.fixture
def local_live(config: ServiceConfig, user: UserAnswers) -> Iterator[LiveService]:
    yield from serve(dataclasses.replace(config, pin_mode=PinMode.LOCAL))


def test_local_pin_mode_asks_the_user_and_names_the_decryption(
    local_live: LiveService, user: UserAnswers, softhsm_cards: StandardCards, openssl: str
) -> None:
    card = softhsm_cards.xca
    user.pin = card.pin
    envelope = _openssl_envelope(openssl, card, "-aes-256-gcm")
    body = _post(local_live, _package(card, envelope, pin="000000")).json()
    assert body["plain"] == PLAIN
    (asked,) = user.pin_requests
    assert asked.origin == TRUSTED
    assert "decryption" in asked.operation
    assert "PKCS7" in asked.operation


def test_an_ec_card_says_its_key_cannot_decrypt(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    """Not a cipher problem but the card's: a card error naming the remedy, not 0x7A000006."""
    card = softhsm_cards.xca_ec
    body = _post(live, _package(card, b"\x30\x00")).json()
    assert body["ret_code"] == HipkiCode.CARD_ERROR
    assert "only RSA keys decrypt" in body["message"]
