"""``verify_pdf``: every signature of a PDF checked by pyHanko, reported in xcapki's terms.

Before pyHanko looks at a signature, xcapki refuses the layouts built to
deceive (``_document``). pyHanko then checks integrity, what the ByteRange
covers, what later revisions changed, the signer's path to the trust store's
roots and the timestamp. Revocation is judged at the signing time (the
timestamp's, else now): from the answers embedded in the document when it
carries them for the signer (B-LT, B-LTA), else online from the certificate's
OCSP responder and CRL distribution point.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from typing import IO, Any, Final

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.decode_limits import DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import (
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import NoDSSFoundError, SignatureValidationError
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.policy_decl import LEGACY_POLICY_MAP, CertRevTrustPolicy

from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode, RevocationState
from xcapki.pdf._card_signer import to_asn1
from xcapki.pdf._document import PARSE_FAILURES, check_byte_range, check_gap, open_document
from xcapki.pdf._event_loop import run_to_completion
from xcapki.pdf.errors import PdfFormatError
from xcapki.pdf.options import PadesLevel
from xcapki.pdf.results import (
    Coverage,
    LaterChanges,
    PdfSignatureCheck,
    PdfVerification,
    RevocationEvidence,
    SignatureKind,
    TimestampCheck,
)
from xcapki.pdf.sign import DEFAULT_NETWORK_TIMEOUT

__all__ = ["verify_pdf"]

_LEGACY_MODE: Final = {
    RevocationMode.OFF: "none",
    RevocationMode.SOFT_FAIL: "soft-fail",
    RevocationMode.HARD_FAIL: "hard-fail",
    RevocationMode.REQUIRE: "require",
}
_LATER_CHANGES: Final = {
    ModificationLevel.NONE: LaterChanges.NONE,
    ModificationLevel.LTA_UPDATES: LaterChanges.VALIDATION_DATA,
    ModificationLevel.FORM_FILLING: LaterChanges.FORM_FILLING,
    ModificationLevel.ANNOTATIONS: LaterChanges.ANNOTATIONS,
    ModificationLevel.OTHER: LaterChanges.CONTENT,
}
_REVOKED: Final = (
    AdESFailure.REVOKED,
    AdESIndeterminate.REVOKED_NO_POE,
    AdESIndeterminate.REVOKED_CA_NO_POE,
)
_KEY_USAGE: Final = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"})


@dataclass(slots=True)
class _Evidence:
    """The validation data a document carries in its DSS."""

    certificates: list[asn1_x509.Certificate] = field(default_factory=list)
    ocsps: list[ocsp.OCSPResponse] = field(default_factory=list)
    crls: list[crl.CertificateList] = field(default_factory=list)

    def covers(self, certificate: asn1_x509.Certificate) -> bool:
        """Whether an embedded OCSP answer or CRL speaks about ``certificate``."""
        for response in self.ocsps:
            try:
                basic = response["response_bytes"]["response"].parsed
                singles = basic["tbs_response_data"]["responses"]
            except (KeyError, ValueError, TypeError):
                continue
            if any(
                s["cert_id"]["serial_number"].native == certificate.serial_number for s in singles
            ):
                return True
        issuer = certificate.issuer.dump()
        return any(c["tbs_cert_list"]["issuer"].dump() == issuer for c in self.crls)


def verify_pdf(
    source: str | os.PathLike[str] | bytes,
    *,
    trust_store: TrustStore | None = None,
    revocation_mode: RevocationMode = RevocationMode.HARD_FAIL,
    network_timeout: datetime.timedelta = DEFAULT_NETWORK_TIMEOUT,
) -> PdfVerification:
    """Check every signature and document timestamp of the PDF at ``source`` (or its bytes).

    ``trust_store`` defaults to the bundled GRCA roots. A document that is
    damaged or whose signatures are laid out to deceive raises
    ``PdfFormatError``; everything else is answered in the result.
    """
    store = trust_store or TrustStore.bundled()
    with open_document(source) as (handle, reader):
        size = handle.seek(0, os.SEEK_END)
        try:
            signatures = list(reader.embedded_signatures)
            evidence = _read_evidence(reader)
            revisions = int(reader.xrefs.total_revisions)
        except PARSE_FAILURES as exc:
            raise PdfFormatError(
                "the document's signatures cannot be read: it is damaged or forged"
            ) from exc
        for signature in signatures:
            _check_layout(signature, handle, size)
        checker = _Checker(store, evidence, revocation_mode, network_timeout, signatures)
        checks = run_to_completion(checker.check_all)
    return PdfVerification(signatures=checks, revisions=revisions)


def _check_layout(signature: EmbeddedPdfSignature, handle: IO[bytes], size: int) -> None:
    name = str(signature.field_name)
    check_byte_range(name, signature.byte_range, len(signature.pkcs7_content), size)
    check_gap(name, handle, signature.byte_range)


def _read_evidence(reader: PdfFileReader) -> _Evidence:
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except NoDSSFoundError:
        return _Evidence()
    return _Evidence(
        certificates=list(dss.load_certs()),
        ocsps=[
            ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
            for ref in dss.ocsps
        ],
        crls=[
            crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL))
            for ref in dss.crls
        ],
    )


def _timestamp_time(signature: EmbeddedPdfSignature) -> datetime.datetime | None:
    """The genTime of the signature's RFC 3161 token, read before the token is checked."""
    attributes = signature.signer_info["unsigned_attrs"]
    if not isinstance(attributes, cms.CMSAttributes):
        return None
    for attribute in attributes:
        if attribute["type"].native == "signature_time_stamp_token":
            token = attribute["values"][0]
            info = token["content"]["encap_content_info"]["content"].parsed
            moment: datetime.datetime = info["gen_time"].native
            return moment
    return None


