"""Streamed CMS envelopes: interop with `openssl cms` both ways, chunk edges, and no oracle."""

from __future__ import annotations

import base64
import io
import os
import subprocess
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    ContentEncryption,
    DecryptionError,
    OpenedEnvelopeStream,
    SignerIdentifierType,
    encrypt_envelope,
    encrypt_envelope_stream,
    open_envelope,
    open_envelope_stream,
    sign_cms,
)
from xcapki.crypto.key_decrypter import KeyDecrypter
from xcapki.crypto.key_signer import KeySigner
from xcapki.decrypter import PKCS1V15, KeyTransport, RsaOaep
from xcapki.testing import CardSpec, IssuedCard, TestPki

# Three chunks of 1000 bytes and a ragged end: no chunk is a whole number of cipher blocks.
CHUNK = 1000
CONTENT = os.urandom(3 * CHUNK + 37)
OAEP_SHA256 = RsaOaep(hash_algorithm=HashAlgorithm.SHA256, mgf1_hash=HashAlgorithm.SHA256)
OPENSSL_CIPHERS = {
    "-aes-128-cbc": ContentEncryption.AES_128_CBC,
    "-aes-256-cbc": ContentEncryption.AES_256_CBC,
    "-des3": ContentEncryption.DES_EDE3_CBC,
    "-aes-128-gcm": ContentEncryption.AES_128_GCM,
    "-aes-256-gcm": ContentEncryption.AES_256_GCM,
}


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    return test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="串流信封所"))


@pytest.fixture(scope="module")
def other_card(test_pki: TestPki) -> IssuedCard:
    return test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="別的事務所"))


def _decrypter(card: IssuedCard) -> KeyDecrypter:
    key = card.encryption.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    return KeyDecrypter(private_key=key, certificate=card.encryption.certificate)


def _encrypt(
    card: IssuedCard,
    cipher: ContentEncryption,
    content: bytes = CONTENT,
    transport: KeyTransport = PKCS1V15,
    identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
) -> bytes:
    out = io.BytesIO()
    made = encrypt_envelope_stream(
        io.BytesIO(content),
        out,
        card.encryption.certificate,
        content_encryption=cipher,
        key_transport=transport,
        recipient_identifier=identifier,
        chunk_size=CHUNK,
    )
    assert made.size == len(out.getvalue())
    assert made.content_size == len(content)
    return out.getvalue()


def _open(
    card: IssuedCard, envelope: bytes, chunk_size: int = 7
) -> tuple[bytes, OpenedEnvelopeStream]:
    out = io.BytesIO()
    opened = open_envelope_stream(
        io.BytesIO(envelope), out, _decrypter(card), chunk_size=chunk_size
    )
    return out.getvalue(), opened


def _run(openssl: str, *args: str | Path, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [openssl, *map(str, args)], input=data, capture_output=True, timeout=60, check=False
    )


def _openssl_decrypt(openssl: str, card: IssuedCard, envelope: Path, form: str) -> bytes:
    result = _run(
        openssl, "cms", "-decrypt", "-binary", "-inform", form, "-in", envelope,
        "-recip", card.encryption.certificate_path, "-inkey", card.encryption.private_key_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


@pytest.mark.openssl
@pytest.mark.parametrize("cipher", list(ContentEncryption))
@pytest.mark.parametrize("transport", [PKCS1V15, RsaOaep(), OAEP_SHA256], ids=repr)
@pytest.mark.parametrize("identifier", list(SignerIdentifierType))
def test_openssl_opens_what_xcapki_streams(
    openssl: str,
    card: IssuedCard,
    tmp_path: Path,
    cipher: ContentEncryption,
    transport: KeyTransport,
    identifier: SignerIdentifierType,
) -> None:
    envelope = _encrypt(card, cipher, transport=transport, identifier=identifier)
    assert envelope[1] == 0x80  # indefinite length: written before the content's size is known
    der = tmp_path / "envelope.p7m"
    der.write_bytes(envelope)
    assert _openssl_decrypt(openssl, card, der, "DER") == CONTENT
    pem = tmp_path / "envelope.pem"
    body = base64.encodebytes(envelope).decode()
    pem.write_text(f"-----BEGIN CMS-----\n{body}-----END CMS-----\n")
    assert _openssl_decrypt(openssl, card, pem, "PEM") == CONTENT


@pytest.mark.openssl
@pytest.mark.parametrize("cipher_option", sorted(OPENSSL_CIPHERS))
@pytest.mark.parametrize("shape", ["der", "stream", "stream-keyid-oaep"])
@pytest.mark.parametrize("chunk_size", [1, 16, 4097])
def test_xcapki_streams_open_what_openssl_encrypts(
    openssl: str, card: IssuedCard, cipher_option: str, shape: str, chunk_size: int
) -> None:
    extra = {"der": [], "stream": ["-stream"], "stream-keyid-oaep": ["-stream", "-keyid"]}[shape]
    options = ["-keyopt", "rsa_padding_mode:oaep"] if "oaep" in shape else []
    content = os.urandom(70_000) if chunk_size > 1 else CONTENT
    result = _run(
        openssl, "cms", "-encrypt", "-binary", "-outform", "DER", cipher_option, *extra,
        "-recip", card.encryption.certificate_path, *options,
        data=content,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    plain, opened = _open(card, result.stdout, chunk_size)
    assert plain == content
    assert opened.content_size == len(content)
    assert opened.content_encryption is OPENSSL_CIPHERS[cipher_option]
    assert opened.authenticated is opened.content_encryption.authenticated
    assert opened.key_transport == (RsaOaep() if "oaep" in shape else PKCS1V15)


@pytest.mark.parametrize("cipher", list(ContentEncryption))
@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 8])
def test_streamed_round_trip_at_chunk_and_block_edges(
    card: IssuedCard, cipher: ContentEncryption, size: int
) -> None:
    content = CONTENT[:size]
    envelope = _encrypt(card, cipher, content)
    for chunk_size in (1, 8, 999, CHUNK + 3):
        assert _open(card, envelope, chunk_size)[0] == content
    assert open_envelope(envelope, _decrypter(card)).content == content


