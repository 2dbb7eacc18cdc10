"""Signing a PDF whose key is elsewhere: a browser's local signing service, a remote card.

``prepare_pdf_signature`` lays out the signature (an incremental update with
its placeholder) and returns the bytes the key must sign: the DER of the CMS
signed attributes, which cover the document's digest. Whoever holds the key
hashes and signs them (a HiPKI ``MakeSignature`` with ``signatureType``
PKCS1 does exactly this); ``PreparedPdfSignature.finish`` checks the answer
against the certificate and completes the PDF. PAdES B-B.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_cms import ExternalSigner
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner, PdfTBSDocument
from pyhanko_certvalidator.registry import SimpleCertificateStore

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.pdf._card_signer import default_scheme, signature_mechanism, to_asn1
from xcapki.pdf._document import PARSE_FAILURES
from xcapki.pdf._event_loop import run_to_completion
from xcapki.pdf.errors import PdfFormatError, PdfSigningError
from xcapki.pdf.header import is_pdf

__all__ = ["PreparedPdfSignature", "prepare_pdf_signature"]


@dataclass(slots=True, kw_only=True)
class PreparedPdfSignature:
    """A PDF waiting for its signature; ``to_be_signed`` is what the key signs.

    Keep it in memory (it holds the laid-out document) until ``finish``;
    it can be finished once.
    """

    to_be_signed: bytes
    hash_algorithm: HashAlgorithm
    scheme: SignatureScheme
    certificate: x509.Certificate
    field_name: str
    _state: dict[str, Any] = field(repr=False)

    def finish(self, signature: bytes) -> bytes:
        """The signed PDF, once ``signature`` is checked against the certificate.

        Raises ``PdfSigningError`` if the signature does not verify (a wrong
        card, a wrong algorithm) or if the prepared signature was used already.
        """
        state = self._state
        if not state:
            raise PdfSigningError("this prepared signature was finished already; prepare anew")
        _check(self.certificate, self.to_be_signed, signature, self.hash_algorithm, self.scheme)
        try:
            signed = run_to_completion(lambda: _finish(state, signature, self.hash_algorithm))
        except (SigningError, PyHankoPdfError, ValueError) as exc:
            raise PdfSigningError(f"the signature could not be embedded ({exc})") from exc
        state.clear()
        return signed


def prepare_pdf_signature(
    document: bytes,
    certificate: x509.Certificate,
    *,
    chain: Iterable[x509.Certificate] = (),
    reason: str | None = None,
    location: str | None = None,
    field_name: str = "Signature1",
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
) -> PreparedPdfSignature:
    """Lay out a B-B signature by ``certificate``'s key on ``document`` (the PDF's bytes)."""
    if not is_pdf(document[:1024]):
        raise PdfFormatError("the document is not a PDF (no %PDF- header); give a PDF")
    scheme = default_scheme(certificate)
    certificates = tuple(chain)
    mechanism = signature_mechanism(scheme, hash_algorithm)
    registry = SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
        [to_asn1(c) for c in certificates]
    )
    meta = PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm=hash_algorithm.value.lower(),
        reason=reason,
        location=location,
        subfilter=SigSeedSubFilter.PADES,
    )
    placeholder = ExternalSigner(
        to_asn1(certificate), registry, signature_value=512, signature_mechanism=mechanism
    )
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(document), strict=True)
        pdf_signer = PdfSigner(meta, signer=placeholder)
        state = run_to_completion(lambda: _prepare(pdf_signer, placeholder, writer, meta))
    except PARSE_FAILURES as exc:
        raise PdfFormatError(
            "the document is damaged: it cannot be read; give an intact PDF"
        ) from exc
    state.update(certificate=certificate, registry=registry, mechanism=mechanism)
    attributes: cms.CMSAttributes = state["attributes"]
    return PreparedPdfSignature(
        to_be_signed=attributes.dump(),
        hash_algorithm=hash_algorithm,
        scheme=scheme,
        certificate=certificate,
        field_name=field_name,
        _state=state,
    )


async def _prepare(
    pdf_signer: PdfSigner,
    placeholder: ExternalSigner,
    writer: IncrementalPdfFileWriter,
    meta: PdfSignatureMetadata,
) -> dict[str, Any]:
    digest, _, output = await pdf_signer.async_digest_doc_for_signing(writer)
    attributes = await placeholder.signed_attrs(
        digest.document_digest, str(meta.md_algorithm), use_pades=True
    )
    return {"digest": digest, "output": output, "attributes": attributes}


async def _finish(state: dict[str, Any], signature: bytes, digest: HashAlgorithm) -> bytes:
    signer = ExternalSigner(
        to_asn1(state["certificate"]),
        state["registry"],
        signature_value=signature,
        signature_mechanism=state["mechanism"],
    )
    container = await signer.async_sign_prescribed_attributes(
        digest.value.lower(), signed_attrs=state["attributes"]
    )
    output: io.BytesIO = state["output"]
    await PdfTBSDocument.async_finish_signing(output, state["digest"], container)
    return output.getvalue()


def _check(
    certificate: x509.Certificate,
    data: bytes,
    signature: bytes,
    digest: HashAlgorithm,
    scheme: SignatureScheme,
) -> None:
    key = certificate.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey) and scheme is SignatureScheme.RSA_PKCS1V15:
            key.verify(signature, data, padding.PKCS1v15(), digest.new())
            return
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(digest.new()))
            return
    except (InvalidSignature, ValueError) as exc:
        raise PdfSigningError(
            "the signature does not verify with the certificate the document was prepared "
            "for: another card signed, or it signed other bytes; prepare and sign again"
        ) from exc
    raise PdfSigningError(f"{scheme.value} signatures cannot be embedded here")
