"""CMS envelopes: round trips, interop with `openssl cms` both ways, and no decryption oracle."""

from __future__ import annotations

import datetime
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest
from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    ContentEncryption,
    DecryptionError,
    EnvelopeUsageError,
    SignerIdentifierType,
    encrypt_envelope,
    open_envelope,
)
from xcapki.crypto.key_decrypter import KeyDecrypter
from xcapki.decrypter import PKCS1V15, Decrypter, KeyTransport, RsaOaep
from xcapki.testing import CardSpec, IssuedCard, KeyAlgorithm, TestPki

CONTENT = "PKCS#7 加密範例 xcapki <-> openssl\r\n\x00\xff".encode() * 7

TRANSPORTS: list[KeyTransport] = [
    PKCS1V15,
    RsaOaep(),
    RsaOaep(hash_algorithm=HashAlgorithm.SHA256, mgf1_hash=HashAlgorithm.SHA256),
    RsaOaep(hash_algorithm=HashAlgorithm.SHA384, mgf1_hash=HashAlgorithm.SHA1, label=b"xcapki"),
]


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    """An XCA card whose encryption (KEYX) certificate envelopes are made for."""
    return test_pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name="信封測試事務所")
    )


@pytest.fixture(scope="module")
def other_card(test_pki: TestPki) -> IssuedCard:
    return test_pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="另一事務所"))


def _decrypter(card: IssuedCard) -> KeyDecrypter:
    key = card.encryption.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    return KeyDecrypter(private_key=key, certificate=card.encryption.certificate)


def _run(openssl: str, *args: str | Path, data: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [openssl, *map(str, args)], input=data, capture_output=True, timeout=60, check=False
    )


@pytest.mark.parametrize("cipher", list(ContentEncryption))
@pytest.mark.parametrize("transport", TRANSPORTS, ids=repr)
@pytest.mark.parametrize("identifier", list(SignerIdentifierType))
def test_round_trip(
    card: IssuedCard,
    cipher: ContentEncryption,
    transport: KeyTransport,
    identifier: SignerIdentifierType,
) -> None:
    der = encrypt_envelope(
        CONTENT,
        card.encryption.certificate,
        content_encryption=cipher,
        key_transport=transport,
        recipient_identifier=identifier,
    )
    decrypter = _decrypter(card)
    assert isinstance(decrypter, Decrypter)
    opened = open_envelope(der, decrypter)
    assert opened.content == CONTENT
    assert opened.content_encryption is cipher
    assert opened.key_transport == transport
    assert opened.authenticated is cipher.authenticated
    kind = cms.ContentInfo.load(der)["content_type"].native
    assert kind == ("authenticated_enveloped_data" if cipher.authenticated else "enveloped_data")


def test_empty_content_round_trips(card: IssuedCard) -> None:
    for cipher in ContentEncryption:
        der = encrypt_envelope(b"", card.encryption.certificate, content_encryption=cipher)
        assert open_envelope(der, _decrypter(card)).content == b""


OPENSSL_CIPHERS = {
    "-aes-128-cbc": ContentEncryption.AES_128_CBC,
    "-aes-256-cbc": ContentEncryption.AES_256_CBC,
    "-des3": ContentEncryption.DES_EDE3_CBC,
    "-aes-128-gcm": ContentEncryption.AES_128_GCM,
    "-aes-256-gcm": ContentEncryption.AES_256_GCM,
}
OPENSSL_TRANSPORTS: dict[str, tuple[list[str], KeyTransport]] = {
    "pkcs1": ([], PKCS1V15),
    "oaep": (["-keyopt", "rsa_padding_mode:oaep"], RsaOaep()),
    "oaep-sha256": (
        ["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"],
        RsaOaep(hash_algorithm=HashAlgorithm.SHA256, mgf1_hash=HashAlgorithm.SHA256),
    ),
}