class _Checker:
    """One verification run: its trust, its evidence and its settings."""

    def __init__(
        self,
        store: TrustStore,
        evidence: _Evidence,
        mode: RevocationMode,
        timeout: datetime.timedelta,
        signatures: list[EmbeddedPdfSignature],
    ) -> None:
        self.store = store
        self.evidence = evidence
        self.mode = mode
        self.signatures = signatures
        self.roots = [to_asn1(root.certificate) for root in store.roots]
        self.intermediates = [to_asn1(i.certificate) for i in store.intermediates]
        self.backend = AIOHttpFetcherBackend(per_request_timeout=timeout.total_seconds())

    async def check_all(self) -> tuple[PdfSignatureCheck, ...]:
        try:
            return tuple([await self.check(index) for index in range(len(self.signatures))])
        finally:
            await self.backend.close()  # type: ignore[no-untyped-call]

    def context(self, moment: datetime.datetime | None, *, fetch: bool) -> ValidationContext:
        checking = self.mode is not RevocationMode.OFF
        return ValidationContext(
            trust_roots=self.roots,
            other_certs=[*self.intermediates, *self.evidence.certificates],
            moment=moment,
            ocsps=self.evidence.ocsps,
            crls=self.evidence.crls,
            allow_fetching=checking and fetch,
            revinfo_policy=CertRevTrustPolicy(LEGACY_POLICY_MAP[_LEGACY_MODE[self.mode]]),
            retroactive_revinfo=True,
            fetcher_backend=self.backend if checking and fetch else None,
        )

    async def check(self, index: int) -> PdfSignatureCheck:
        signature = self.signatures[index]
        name = str(signature.field_name)
        is_timestamp = signature.sig_object_type == "/DocTimeStamp"
        try:
            signer = signature.signer_cert
            embedded = self.evidence.covers(signer)
            if is_timestamp:
                context = self.context(None, fetch=not embedded)
                status: Any = await async_validate_pdf_timestamp(
                    signature, validation_context=context
                )
            else:
                context = self.context(_timestamp_time(signature), fetch=not embedded)
                status = await async_validate_pdf_signature(
                    signature,
                    signer_validation_context=context,
                    ts_validation_context=context,
                    key_usage_settings=_KEY_USAGE,
                )
        except (SignatureValidationError, *PARSE_FAILURES) as exc:
            raise PdfFormatError(
                f"signature {name!r} cannot be checked ({exc}); the document is damaged or forged"
            ) from exc
        coverage = _coverage(name, status.coverage)
        later = _LATER_CHANGES.get(status.modification_level, LaterChanges.CONTENT)
        if coverage is Coverage.ENTIRE_FILE:
            later = LaterChanges.NONE
        revocation = self.revocation(status)
        timestamp = None if is_timestamp else _timestamp(status.timestamp_validity)
        return PdfSignatureCheck(
            field_name=name,
            kind=SignatureKind.DOCUMENT_TIMESTAMP if is_timestamp else SignatureKind.SIGNATURE,
            revision=int(signature.signed_revision) + 1,
            intact=bool(status.intact and status.valid),
            coverage=coverage,
            later_changes=later,
            trusted=bool(status.trusted),
            revocation=revocation,
            revocation_evidence=self.source(embedded),
            signing_time=(
                status.timestamp if is_timestamp else getattr(status, "signer_reported_dt", None)
            ),
            timestamp=timestamp,
            level=None if is_timestamp else self.level(index, timestamp, embedded),
            signer=TaiwanCertificate.from_certificate(
                x509.load_der_x509_certificate(signer.dump()), trust_store=self.store
            ),
            failure=_failure(status, later, revocation),
        )

    def revocation(self, status: Any) -> RevocationState:
        if self.mode is RevocationMode.OFF:
            return RevocationState.NOT_CHECKED
        indication = status.trust_problem_indic
        if status.revocation_details is not None or indication in _REVOKED:
            return RevocationState.REVOKED
        if indication is AdESIndeterminate.TRY_LATER:
            return RevocationState.UNAVAILABLE
        if status.trusted:
            return RevocationState.GOOD
        return RevocationState.NOT_CHECKED

    def source(self, embedded: bool) -> RevocationEvidence:
        if self.mode is RevocationMode.OFF:
            return RevocationEvidence.NONE
        return RevocationEvidence.EMBEDDED if embedded else RevocationEvidence.ONLINE

    def level(self, index: int, timestamp: TimestampCheck | None, embedded: bool) -> PadesLevel:
        if timestamp is None:
            return PadesLevel.B_B
        if not embedded:
            return PadesLevel.B_T
        later = self.signatures[index + 1 :]
        if any(s.sig_object_type == "/DocTimeStamp" for s in later):
            return PadesLevel.B_LTA
        return PadesLevel.B_LT


