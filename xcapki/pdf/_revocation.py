"""B-LT's revocation data: what xcapki's validator fetched, handed to pyHanko without a refetch.

xcapki's ``ChainValidator`` checks the signer's path and the time-stamping
authority's, asking each responder (or serving its cache); its
``ValidatedPath`` carries the DER answers each verdict rests on. pyHanko then
gets a validation context whose fetchers *replay* those answers instead of
going to the network: it checks the paths once more against them offline and
writes exactly them into the DSS.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence

from asn1crypto import cms, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.authority import Authority as CvAuthority
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers import CertificateFetcher, CRLFetcher, Fetchers, OCSPFetcher

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ValidatedPath
from xcapki.pdf._card_signer import to_asn1

__all__ = ["replaying_context"]


def replaying_context(
    store: TrustStore, helpers: Iterable[x509.Certificate], paths: Sequence[ValidatedPath]
) -> ValidationContext:
    """A hard-fail context for pyHanko that knows only the answers behind ``paths``."""
    ocsp_answers: dict[bytes, list[ocsp.OCSPResponse]] = {}
    crl_answers: dict[bytes, list[crl.CertificateList]] = {}
    certificates: dict[bytes, x509.Certificate] = {}
    for path in paths:
        for certificate in path.chain:
            certificates.setdefault(certificate.fingerprint(hashes.SHA256()), certificate)
        for status in path.statuses:
            key = status.certificate.fingerprint(hashes.SHA256())
            data = status.revocation.data
            ocsp_answers[key] = [ocsp.OCSPResponse.load(d) for d in data.ocsp_responses]
            crl_answers[key] = [crl.CertificateList.load(d) for d in data.crls]
    for helper in helpers:
        certificates.setdefault(helper.fingerprint(hashes.SHA256()), helper)
    known = [to_asn1(c) for c in certificates.values()]
    return ValidationContext(
        trust_roots=[to_asn1(root.certificate) for root in store.roots],
        other_certs=known,
        allow_fetching=True,
        fetchers=Fetchers(
            ocsp_fetcher=_ReplayedOcsp(ocsp_answers),
            crl_fetcher=_ReplayedCrls(crl_answers),
            cert_fetcher=_KnownIssuers(known),
        ),
        revocation_mode="hard-fail",
    )


class _ReplayedOcsp(OCSPFetcher):
    """Answers with the validator's OCSP response for a certificate; never touches the network."""

    def __init__(self, answers: dict[bytes, list[ocsp.OCSPResponse]]) -> None:
        self._answers = answers

    async def fetch(self, cert: asn1_x509.Certificate, authority: CvAuthority) -> ocsp.OCSPResponse:
        for answer in self._answers.get(cert.sha256, ()):
            return answer
        raise OCSPFetchError("xcapki's validator used no OCSP answer for this certificate")

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return [answer for answers in self._answers.values() for answer in answers]

    def fetched_responses_for_cert(
        self, cert: asn1_x509.Certificate
    ) -> Iterable[ocsp.OCSPResponse]:
        return self._answers.get(cert.sha256, [])


class _ReplayedCrls(CRLFetcher):
    """Answers with the CRLs behind the validator's verdict for a certificate."""

    def __init__(self, answers: dict[bytes, list[crl.CertificateList]]) -> None:
        self._answers = answers

    async def fetch(
        self, cert: asn1_x509.Certificate, *, use_deltas: bool | None = None
    ) -> Iterable[crl.CertificateList]:
        found = self._answers.get(cert.sha256)
        if not found:
            raise CRLFetchError("xcapki's validator used no CRL for this certificate")
        return found

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [c for crls in self._answers.values() for c in crls]

    def fetched_crls_for_cert(self, cert: asn1_x509.Certificate) -> Iterable[crl.CertificateList]:
        found = self._answers.get(cert.sha256)
        if not found:
            raise KeyError(cert.sha256)
        return found


class _KnownIssuers(CertificateFetcher):
    """Issuers from the validated paths only: nothing is downloaded from AIA caIssuers."""

    def __init__(self, certificates: list[asn1_x509.Certificate]) -> None:
        self._certificates = certificates

    async def fetch_cert_issuers(
        self, cert: asn1_x509.Certificate | cms.AttributeCertificateV2
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        issuer = cert.issuer if isinstance(cert, asn1_x509.Certificate) else None
        for known in self._certificates:
            if known.subject == issuer:
                yield known

    async def fetch_crl_issuers(
        self, certificate_list: crl.CertificateList
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        issuer = certificate_list.issuer
        for known in self._certificates:
            if known.subject == issuer:
                yield known

    def fetched_certs(self) -> Iterable[asn1_x509.Certificate]:
        return list(self._certificates)
