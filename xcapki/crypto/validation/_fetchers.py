"""OCSP and CRL fetchers that remember what each validation fetched, and why a fetch failed.

pyhanko-certvalidator decides *whether* an answer is acceptable; these
fetchers record *what* was fetched for which certificate (so the validator
can report the source of each verdict and spot an "unknown" answer), serve
CRLs from the validator's cache until their nextUpdate, and count network
requests. An OCSP exchange that fails (``_ocsp_exchange``) raises an
``OcspExchangeError`` whose ``OcspFailure`` is recorded, and a CRL download
that fails (``_crl_exchange``) a ``CrlExchangeError`` with a ``CrlFailure``,
so the error can name that cause and its remedy.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass, field
from typing import Final

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.authority import Authority as CvAuthority
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers import CertificateFetcher, CRLFetcher, OCSPFetcher
from pyhanko_certvalidator.fetchers.common_utils import enumerate_delivery_point_urls
from pyhanko_certvalidator.util import get_relevant_crl_dps

from xcapki.crypto.validation._cache import CrlCache, FetchCounter

_NOTHING: tuple[asn1_x509.Certificate, ...] = ()

__all__ = [
    "MAX_OCSP_RESPONSE_BYTES",
    "CrlExchangeError",
    "CrlFailure",
    "CrlProblem",
    "FetchRecord",
    "NoIssuerFetching",
    "OcspExchangeError",
    "OcspFailure",
    "OcspProblem",
    "RecordingCrlFetcher",
    "RecordingOcspFetcher",
]

MAX_OCSP_RESPONSE_BYTES: Final = 64 * 1024
"""Largest OCSP answer read; a real one is a few KiB, so more is not an OCSP answer."""


class OcspProblem(enum.Enum):
    """Why an OCSP exchange gave no answer the validator could weigh."""

    UNREACHABLE = "unreachable"
    HTTP_STATUS = "http-status"
    TOO_LARGE = "too-large"
    NOT_OCSP = "not-ocsp"
    ERROR_STATUS = "error-status"
    NONCE_MISMATCH = "nonce-mismatch"
    WEAK_SIGNATURE = "weak-signature"
    AMBIGUOUS = "ambiguous"


@dataclass(frozen=True, slots=True)
class OcspFailure:
    """One failed OCSP exchange: the problem, the URL asked, and what came back."""

    problem: OcspProblem
    url: str
    received: str = ""
    """The HTTP status, OCSP responseStatus or signature digest received, where there was one."""


class OcspExchangeError(OCSPFetchError):
    """certvalidator sees a fetch failure; the recording fetcher reads ``failure``."""

    def __init__(self, failure: OcspFailure) -> None:
        super().__init__(f"OCSP exchange with {failure.url} failed: {failure.problem.value}")
        self.failure = failure


class CrlProblem(enum.Enum):
    """Why a CRL download gave no CRL."""

    UNREACHABLE = "unreachable"
    HTTP_STATUS = "http-status"
    TOO_LARGE = "too-large"
    NOT_CRL = "not-crl"


@dataclass(frozen=True, slots=True)
class CrlFailure:
    """One failed CRL download: the problem, the URL, and the limit or status involved."""

    problem: CrlProblem
    url: str
    received: str = ""
    """The HTTP status received, where there was one."""
    limit: int = 0
    """The size limit in bytes, for TOO_LARGE."""


class CrlExchangeError(CRLFetchError):
    """certvalidator sees a fetch failure; the recording fetcher reads ``failure``."""

    def __init__(self, failure: CrlFailure) -> None:
        super().__init__(f"CRL download from {failure.url} failed: {failure.problem.value}")
        self.failure = failure


@dataclass(slots=True)
class FetchRecord:
    """What one validation fetched, keyed by the certificate's SHA-256."""

    ocsp: dict[bytes, ocsp.OCSPResponse] = field(default_factory=dict)
    ocsp_failed: set[bytes] = field(default_factory=set)
    ocsp_failures: dict[bytes, OcspFailure] = field(default_factory=dict)
    crl_consulted: set[bytes] = field(default_factory=set)
    crls: dict[bytes, list[crl.CertificateList]] = field(default_factory=dict)
    crl_failed: set[bytes] = field(default_factory=set)
    crl_failures: dict[bytes, CrlFailure] = field(default_factory=dict)
    fetched_crl_sets: dict[tuple[str, ...], list[crl.CertificateList]] = field(default_factory=dict)


