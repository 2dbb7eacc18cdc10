"""What the CMS code needs of a certificate, worked out once per certificate.

A portal sees the same cards over and over, so parsing a card certificate,
re-encoding its issuer name, finding its key identifier, loading its public
key and hashing it on every login is waste. Each is a fact remembered in
``PARSED_CERTIFICATES`` (xcapki.crypto.caches), the one bounded cache of
parsed certificates, which also serves ``load_certificate``.
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
from xcapki.crypto.caches import PARSED_CERTIFICATES
from xcapki.crypto.cms import _algorithms
from xcapki.crypto.cms.errors import AlgorithmNotAllowedError
from xcapki.crypto.profile import load_certificate

__all__ = ["SignerKey", "certificate_digest", "load_certificate", "sid_facts", "signer_key"]

SignerKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class SidFacts:
    """The values a SignerInfo's signer identifier is matched against."""

    issuer_der: bytes
    serial: int
    key_id: bytes | None
    """The SubjectKeyIdentifier, else the RFC 5280 method-1 key id; None if the key is unusable."""


def sid_facts(certificate: x509.Certificate) -> SidFacts:
    """Issuer DER, serial and key identifier of ``certificate``."""
    return PARSED_CERTIFICATES.remembered(certificate, _sid_facts)


def signer_key(certificate: x509.Certificate) -> SignerKey:
    """The RSA or EC public key of ``certificate``, or ``AlgorithmNotAllowedError``."""
    return PARSED_CERTIFICATES.remembered(certificate, _signer_key)


def certificate_digest(certificate: x509.Certificate, algorithm: HashAlgorithm) -> bytes:
    """The hash of the certificate's DER, as ESS signingCertificate(V2) names it."""
    return PARSED_CERTIFICATES.remembered(certificate, _DIGESTS[algorithm])


def _sid_facts(certificate: x509.Certificate) -> SidFacts:
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


def _signer_key(certificate: x509.Certificate) -> SignerKey:
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


def _digest(algorithm: HashAlgorithm, certificate: x509.Certificate) -> bytes:
    return _algorithms.digest(algorithm, certificate.public_bytes(Encoding.DER))


_DIGESTS: Final = {algorithm: functools.partial(_digest, algorithm) for algorithm in HashAlgorithm}
"""One fact per hash algorithm, so each digest is remembered apart."""
