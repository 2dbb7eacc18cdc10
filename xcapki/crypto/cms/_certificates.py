"""What the CMS code needs of a certificate, worked out once per certificate.

A portal sees the same cards over and over, so parsing a card certificate,
re-encoding its issuer name, finding its key identifier and loading its
public key on every login is waste. Each is kept in a small bounded LRU
keyed by the certificate's DER bytes (or the certificate, whose equality
and hash are those of its DER); hostile inputs can only churn the caches,
never grow them. ``functools.lru_cache`` is thread-safe.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import _algorithms
from xcapki.crypto.cms.errors import AlgorithmNotAllowedError

__all__ = ["SignerKey", "certificate_digest", "load_certificate", "sid_facts", "signer_key"]

CACHE_SIZE: Final = 256
"""Certificates remembered per cache: far more than the cards and CAs a portal sees at once."""

SignerKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class SidFacts:
    """The values a SignerInfo's signer identifier is matched against."""

    issuer_der: bytes
    serial: int
    key_id: bytes | None
    """The SubjectKeyIdentifier, else the RFC 5280 method-1 key id; None if the key is unusable."""


@functools.lru_cache(maxsize=CACHE_SIZE)
def load_certificate(der: bytes) -> x509.Certificate:
    """``cryptography``'s strict DER parse of ``der``; the same bytes give the same object."""
    return x509.load_der_x509_certificate(der)


@functools.lru_cache(maxsize=CACHE_SIZE)
def sid_facts(certificate: x509.Certificate) -> SidFacts:
    """Issuer DER, serial and key identifier of ``certificate``."""
    key_id: bytes | None
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        key_id = extension.value.digest
    except x509.ExtensionNotFound:
        try:
            key_id = x509.SubjectKeyIdentifier.from_public_key(certificate.public_key()).digest
        except (ValueError, UnsupportedAlgorithm):
            key_id = None
    except (ValueError, UnsupportedAlgorithm, x509.DuplicateExtension):
        # Unreadable or repeated extensions: no key id to match by; the
        # certificate profile refuses such a certificate later.
        key_id = None
    return SidFacts(
        issuer_der=certificate.issuer.public_bytes(),
        serial=certificate.serial_number,
        key_id=key_id,
    )


@functools.lru_cache(maxsize=CACHE_SIZE)
def signer_key(certificate: x509.Certificate) -> SignerKey:
    """The RSA or EC public key of ``certificate``, or ``AlgorithmNotAllowedError``."""
    try:
        key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise AlgorithmNotAllowedError(
            "the signer certificate's public key is malformed or of an unsupported type; "
            "the signer needs an RSA or EC P-256/P-384 certificate"
        ) from exc
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise AlgorithmNotAllowedError(
            f"the signer certificate holds a {type(key).__name__}; only RSA and EC are accepted"
        )
    return key


@functools.lru_cache(maxsize=CACHE_SIZE)
def certificate_digest(certificate: x509.Certificate, algorithm: HashAlgorithm) -> bytes:
    """The hash of the certificate's DER, as ESS signingCertificate(V2) names it."""
    return _algorithms.digest(algorithm, certificate.public_bytes(Encoding.DER))
