"""The two HiPKI signature shapes, made with the crypto layer through a token signer."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.cms import sign_hipki
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.protocol import SignatureType, SignRequest
from xcapki.token.signing import TokenSigner

__all__ = ["bare_scheme", "check_validity", "make_signature"]


def check_validity(certificate: x509.Certificate, now: datetime.datetime | None = None) -> None:
    """Refuse to sign with a certificate outside its validity period (HiPKI 0x76500002)."""
    moment = now or datetime.datetime.now(datetime.UTC)
    if moment > certificate.not_valid_after_utc:
        raise HipkiError(
            f"the card's signing certificate expired on {certificate.not_valid_after_utc:%Y-%m-%d}:"
            " apply to its CA for a new card or certificate",
            ret_code=HipkiCode.CERTIFICATE_EXPIRED,
        )
    if moment < certificate.not_valid_before_utc:
        raise HipkiError(
            "the card's signing certificate is not valid until"
            f" {certificate.not_valid_before_utc:%Y-%m-%d}: check the computer's clock",
            ret_code=HipkiCode.CERTIFICATE_EXPIRED,
        )


def bare_scheme(certificate: x509.Certificate) -> SignatureScheme:
    """The scheme of a PKCS1 answer: RSA PKCS#1 v1.5, or on an EC card DER ECDSA (the key's
    own scheme)."""
    if isinstance(certificate.public_key(), ec.EllipticCurvePublicKey):
        return SignatureScheme.ECDSA
    return SignatureScheme.RSA_PKCS1V15


def make_signature(
    signer: TokenSigner,
    request: SignRequest,
    *,
    card_serial: str,
    scheme: SignatureScheme,
    issuers: Sequence[x509.Certificate] = (),
) -> bytes:
    """PKCS7: attached CMS with signingTime, nonce and card serial, carrying the signer's
    certificate and its issuing CA's (``issuers``, from the card); PKCS1: the bare signature
    in ``scheme`` (``bare_scheme`` of the signer's certificate, worked out once per login);
    RAW: the bare signature of the digest the page sent as ``tbs`` (the length was checked)."""
    if request.signature_type is SignatureType.RAW:
        return signer.sign_digest(request.tbs, hash_algorithm=request.hash_algorithm)
    if request.signature_type is SignatureType.PKCS7:
        return sign_hipki(
            request.tbs,
            signer,
            nonce=request.nonce,
            card_serial=card_serial if request.with_card_serial else None,
            hash_algorithm=request.hash_algorithm,
            include_chain=issuers,
        )
    return signer.sign(request.tbs, hash_algorithm=request.hash_algorithm, scheme=scheme)