@pytest.mark.openssl
@pytest.mark.parametrize("cipher_option", sorted(OPENSSL_CIPHERS))
@pytest.mark.parametrize("transport_name", sorted(OPENSSL_TRANSPORTS))
@pytest.mark.parametrize("shape", ["der", "der-stream-keyid", "pem"])
def test_xcapki_opens_what_openssl_encrypts(
    openssl: str,
    card: IssuedCard,
    tmp_path: Path,
    cipher_option: str,
    transport_name: str,
    shape: str,
) -> None:
    options, transport = OPENSSL_TRANSPORTS[transport_name]
    form = "PEM" if shape == "pem" else "DER"
    extra = ["-stream", "-keyid"] if shape == "der-stream-keyid" else []
    result = _run(
        openssl, "cms", "-encrypt", "-binary", "-outform", form, cipher_option, *extra,
        "-recip", card.encryption.certificate_path, *options,
        data=CONTENT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    der = result.stdout
    if form == "PEM":
        der = _run(openssl, "cms", "-cmsout", "-inform", "PEM", "-outform", "DER", data=der).stdout
    opened = open_envelope(der, _decrypter(card))
    assert opened.content == CONTENT
    assert opened.content_encryption is OPENSSL_CIPHERS[cipher_option]
    assert opened.key_transport == transport


@pytest.mark.openssl
@pytest.mark.parametrize("cipher", list(ContentEncryption))
@pytest.mark.parametrize("transport", TRANSPORTS[:3], ids=repr)
@pytest.mark.parametrize("identifier", list(SignerIdentifierType))
def test_openssl_opens_what_xcapki_encrypts(
    openssl: str,
    card: IssuedCard,
    tmp_path: Path,
    cipher: ContentEncryption,
    transport: KeyTransport,
    identifier: SignerIdentifierType,
) -> None:
    envelope = tmp_path / "envelope.der"
    envelope.write_bytes(
        encrypt_envelope(
            CONTENT,
            card.encryption.certificate,
            content_encryption=cipher,
            key_transport=transport,
            recipient_identifier=identifier,
        )
    )
    result = _run(
        openssl, "cms", "-decrypt", "-binary", "-inform", "DER", "-in", envelope,
        "-recip", card.encryption.certificate_path, "-inkey", card.encryption.private_key_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout == CONTENT


def _flip(data: bytes, offset: int) -> bytes:
    return data[:offset] + bytes([data[offset] ^ 0x01]) + data[offset + 1 :]


def _envelope(card: IssuedCard, cipher: ContentEncryption, transport: KeyTransport) -> bytes:
    return encrypt_envelope(
        CONTENT, card.encryption.certificate, content_encryption=cipher, key_transport=transport
    )


def _parts(der: bytes) -> tuple[cms.ContentInfo, cms.KeyTransRecipientInfo, cms.Asn1Value]:
    """The envelope, its recipient and its encrypted content info, read by asn1crypto."""
    info = cms.ContentInfo.load(der)
    body = info["content"]
    encrypted = body[
        "encrypted_content_info"
        if "encrypted_content_info" in body
        else "auth_encrypted_content_info"
    ]
    return info, body["recipient_infos"][0].chosen, encrypted


def _block_size(cipher: ContentEncryption) -> int:
    return 8 if cipher is ContentEncryption.DES_EDE3_CBC else 16


def _bad_padding_key(cipher: ContentEncryption, encrypted: cms.Asn1Value) -> bytes:
    """A key under which the content's CBC padding is certainly wrong, checked here with
    ``cryptography`` so the corruption's outcome does not depend on chance."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives import padding as block_padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    iv = encrypted["content_encryption_algorithm"]["parameters"].native
    ciphertext = encrypted["encrypted_content"].native
    for counter in range(256):
        key = bytes([counter]) * cipher.key_size
        algorithm = (
            TripleDES(key) if cipher is ContentEncryption.DES_EDE3_CBC else algorithms.AES(key)
        )
        decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        unpadder = block_padding.PKCS7(_block_size(cipher) * 8).unpadder()
        try:
            unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            return key
    raise AssertionError("no key with bad padding found")


def _wrapped_with(card: IssuedCard, cipher: ContentEncryption, key: bytes | None = None) -> bytes:
    """An envelope whose PKCS#1 v1.5 block is valid but holds ``key`` (default: a wrong key
    of the right length under which the content cannot decrypt)."""
    info, ktri, encrypted = _parts(_envelope(card, cipher, PKCS1V15))
    if key is None:
        key = (
            b"k" * cipher.key_size if cipher.authenticated else _bad_padding_key(cipher, encrypted)
        )
    public = card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    ktri["encrypted_key"] = public.encrypt(key, padding.PKCS1v15())
    return bytes(info.dump(force=True))


def _wrapped_key_flipped(card: IssuedCard, cipher: ContentEncryption, t: KeyTransport) -> bytes:
    der = _envelope(card, cipher, t)
    return _flip(der, der.index(_parts(der)[1]["encrypted_key"].native) + 10)


def _content_flipped(card: IssuedCard, cipher: ContentEncryption, t: KeyTransport) -> bytes:
    """CBC: the last byte of the next-to-last block, which flips a padding byte of the
    last block (CBC has no integrity elsewhere). GCM: a content byte, which the tag catches."""
    der = _envelope(card, cipher, t)
    ciphertext = _parts(der)[2]["encrypted_content"].native
    start = der.index(ciphertext)
    if cipher.authenticated:
        return _flip(der, start + len(ciphertext) // 2)
    return _flip(der, start + len(ciphertext) - _block_size(cipher) - 1)


def _tag_flipped(card: IssuedCard, cipher: ContentEncryption, t: KeyTransport) -> bytes:
    """The last byte of an AuthEnvelopedData is the last byte of its GCM tag."""
    der = _envelope(card, cipher, t)
    return _flip(der, len(der) - 1)


Corruption = Callable[[IssuedCard, IssuedCard, ContentEncryption, KeyTransport], bytes]

CORRUPTIONS: dict[str, Corruption] = {
    "addressed to another card": lambda c, o, ci, t: _envelope(o, ci, t),
    "truncated": lambda c, o, ci, t: _envelope(c, ci, t)[:-5],
    "trailing garbage": lambda c, o, ci, t: _envelope(c, ci, t) + b"\0",
    "not CMS": lambda c, o, ci, t: b"\x30\x03\x02\x01\x00",
    "empty": lambda c, o, ci, t: b"",
    "wrapped key flipped": lambda c, o, ci, t: _wrapped_key_flipped(c, ci, t),
    "content padding or text flipped": lambda c, o, ci, t: _content_flipped(c, ci, t),
    "valid block, short key": lambda c, o, ci, t: _wrapped_with(c, ci, b"12345"),
    "valid block, wrong key": lambda c, o, ci, t: _wrapped_with(c, ci),
}


@pytest.mark.parametrize(
    "cipher", [ContentEncryption.AES_256_CBC, ContentEncryption.DES_EDE3_CBC,
               ContentEncryption.AES_128_GCM, ContentEncryption.AES_256_GCM],
)  # fmt: skip
@pytest.mark.parametrize("transport", [PKCS1V15, RsaOaep()], ids=repr)
def test_every_bad_envelope_gets_the_same_error_and_message(
    card: IssuedCard, other_card: IssuedCard, cipher: ContentEncryption, transport: KeyTransport
) -> None:
    """No oracle: whichever step fails (recipient, structure, key, padding, content, tag),
    the caller sees one error type with one message and no chained cause."""
    answers = set()
    corruptions = dict(CORRUPTIONS)
    if cipher.authenticated:
        corruptions["tag flipped"] = lambda c, o, ci, t: _tag_flipped(c, ci, t)
    for name, corrupt in corruptions.items():
        bad = corrupt(card, other_card, cipher, transport)
        with pytest.raises(DecryptionError) as caught:
            open_envelope(bad, _decrypter(card))
        assert caught.value.__cause__ is None, name
        context = caught.value.__context__
        assert context is None or caught.value.__suppress_context__, name
        answers.add((type(caught.value), str(caught.value)))
    assert len(answers) == 1, answers
    ((_, message),) = answers
    assert "addressed to another certificate" in message


def test_a_signature_is_not_an_envelope(card: IssuedCard) -> None:
    signed = cms.ContentInfo(
        {"content_type": "data", "content": cms.OctetString(b"not encrypted")}
    ).dump()
    with pytest.raises(DecryptionError):
        open_envelope(signed, _decrypter(card))


def test_a_signing_certificate_is_refused_as_recipient(card: IssuedCard) -> None:
    with pytest.raises(EnvelopeUsageError, match="encryption certificate"):
        encrypt_envelope(CONTENT, card.signing.certificate)


def test_an_ec_certificate_is_refused_as_recipient(test_pki: TestPki) -> None:
    ec_card = test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="橢圓曲線信封",
            key_algorithm=KeyAlgorithm.EC_P256,
        )
    )
    with pytest.raises(EnvelopeUsageError, match="RSA keys only"):
        encrypt_envelope(CONTENT, ec_card.encryption.certificate)


def test_a_key_decrypter_refuses_a_key_of_another_certificate(
    card: IssuedCard, other_card: IssuedCard
) -> None:
    key = other_card.encryption.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    with pytest.raises(EnvelopeUsageError, match="does not belong"):
        KeyDecrypter(private_key=key, certificate=card.encryption.certificate)


def test_oaep_too_long_for_the_key_is_a_usage_error(test_pki: TestPki) -> None:
    """OAEP with SHA-512 leaves no room for a key in a 1024-bit block."""
    weak = test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="短金鑰信封",
            key_algorithm=KeyAlgorithm.RSA_1024,
        )
    )
    huge = RsaOaep(hash_algorithm=HashAlgorithm.SHA512, mgf1_hash=HashAlgorithm.SHA512)
    with pytest.raises(EnvelopeUsageError, match="cannot wrap"):
        encrypt_envelope(CONTENT, weak.encryption.certificate, key_transport=huge)


@pytest.mark.parametrize("cipher", [ContentEncryption.AES_128_CBC, ContentEncryption.AES_256_CBC])
def test_cryptography_opens_what_xcapki_encrypts(
    card: IssuedCard, cipher: ContentEncryption
) -> None:
    """Differential check against ``cryptography``'s own PKCS#7 envelopes (CBC, PKCS#1 v1.5)."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    der = encrypt_envelope(
        CONTENT, card.encryption.certificate, content_encryption=cipher, key_transport=PKCS1V15
    )
    key = card.encryption.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    assert pkcs7.pkcs7_decrypt_der(der, card.encryption.certificate, key, []) == CONTENT