def crl_urls(cert: asn1_x509.Certificate) -> tuple[str, ...]:
    """The HTTP(S) CRL URLs a certificate names (with delta CRLs), in a stable order."""
    urls = {
        url
        for point in get_relevant_crl_dps(cert, use_deltas=True)
        for url in enumerate_delivery_point_urls(point)
    }
    return tuple(sorted(urls))


class RecordingOcspFetcher(OCSPFetcher):
    """Delegates to certvalidator's fetcher; records each answer or failure."""

    def __init__(self, inner: OCSPFetcher, record: FetchRecord, counter: FetchCounter) -> None:
        self._inner = inner
        self._record = record
        self._counter = counter

    async def fetch(self, cert: asn1_x509.Certificate, authority: CvAuthority) -> ocsp.OCSPResponse:
        self._counter.count_ocsp()
        try:
            response = await self._inner.fetch(cert, authority)
        except OCSPFetchError as exc:
            self._record.ocsp_failed.add(cert.sha256)
            if isinstance(exc, OcspExchangeError):
                self._record.ocsp_failures[cert.sha256] = exc.failure
            raise
        except TimeoutError as exc:
            self._record.ocsp_failed.add(cert.sha256)
            raise OCSPFetchError("the OCSP responder did not answer in time") from exc
        self._record.ocsp[cert.sha256] = response
        return response

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return self._inner.fetched_responses()

    def fetched_responses_for_cert(
        self, cert: asn1_x509.Certificate
    ) -> Iterable[ocsp.OCSPResponse]:
        return self._inner.fetched_responses_for_cert(cert)


class RecordingCrlFetcher(CRLFetcher):
    """Serves CRLs from the shared cache while fresh, else fetches and records them."""

    def __init__(
        self,
        inner: CRLFetcher,
        record: FetchRecord,
        cache: CrlCache,
        counter: FetchCounter,
        moment: datetime.datetime,
    ) -> None:
        self._inner = inner
        self._record = record
        self._cache = cache
        self._counter = counter
        self._moment = moment

    async def fetch(
        self, cert: asn1_x509.Certificate, *, use_deltas: bool | None = None
    ) -> Iterable[crl.CertificateList]:
        found = self._known(cert)
        if found is not None:
            return found
        urls = crl_urls(cert)
        self._counter.count_crl()
        try:
            crls = list(await self._inner.fetch(cert, use_deltas=True))
        except CRLFetchError as exc:
            self._record.crl_failed.add(cert.sha256)
            if isinstance(exc, CrlExchangeError):
                self._record.crl_failures[cert.sha256] = exc.failure
            raise
        except TimeoutError as exc:
            self._record.crl_failed.add(cert.sha256)
            raise CRLFetchError("the CRL distribution point did not answer in time") from exc
        self._record.crls[cert.sha256] = crls
        self._record.fetched_crl_sets[urls] = crls
        return crls

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [c for crls in self._record.crls.values() for c in crls]

    def fetched_crls_for_cert(self, cert: asn1_x509.Certificate) -> Iterable[crl.CertificateList]:
        found = self._known(cert)
        if found is None:
            raise KeyError(cert.sha256)
        return found

    def _known(self, cert: asn1_x509.Certificate) -> list[crl.CertificateList] | None:
        self._record.crl_consulted.add(cert.sha256)
        if cert.sha256 in self._record.crls:
            return self._record.crls[cert.sha256]
        cached = self._cache.get(crl_urls(cert), self._moment)
        if cached is not None:
            self._record.crls[cert.sha256] = cached
        return cached


class NoIssuerFetching(CertificateFetcher):
    """Never downloads issuer certificates from AIA caIssuers.

    Intermediates come from the trust store, the caller or the signed data; a
    URL in an untrusted certificate must not make a portal backend fetch.
    """

    async def fetch_cert_issuers(self, cert: object) -> AsyncGenerator[asn1_x509.Certificate, None]:
        for found in _NOTHING:
            yield found

    async def fetch_crl_issuers(
        self, certificate_list: object
    ) -> AsyncGenerator[asn1_x509.Certificate, None]:
        for found in _NOTHING:
            yield found

    def fetched_certs(self) -> Iterable[asn1_x509.Certificate]:
        return ()