def _coverage(name: str, level: SignatureCoverageLevel | None) -> Coverage:
    if level is SignatureCoverageLevel.ENTIRE_FILE:
        return Coverage.ENTIRE_FILE
    if level is SignatureCoverageLevel.ENTIRE_REVISION:
        return Coverage.ENTIRE_REVISION
    raise PdfFormatError(
        f"signature {name!r} does not cover a whole revision of the document "
        "(its ByteRange leaves signed-looking content out); the document is forged"
    )


def _timestamp(status: Any) -> TimestampCheck | None:
    if status is None:
        return None
    return TimestampCheck(
        time=status.timestamp,
        intact=bool(status.intact and status.valid),
        trusted=bool(status.trusted),
        authority=_common_name(status.signing_cert),
    )


def _common_name(certificate: asn1_x509.Certificate) -> str:
    name = certificate.subject.native.get("common_name")
    return str(name) if name else str(certificate.subject.human_friendly)


def _failure(status: Any, later: LaterChanges, revocation: RevocationState) -> str | None:
    if not (status.intact and status.valid):
        return "the signature does not match the signed bytes: the document was altered"
    if later is LaterChanges.CONTENT:
        return (
            "the document was changed after signing: a later revision alters the signed "
            "content, so what is shown is not what was signed"
        )
    if revocation is RevocationState.REVOKED:
        return "the signer's certificate (or a CA above it) is revoked"
    if not status.trusted:
        indication = status.trust_problem_indic
        reason = indication.name.lower().replace("_", " ") if indication else "unknown"
        return f"the signer's certificate does not chain to a trusted root ({reason})"
    if revocation is RevocationState.UNAVAILABLE:
        return "no revocation answer could be obtained for the signer's certificate"
    return None
