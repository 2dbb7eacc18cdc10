"""The CRL download of a validation: certvalidator's fetcher, with a size limit.

Imported only when a validation checks revocation, as it loads aiohttp.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from asn1crypto import crl, pem
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.crl_client import AIOHttpCRLFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.common_utils import FetchBudget, FetchKind

from xcapki.crypto.validation._bounded_read import read_at_most
from xcapki.crypto.validation._fetchers import CrlExchangeError, CrlFailure, CrlProblem

__all__ = ["CheckedCrlFetcher"]

_HTTP_OK = 200


class CheckedCrlFetcher(AIOHttpCRLFetcher):
    """certvalidator's aiohttp CRL fetcher, reading at most ``max_bytes`` of each CRL.

    A CRL announced or delivered larger than the limit is refused before more
    is read; each failure raises a ``CRLFetchError`` carrying a ``CrlFailure``.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession | LazySession,
        *,
        per_request_timeout: float,
        budget: FetchBudget,
        max_bytes: int,
    ) -> None:
        super().__init__(session, per_request_timeout=per_request_timeout, budget=budget)
        self._max_bytes = max_bytes

    async def _single_fetch(self, url: str) -> Any:
        async def task() -> crl.CertificateList:
            self._charge(FetchKind.CRL)
            return await _download(
                url, self.get_session(), self.per_request_timeout, self._max_bytes
            )

        return await self._post_fetch_task(url, task)  # type: ignore[no-untyped-call]


async def _download(
    url: str, session: aiohttp.ClientSession, timeout: float, max_bytes: int
) -> crl.CertificateList:
    """GET the CRL at ``url``, or raise what was wrong with the answer."""
    headers = {"Accept": "application/pkix-crl"}
    try:
        async with session.get(
            url, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as answer:
            if answer.status != _HTTP_OK:
                raise CrlExchangeError(
                    CrlFailure(CrlProblem.HTTP_STATUS, url, f"HTTP {answer.status}")
                )
            body = await read_at_most(answer, max_bytes)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise CrlExchangeError(CrlFailure(CrlProblem.UNREACHABLE, url)) from exc
    if body is None:
        raise CrlExchangeError(CrlFailure(CrlProblem.TOO_LARGE, url, limit=max_bytes))
    try:
        if pem.detect(body):
            _, _, body = pem.unarmor(body)
        certificate_list = crl.CertificateList.load(body, strict=True)
        certificate_list["tbs_cert_list"]["this_update"].native  # noqa: B018
    except Exception as exc:
        raise CrlExchangeError(CrlFailure(CrlProblem.NOT_CRL, url)) from exc
    return certificate_list
