"""``sign_pdf``: a PAdES signature made by an xcapki ``Signer``, appended as an incremental update.

pyHanko writes the PDF structure (signature field, dictionary, ByteRange, DSS,
document timestamp); xcapki supplies the key (one card signature per document),
the certificate chain, the timestamp client, the visible stamp and, for B-LT,
the revocation answers its own validator fetched (``_revocation``), so no
responder is asked twice. The original bytes are copied unchanged, so every
earlier signature stays valid. The output appears only once complete.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.pdf_signer import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError, extract_ts_certs
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.registry import SimpleCertificateStore

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.errors import PathValidationError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode, ValidatedPath
from xcapki.errors import XcapkiError
from xcapki.pdf._card_signer import CardPdfSigner
from xcapki.pdf._document import (
    PARSE_FAILURES,
    check_page_tree,
    open_document,
    signature_field_names,
)
from xcapki.pdf._event_loop import run_to_completion
from xcapki.pdf._revocation import replaying_context
from xcapki.pdf.errors import PdfFormatError, PdfSigningError, PdfUsageError, TimestampError
from xcapki.pdf.options import PadesLevel, VisibleSignature
from xcapki.pdf.stamp import stamp_style
from xcapki.signer import Signer

__all__ = ["SignedPdf", "check_signable", "sign_pdf"]

DEFAULT_NETWORK_TIMEOUT: Final = datetime.timedelta(seconds=10)
_SIGNER_KEY_USAGE: Final = {"digital_signature"}


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedPdf:
    """What ``sign_pdf`` wrote."""

    output: Path
    size: int
    level: PadesLevel
    field_name: str
    signer: TaiwanCertificate
    visible: bool


def sign_pdf(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    signer: Signer,
    *,
    level: PadesLevel = PadesLevel.B_B,
    chain: Iterable[x509.Certificate] = (),
    trust_store: TrustStore | None = None,
    tsa_url: str | None = None,
    visible: VisibleSignature | None = None,
    reason: str | None = None,
    location: str | None = None,
    field_name: str | None = None,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    scheme: SignatureScheme | None = None,
    network_timeout: datetime.timedelta = DEFAULT_NETWORK_TIMEOUT,
    validator: ChainValidator | None = None,
) -> SignedPdf:
    """Sign the PDF at ``source`` with ``signer`` and write the result to ``output``.

    ``chain`` holds the CA certificates to embed (the card's ``CACert``);
    ``trust_store`` (default: the bundled GRCA roots) gives the roots that
    B-LT and B-LTA collect revocation data up to. B-T and above need
    ``tsa_url``. For B-LT and B-LTA, ``validator`` checks the signer's and
    the TSA's paths and its OCSP answers and CRLs are the ones embedded (a
    long-lived validator serves them from its cache until their nextUpdate);
    by default a new hard-fail one on ``trust_store``. ``output`` may equal
    ``source``: the signed file replaces it only when complete. Raises a
    ``PdfError`` subclass, or the card's own ``TokenError``.
    """
    if not isinstance(level, PadesLevel):
        raise PdfUsageError("level must be a PadesLevel member, e.g. PadesLevel.B_LT")
    if level.needs_timestamp and not tsa_url:
        raise PdfUsageError(
            f"PAdES {level.value.upper()} needs a time-stamping authority; give its URL (tsa_url)"
        )
    certificates = tuple(chain)
    store = _trust_store(trust_store, validator)
    card = CardPdfSigner(signer, chain=certificates, hash_algorithm=hash_algorithm, scheme=scheme)
    profile = TaiwanCertificate.from_certificate(signer.certificate, trust_store=store)
    target = Path(output)
    collector = (
        _RevocationCollector(
            _revocation_validator(validator, store, network_timeout), store, certificates
        )
        if level.embeds_revocation
        else None
    )
    with open_document(source) as (_, reader):
        _check_document(reader, visible)
        name = field_name or _free_field_name(signature_field_names(reader))
        meta = PdfSignatureMetadata(
            field_name=name,
            md_algorithm=hash_algorithm.value.lower(),
            reason=reason,
            location=location,
            subfilter=SigSeedSubFilter.PADES,
            embed_validation_info=level.embeds_revocation,
            use_pades_lta=level is PadesLevel.B_LTA,
            signer_key_usage=set(_SIGNER_KEY_USAGE),
        )
        timestamper = (
            HTTPTimeStamper(tsa_url, timeout=network_timeout.total_seconds())
            if level.needs_timestamp and tsa_url
            else None
        )
        extra: dict[str, Any] = {}
        if visible is not None:
            extra["stamp_style"] = stamp_style(profile, visible.font)
            extra["new_field_spec"] = SigFieldSpec(
                sig_field_name=name, on_page=_page_index(visible), box=_box(visible.box)
            )
        writer = IncrementalPdfFileWriter.from_reader(reader)
        reserved = None if level.needs_timestamp else card.untimestamped_size()

        async def make_signer() -> PdfSigner:
            signing = meta
            if collector is not None:
                context = await collector.context(
                    signer.certificate,
                    timestamper,
                    hash_algorithm.value.lower(),
                    reader if level is PadesLevel.B_LTA else None,
                )
                signing = dataclasses.replace(meta, validation_context=context)
            return PdfSigner(signing, signer=card, timestamper=timestamper, **extra)

        size = _write_atomically(target, lambda out: _sign(make_signer, writer, out, reserved))
    return SignedPdf(
        output=target,
        size=size,
        level=level,
        field_name=name,
        signer=profile,
        visible=visible is not None,
    )


def check_signable(
    source: str | os.PathLike[str] | bytes, *, visible: VisibleSignature | None = None
) -> None:
    """Refuse, before a card is asked for its PIN, a document ``sign_pdf`` could not sign:
    not a PDF, damaged (cross-reference table, form fields, page tree), or without the page
    ``visible`` names. ``PdfFormatError`` or ``PdfUsageError`` as ``sign_pdf`` raises them."""
    with open_document(source) as (_, reader):
        _check_document(reader, visible)


def _check_document(reader: PdfFileReader, visible: VisibleSignature | None) -> None:
    signature_field_names(reader)
    if visible is not None:
        _check_page(reader, visible.page)
    check_page_tree(reader, _page_index(visible))


def _page_index(visible: VisibleSignature | None) -> int:
    """pyHanko's page index for the signature's widget: 0-based, negative from the end."""
    if visible is None:
        return 0
    return visible.page - 1 if visible.page > 0 else visible.page


def _sign(
    make_signer: Callable[[], Awaitable[PdfSigner]],
    writer: IncrementalPdfFileWriter,
    out: IO[bytes],
    reserved: int | None,
) -> None:
    async def run() -> None:
        pdf_signer = await make_signer()
        await pdf_signer.async_sign_pdf(writer, output=out, bytes_reserved=reserved)

    try:
        run_to_completion(run)
    except XcapkiError:
        raise
    except TimestampRequestError as exc:
        raise TimestampError(
            f"the time-stamping authority did not answer usefully ({_cause(exc)}); "
            "check the TSA URL and the network, or sign at PAdES B-B"
        ) from exc
    except (cv_errors.ValidationError, cv_errors.PathBuildingError) as exc:
        raise _no_revocation_data(exc) from exc
    except SigningError as exc:
        if isinstance(exc.__cause__, cv_errors.ValidationError | cv_errors.PathBuildingError):
            raise _no_revocation_data(exc) from exc
        raise PdfSigningError(f"pyHanko could not finish the signature ({exc})") from exc
    except PyHankoPdfError as exc:
        raise PdfSigningError(f"the signed document could not be written ({exc})") from exc
    except PARSE_FAILURES as exc:
        raise PdfSigningError(
            f"the document could not be signed ({type(exc).__name__}: {exc}); it may use PDF "
            "features pyHanko cannot update incrementally"
        ) from exc


def _no_revocation_data(exc: BaseException) -> PdfSigningError:
    return PdfSigningError(
        f"the revocation data for B-LT could not be collected ({_cause(exc)}); the signer's "
        "certificate must be valid, not revoked, and chain to a root of the trust store, and "
        "its OCSP or CRL servers must answer"
    )


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    return f"{exc}: {cause}" if cause is not None else str(exc)


def _write_atomically(target: Path, write: Any) -> int:
    """Run ``write`` on a temporary file beside ``target`` and rename it into place."""
    directory = target.parent if str(target.parent) else Path()
    try:
        descriptor, staged = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".part", dir=directory
        )
    except OSError as exc:
        raise PdfUsageError(
            f"cannot write beside {target} ({exc.strerror}); choose a writable output folder"
        ) from exc
    try:
        with os.fdopen(descriptor, "wb") as out:
            write(out)
            size = out.tell()
        os.replace(staged, target)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    return size


def _trust_store(trust_store: TrustStore | None, validator: ChainValidator | None) -> TrustStore:
    if validator is None:
        return trust_store or TrustStore.bundled()
    if trust_store is not None and trust_store is not validator.trust_store:
        raise PdfUsageError(
            "trust_store and validator name different trust stores; give only the validator "
            "(its trust store is used) or build it on the same TrustStore"
        )
    return validator.trust_store


def _revocation_validator(
    validator: ChainValidator | None, store: TrustStore, timeout: datetime.timedelta
) -> ChainValidator:
    if validator is not None:
        if validator.revocation_mode is RevocationMode.OFF:
            raise PdfUsageError(
                "the validator does not check revocation, so it has no answers for B-LT to "
                "embed; give one with RevocationMode.HARD_FAIL or REQUIRE"
            )
        return validator
    if not store.roots:
        raise PdfUsageError(
            "B-LT needs the signer's root in the trust store; add it with with_roots()"
        )
    return ChainValidator(store, revocation_mode=RevocationMode.HARD_FAIL, fetch_timeout=timeout)


@dataclass(frozen=True, slots=True)
class _RevocationCollector:
    """Validates every path a B-LT signature needs with xcapki's validator, before signing."""

    validator: ChainValidator
    store: TrustStore
    chain: tuple[x509.Certificate, ...]

    async def context(
        self,
        certificate: x509.Certificate,
        timestamper: HTTPTimeStamper | None,
        md_algorithm: str,
        archived: Any,
    ) -> ValidationContext:
        """pyHanko's context, replaying the answers behind the signer's and the TSAs' paths.

        The TSA's certificate comes from the trial timestamp pyHanko asks for
        anyway (to size the signature) and keeps for reuse. ``archived`` is the
        document's reader for B-LTA: its last document timestamp is covered too,
        as pyHanko requires.
        """
        paths = [await self._validate(certificate, self.chain, "the signer's certificate")]
        if timestamper is not None:
            token = await timestamper.async_dummy_response(md_algorithm)
            store = SimpleCertificateStore()  # type: ignore[no-untyped-call]
            for tsa in list(extract_ts_certs(token, store)):
                helpers = [_from_asn1(c) for c in store]
                paths.append(await self._validate(_from_asn1(tsa), helpers, _TSA))
        stamps = archived.embedded_timestamp_signatures[-1:] if archived is not None else []
        for stamp in stamps:
            helpers = [_from_asn1(c) for c in stamp.other_embedded_certs]
            paths.append(await self._validate(_from_asn1(stamp.signer_cert), helpers, _TSA))
        return replaying_context(self.store, self.chain, paths)

    async def _validate(
        self, certificate: x509.Certificate, helpers: Iterable[x509.Certificate], who: str
    ) -> ValidatedPath:
        try:
            return await self.validator.validate_async(certificate, intermediates=helpers)
        except PathValidationError as exc:
            raise PdfSigningError(
                f"the revocation data for B-LT could not be collected: {who} did not "
                f"validate ({exc})"
            ) from exc


_TSA: Final = "the time-stamping authority's certificate"


def _from_asn1(certificate: Any) -> x509.Certificate:
    return x509.load_der_x509_certificate(certificate.dump())


def _free_field_name(existing: frozenset[str]) -> str:
    number = 1
    while f"Signature{number}" in existing:
        number += 1
    return f"Signature{number}"


def _box(box: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (round(value) for value in box)
    return (x1, y1, x2, y2)


def _check_page(reader: PdfFileReader, page: int) -> None:
    try:
        count = int(reader.root["/Pages"]["/Count"])
    except PARSE_FAILURES as exc:
        raise PdfFormatError(
            "the document's page tree cannot be read: it is damaged; give an intact PDF"
        ) from exc
    if not (1 <= page <= count or -count <= page <= -1):
        raise PdfUsageError(
            f"the document has {count} page(s); page {page} does not exist (count from 1)"
        )