@pytest.mark.parametrize("cipher", list(ContentEncryption))
def test_a_one_shot_der_envelope_opens_streamed(
    card: IssuedCard, cipher: ContentEncryption
) -> None:
    der = encrypt_envelope(CONTENT, card.encryption.certificate, content_encryption=cipher)
    plain, opened = _open(card, der)
    assert plain == CONTENT
    assert opened.content_encryption is cipher


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _rewrapped(card: IssuedCard, envelope: bytes, key: bytes) -> bytes:
    """The envelope with its PKCS#1 v1.5 wrapped key replaced by a valid wrap of ``key``."""
    public = card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    start = envelope.index(b"\x02\x01\x00" + b"\x31") + 3  # version 0, then RecipientInfos
    infos = cms.RecipientInfos.load(envelope[start:], strict=False)
    wrapped = infos[0].chosen["encrypted_key"].native
    return envelope.replace(wrapped, public.encrypt(key, padding.PKCS1v15()))


def _signature(card: IssuedCard) -> bytes:
    key = card.signing.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    return sign_cms(b"not secret", KeySigner(private_key=key, certificate=card.signing.certificate))


@pytest.mark.parametrize(
    "cipher",
    [ContentEncryption.AES_256_CBC, ContentEncryption.DES_EDE3_CBC, ContentEncryption.AES_256_GCM],
)
def test_every_bad_streamed_envelope_gets_the_one_error_and_message(
    card: IssuedCard, other_card: IssuedCard, cipher: ContentEncryption
) -> None:
    """Truncated anywhere, altered, for another key, or no envelope at all: the message of
    ``open_envelope``'s refusal, no chained cause."""
    good = _encrypt(card, cipher)
    with pytest.raises(DecryptionError) as reference:
        open_envelope(good[:-1], _decrypter(card))
    bad = {f"cut at {at}": good[:at] for at in range(0, len(good), 97)}
    bad |= {
        "cut before the last end-of-contents": good[:-2],
        "trailing garbage": good + b"\0",
        "for another card": _encrypt(other_card, cipher),
        "a signature": _signature(card),
        "wrong key of the right length": _rewrapped(card, good, b"k" * cipher.key_size),
        "short key": _rewrapped(card, good, b"12345"),
    }
    # Behind the ciphertext: two end-of-contents, the GCM tag's 18 bytes, three end-of-contents.
    last = len(good) - (29 if cipher.authenticated else 11)
    # CBC: the last byte of the next-to-last block flips a padding byte of the last one.
    bad["flipped near the end of the content"] = _flip(
        good, last - (0 if cipher.authenticated else 8 if cipher.key_size == 24 else 16)
    )
    if cipher.authenticated:
        bad["flipped content"] = _flip(good, len(good) // 2)
        bad["flipped tag"] = _flip(good, len(good) - 7)
    for name, envelope in bad.items():
        with pytest.raises(DecryptionError) as caught:
            _open(card, envelope)
        assert str(caught.value) == str(reference.value), name
        assert caught.value.__cause__ is None, name


def test_authenticated_attributes_after_the_content_are_the_one_error(card: IssuedCard) -> None:
    """One pass cannot feed attributes that follow the content into GCM before it."""
    info = cms.ContentInfo.load(encrypt_envelope(CONTENT, card.encryption.certificate), strict=True)
    info["content"]["auth_attrs"] = [{"type": "content_type", "values": ["data"]}]
    with pytest.raises(DecryptionError):
        _open(card, bytes(info.dump(force=True)))


@pytest.fixture(scope="module")
def streamed_envelopes(card: IssuedCard) -> list[bytes]:
    """Small streamed envelopes, so that a mutation lands as often in the structure as in
    the content; OAEP with SHA-256 so its parameters are there to be damaged too."""
    return [
        _encrypt(card, cipher, CONTENT[:100], transport)
        for cipher in (ContentEncryption.AES_256_GCM, ContentEncryption.AES_128_CBC)
        for transport in (PKCS1V15, OAEP_SHA256)
    ]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    choice=st.integers(min_value=0, max_value=3),
    position=st.floats(min_value=0, max_value=1, exclude_max=True),
    edit=st.sampled_from(["flip", "cut", "insert", "replace"]),
    payload=st.binary(min_size=1, max_size=8),
)
def test_mutated_streamed_envelopes_open_or_give_the_one_error(
    card: IssuedCard,
    streamed_envelopes: list[bytes],
    choice: int,
    position: float,
    edit: str,
    payload: bytes,
) -> None:
    """Nothing but ``DecryptionError`` comes out (CBC, having no integrity, may still open);
    whatever opens, the one-shot ``open_envelope`` opens to the same bytes."""
    data = streamed_envelopes[choice]
    at = int(position * len(data))
    mutated = {
        "flip": data[:at] + bytes([data[at] ^ payload[0]]) + data[at + 1 :],
        "cut": data[:at],
        "insert": data[:at] + payload + data[at:],
        "replace": data[:at] + payload + data[at + len(payload) :],
    }[edit]
    plain: bytes | None = None
    try:
        plain, _ = _open(card, mutated, chunk_size=16)
    except DecryptionError as refusal:
        cause = refusal.__cause__
    else:
        cause = None
    assert cause is None
    if plain is not None:
        assert open_envelope(mutated, _decrypter(card)).content == plain