@pytest.mark.parametrize(
    ("algorithm", "cipher"),
    [("AES128_CBC", ContentEncryption.AES_128_CBC), ("AES256_CBC", ContentEncryption.AES_256_CBC)],
)
def test_xcapki_opens_what_cryptography_encrypts(
    card: IssuedCard, algorithm: str, cipher: ContentEncryption
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.ciphers import algorithms
    from cryptography.hazmat.primitives.serialization import pkcs7

    builder = (
        pkcs7.PKCS7EnvelopeBuilder()
        .set_data(CONTENT)
        .set_content_encryption_algorithm(
            algorithms.AES128 if algorithm == "AES128_CBC" else algorithms.AES256
        )
        .add_recipient(card.encryption.certificate)
    )
    der = builder.encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    opened = open_envelope(der, _decrypter(card))
    assert opened.content == CONTENT
    assert opened.content_encryption is cipher
    assert opened.key_transport == PKCS1V15


class _GcmParameters(core.Sequence):  # type: ignore[misc]
    """RFC 5084 GCMParameters, written here independently of the code under test."""

    _fields: ClassVar = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer)]


def _auth_enveloped_with_attributes(card: IssuedCard, *, aad_of: cms.CMSAttributes) -> bytes:
    """An AuthEnvelopedData carrying authAttrs, sealed by ``cryptography``'s AESGCM with the
    DER SET OF of ``aad_of`` as associated data (RFC 5083, section 2.1)."""
    content_key, nonce = os.urandom(32), os.urandom(12)
    public = card.encryption.certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    attributes = _authenticated_attributes()
    sealed = AESGCM(content_key).encrypt(nonce, CONTENT, aad_of.dump())
    certificate = asn1_x509.Certificate.load(
        card.encryption.certificate.public_bytes(serialization.Encoding.DER)
    )
    body = cms.AuthEnvelopedData(
        {
            "version": "v0",
            "recipient_infos": [
                cms.RecipientInfo(
                    name="ktri",
                    value={
                        "version": "v0",
                        "rid": cms.RecipientIdentifier(
                            name="issuer_and_serial_number",
                            value={
                                "issuer": certificate.issuer,
                                "serial_number": certificate.serial_number,
                            },
                        ),
                        "key_encryption_algorithm": {"algorithm": "rsaes_pkcs1v15"},
                        "encrypted_key": public.encrypt(content_key, padding.PKCS1v15()),
                    },
                )
            ],
            "auth_encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {
                    "algorithm": "aes256_gcm",
                    "parameters": _GcmParameters({"aes_nonce": nonce, "aes_icvlen": 16}),
                },
                "encrypted_content": sealed[:-16],
            },
            "auth_attrs": attributes,
            "mac": sealed[-16:],
        }
    )
    info = cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": body})
    return bytes(info.dump())


