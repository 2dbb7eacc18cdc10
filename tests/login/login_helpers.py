"""Shared pieces of the login tests: a clock, file-key signers, reissued signers, CMS edits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms
from cryptography import x509

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.testing import IssuedKey, TestPki, VirtualCard
from xcapki.testing.keys import KeyAlgorithm
from xcapki.testing.ports import unused_port

ORIGIN = "https://portal.example.tw"
SESSION = "browser-session-7f3a9c1e5b2d4f60a8c3e1b9d7f5a2c4"


class SettableClock:
    """A clock a test moves by hand; starts at the real now so OCSP answers stay fresh."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


def file_signer(key: IssuedKey) -> KeySigner:
    """The card certificate's own key as a ``Signer`` (the same key the virtual card holds)."""
    return KeySigner(private_key=key.private_key, certificate=key.certificate)


def card_signer(card: VirtualCard) -> KeySigner:
    return file_signer(card.card.signing)


@dataclass(frozen=True, slots=True)
class MismatchedSigner:
    """Signs with one card's key and names another card's certificate: a certificate swap.

    ``KeySigner`` refuses such a pair on purpose, so the test builds its own.
    """

    signing_card: KeySigner
    certificate: x509.Certificate

    def sign(self, data: bytes, *, hash_algorithm: HashAlgorithm, scheme: SignatureScheme) -> bytes:
        return self.signing_card.sign(data, hash_algorithm=hash_algorithm, scheme=scheme)


def dead_url() -> str:
    """An http URL on a loopback port nobody listens on."""
    return f"http://127.0.0.1:{unused_port()}/"


def reissued_signer(pki: TestPki, template: x509.Certificate, **changes: Any) -> KeySigner:
    """A fresh RSA key with ``template`` reissued for it by the XCA (``TestPki.reissue``)."""
    key = KeyAlgorithm.RSA_2048.generate()
    certificate = pki.reissue(template, Authority.XCA, key=key, **changes)
    return KeySigner(private_key=key, certificate=certificate)


def edit_signed_data(der: bytes, change: object) -> bytes:
    """Load a ContentInfo, let ``change`` edit its SignedData, and DER-encode it again."""
    info = cms.ContentInfo.load(der)
    signed_data = info["content"]
    assert callable(change)
    change(signed_data)
    return bytes(
        cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump(force=True)
    )


_LEAKS = ("ParseError", "set_int_max_str_digits", "Traceback", "asn1crypto", "pyhanko")


def assert_plain_message(message: str) -> None:
    """A refusal's detail names the problem in xcapki's words: no dependency's internal
    text, and no clause said twice."""
    for leak in _LEAKS:
        assert leak not in message, message
    clauses = [c.strip() for c in message.replace(". ", "; ").split("; ") if c.strip()]
    assert len(clauses) == len(set(clauses)), message
