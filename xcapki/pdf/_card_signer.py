"""pyHanko's ``Signer`` over xcapki's ``Signer``: the card signs, pyHanko builds the CMS.

pyHanko hands over the bytes to sign (the DER of the signed attributes) and a
digest name; xcapki's ``Signer`` hashes and signs them the way the card needs
(host hashing with a DigestInfo on HiCOS). pyHanko's dry runs, which only size
the signature's placeholder, get zero bytes of the right length and never
reach the card, so each signed PDF costs exactly one card signature.
"""

from __future__ import annotations

from collections.abc import Iterable

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyhanko.sign.signers.pdf_cms import Signer as PyHankoSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.pdf.errors import PdfUsageError
from xcapki.signer import Signer

__all__ = ["CardPdfSigner", "default_scheme", "signature_mechanism", "to_asn1"]

_CMS_MARGIN = 4096
"""Bytes beyond certificates and signature: signed attributes, identifiers, algorithms."""
_DIGEST_NAMES = {algorithm.value.lower(): algorithm for algorithm in HashAlgorithm}


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The asn1crypto form pyHanko works with."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def default_scheme(certificate: x509.Certificate) -> SignatureScheme:
    """PKCS#1 v1.5 for RSA keys (what GPKI cards and PDF readers expect), ECDSA for EC."""
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return SignatureScheme.RSA_PKCS1V15
    if isinstance(key, ec.EllipticCurvePublicKey):
        return SignatureScheme.ECDSA
    raise PdfUsageError(
        f"the certificate holds a {type(key).__name__} key; PDF signing needs an RSA or EC key"
    )


def signature_mechanism(
    scheme: SignatureScheme, digest: HashAlgorithm
) -> algos.SignedDigestAlgorithm:
    """The CMS signature algorithm for ``scheme`` with ``digest``, as xcapki signs it."""
    name = digest.value.lower()
    if scheme is SignatureScheme.RSA_PKCS1V15:
        return algos.SignedDigestAlgorithm({"algorithm": f"{name}_rsa"})
    if scheme is SignatureScheme.ECDSA:
        return algos.SignedDigestAlgorithm({"algorithm": f"{name}_ecdsa"})
    # xcapki's RSA-PSS: MGF1 with the same hash, a salt as long as the digest.
    parameters = algos.RSASSAPSSParams(
        {
            "hash_algorithm": {"algorithm": name},
            "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": name}},
            "salt_length": digest.digest_size,
        }
    )
    return algos.SignedDigestAlgorithm({"algorithm": "rsassa_pss", "parameters": parameters})


def _placeholder_length(certificate: x509.Certificate) -> int:
    key = certificate.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    if isinstance(key, ec.EllipticCurvePublicKey):
        # The longest DER Ecdsa-Sig-Value: two INTEGERs with a sign byte each.
        return 2 * ((key.curve.key_size + 7) // 8 + 3) + 3
    raise PdfUsageError("PDF signing needs an RSA or EC key")


class CardPdfSigner(PyHankoSigner):
    """A pyHanko signer whose key is an xcapki ``Signer`` (a card, or a key file in tests).

    ``chain`` holds the CA certificates to embed next to the signer's (the
    card's ``CACert``, the root), so that readers can build the path.
    """

    def __init__(
        self,
        signer: Signer,
        *,
        chain: Iterable[x509.Certificate] = (),
        hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
        scheme: SignatureScheme | None = None,
    ) -> None:
        if not isinstance(signer, Signer):
            raise PdfUsageError(
                "signer must be an xcapki Signer (TokenSession.signer(...) or KeySigner)"
            )
        chain = tuple(chain)
        chosen = scheme or default_scheme(signer.certificate)
        if chosen is SignatureScheme.RSA_PSS and default_scheme(signer.certificate) is not (
            SignatureScheme.RSA_PKCS1V15
        ):
            raise PdfUsageError("RSA-PSS needs an RSA key; leave the scheme unset for EC keys")
        self._chain_size = sum(len(c.public_bytes(serialization.Encoding.DER)) for c in chain)
        self._xcapki_signer = signer
        self._hash_algorithm = hash_algorithm
        self._scheme = chosen
        self._placeholder = bytes(_placeholder_length(signer.certificate))
        self._chain_size += len(signer.certificate.public_bytes(serialization.Encoding.DER))
        super().__init__(
            signing_cert=to_asn1(signer.certificate),
            cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                [to_asn1(c) for c in chain]
            ),
            signature_mechanism=signature_mechanism(chosen, hash_algorithm),
        )

    @property
    def hash_algorithm(self) -> HashAlgorithm:
        return self._hash_algorithm

    def untimestamped_size(self) -> int:
        """Room for this signer's CMS without a timestamp, in hex digits with a wide margin.

        Giving pyHanko this size spares it a trial CMS built only to measure
        one, which is a large part of signing a small PDF.
        """
        return 2 * (self._chain_size + len(self._placeholder) + _CMS_MARGIN)

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        """Sign ``data`` on the card; a dry run only sizes the signature."""
        if dry_run:
            return self._placeholder
        digest = _DIGEST_NAMES.get(digest_algorithm.lower())
        if digest is not self._hash_algorithm:
            raise PdfUsageError(
                f"pyHanko asked for a {digest_algorithm} signature but the signer was set up "
                f"for {self._hash_algorithm.value}; sign with one digest algorithm throughout"
            )
        return self._xcapki_signer.sign(data, hash_algorithm=digest, scheme=self._scheme)