def _authenticated_attributes() -> cms.CMSAttributes:
    signing_time = cms.Time(
        {"utc_time": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)}
    )
    return cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [signing_time]},
        ]
    )


def test_authenticated_attributes_are_authenticated(card: IssuedCard) -> None:
    good = _auth_enveloped_with_attributes(card, aad_of=_authenticated_attributes())
    assert open_envelope(good, _decrypter(card)).content == CONTENT
    other = cms.CMSAttributes([{"type": "content_type", "values": ["data"]}])
    forged = _auth_enveloped_with_attributes(card, aad_of=other)
    with pytest.raises(DecryptionError):
        open_envelope(forged, _decrypter(card))


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def valid_envelopes(card: IssuedCard) -> list[bytes]:
    return [
        _envelope(card, cipher, transport)
        for cipher in (ContentEncryption.AES_256_GCM, ContentEncryption.AES_128_CBC)
        for transport in (PKCS1V15, RsaOaep())
    ]


@FUZZ
@given(
    choice=st.integers(min_value=0, max_value=3),
    position=st.floats(min_value=0, max_value=1, exclude_max=True),
    edit=st.sampled_from(["flip", "cut", "insert", "replace"]),
    payload=st.binary(min_size=1, max_size=8),
)
def test_mutated_envelopes_open_or_give_the_one_error(
    card: IssuedCard,
    valid_envelopes: list[bytes],
    choice: int,
    position: float,
    edit: str,
    payload: bytes,
) -> None:
    """Nothing but ``DecryptionError`` comes out (CBC, having no integrity, may still open)."""
    data = valid_envelopes[choice]
    at = int(position * len(data))
    mutated = {
        "flip": data[:at] + bytes([data[at] ^ payload[0]]) + data[at + 1 :],
        "cut": data[:at],
        "insert": data[:at] + payload + data[at:],
        "replace": data[:at] + payload + data[at + len(payload) :],
    }[edit]
    try:
        open_envelope(mutated, _decrypter(card))
    except DecryptionError as refusal:
        cause = refusal.__cause__
    else:
        cause = None
    assert cause is None


@pytest.mark.parametrize("nonce_size", [0, 7, 129, 512])
def test_a_gcm_nonce_cryptography_refuses_is_the_one_error(
    card: IssuedCard, nonce_size: int
) -> None:
    info = cms.ContentInfo.load(_envelope(card, ContentEncryption.AES_256_GCM, PKCS1V15))
    algorithm = info["content"]["auth_encrypted_content_info"]["content_encryption_algorithm"]
    algorithm["parameters"] = _GcmParameters({"aes_nonce": b"n" * nonce_size, "aes_icvlen": 16})
    with pytest.raises(DecryptionError):
        open_envelope(bytes(info.dump(force=True)), _decrypter(card))
