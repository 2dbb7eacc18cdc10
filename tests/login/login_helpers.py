"""Shared pieces of the login tests: a clock, file-key signers, forged certificates, CMS edits."""

from __future__ import annotations

import datetime as dt
import socket
from dataclasses import dataclass

from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.key_signer import KeySigner
from xcapki.testing import CaCredentials, IssuedKey, VirtualCard
from xcapki.testing.keys import KeyAlgorithm, PrivateKey

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


def free_port() -> int:
    """A loopback TCP port nobody listens on (at the moment of asking)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def dead_url() -> str:
    """An http URL on a loopback port nobody listens on."""
    return f"http://127.0.0.1:{free_port()}/"


def reissue(
    template: x509.Certificate,
    ca: CaCredentials,
    *,
    ocsp_url: str | None = None,
    crl_url: str | None = None,
    issuer_key: PrivateKey | None = None,
    issuer_name: x509.Name | None = None,
) -> KeySigner:
    """A new key with a certificate like ``template``, signed by ``ca`` (or ``issuer_key``).

    What the test PKI deliberately does not issue: the OCSP and CRL addresses
    can be redirected, the issuer can be a look-alike; the CA's index (what
    its OCSP responder knows) is not told, so its responder answers "unknown".
    """
    key = KeyAlgorithm.RSA_2048.generate()
    builder = (
        x509.CertificateBuilder()
        .subject_name(template.subject)
        .issuer_name(issuer_name or template.issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(template.not_valid_before_utc)
        .not_valid_after(template.not_valid_after_utc)
    )
    for extension in template.extensions:
        value = extension.value
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        elif isinstance(value, x509.AuthorityInformationAccess) and ocsp_url is not None:
            value = x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url),
                    )
                ]
            )
        elif isinstance(value, x509.CRLDistributionPoints) and crl_url is not None:
            value = x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(crl_url)], None, None, None
                    )
                ]
            )
        elif isinstance(value, x509.AuthorityKeyIdentifier) and issuer_key is not None:
            value = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
        builder = builder.add_extension(value, critical=extension.critical)
    signing_key = issuer_key or ca.key.private_key
    return KeySigner(private_key=key, certificate=builder.sign(signing_key, hashes.SHA256()))


def edit_signed_data(der: bytes, change: object) -> bytes:
    """Load a ContentInfo, let ``change`` edit its SignedData, and DER-encode it again."""
    info = cms.ContentInfo.load(der)
    signed_data = info["content"]
    assert callable(change)
    change(signed_data)
    return bytes(
        cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump(force=True)
    )
