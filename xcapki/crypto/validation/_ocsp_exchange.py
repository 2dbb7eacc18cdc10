"""The OCSP exchange of a validation: certvalidator's request, an answer checked on arrival.

Imported only when a validation checks revocation, as it loads aiohttp.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from asn1crypto import ocsp
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator.authority import Authority as CvAuthority
from pyhanko_certvalidator.errors import OCSPFetchError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.ocsp_client import AIOHttpOCSPFetcher
from pyhanko_certvalidator.fetchers.common_utils import (
    FetchKind,
    format_ocsp_request,
    ocsp_job_get_earliest,
)
from pyhanko_certvalidator.policy_decl import DEFAULT_WEAK_HASH_ALGOS
from pyhanko_certvalidator.util import get_ocsp_urls

from xcapki.crypto.validation._bounded_read import read_at_most
from xcapki.crypto.validation._fetchers import (
    MAX_OCSP_RESPONSE_BYTES,
    OcspExchangeError,
    OcspFailure,
    OcspProblem,
)

__all__ = ["CheckedOcspFetcher"]

_HTTP_OK = 200


class CheckedOcspFetcher(AIOHttpOCSPFetcher):
    """certvalidator's aiohttp OCSP fetcher, with an exchange that says what went wrong.

    The request is certvalidator's (with a nonce); the answer is read up to
    ``MAX_OCSP_RESPONSE_BYTES``, must be an OCSPResponse with status
    successful, signed with an allowed digest (not MD5 or SHA-1), with at most one
    SingleResponse for the requested certificate and, when it carries a nonce,
    this request's. Each refusal
    raises an ``OCSPFetchError`` that carries an ``OcspFailure``.
    """

    async def _fetch(self, cert: asn1_x509.Certificate, authority: CvAuthority) -> Any:
        request = format_ocsp_request(
            cert,
            authority,
            certid_hash_algo=self.certid_hash_algo,
            request_nonces=self.request_nonces,
        )
        urls = get_ocsp_urls(cert)
        if not urls:
            raise OCSPFetchError("the certificate names no OCSP responder")
        session = self.get_session()

        async def exchange(url: str) -> ocsp.OCSPResponse:
            self._charge(FetchKind.OCSP)
            return await _exchange(request, url, session, self.per_request_timeout)

        return await ocsp_job_get_earliest(  # type: ignore[no-untyped-call]
            exchange(url) for url in urls
        )


async def _exchange(
    request: ocsp.OCSPRequest, url: str, session: aiohttp.ClientSession, timeout: float
) -> ocsp.OCSPResponse:
    """POST ``request`` to ``url`` and return the answer, or raise what was wrong with it."""
    headers = {
        "Accept": "application/ocsp-response",
        "Content-Type": "application/ocsp-request",
    }
    try:
        async with session.post(
            url,
            headers=headers,
            data=request.dump(),
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as answer:
            if answer.status != 200:
                raise OcspExchangeError(
                    OcspFailure(OcspProblem.HTTP_STATUS, url, f"HTTP {answer.status}")
                )
            body = await read_at_most(answer, MAX_OCSP_RESPONSE_BYTES)
            if body is None:
                raise OcspExchangeError(OcspFailure(OcspProblem.TOO_LARGE, url))
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise OcspExchangeError(OcspFailure(OcspProblem.UNREACHABLE, url)) from exc
    try:
        response = ocsp.OCSPResponse.load(body, strict=True)
        status = str(response["response_status"].native)
        if status == "successful":
            response["response_bytes"]["response"].parsed.native  # noqa: B018
        response_nonce = response.nonce_value if status == "successful" else None
        digest = (
            str(response.basic_ocsp_response["signature_algorithm"].hash_algo)
            if status == "successful"
            else ""
        )
        answers = _answers_for(request, response) if status == "successful" else 0
    except Exception as exc:
        raise OcspExchangeError(OcspFailure(OcspProblem.NOT_OCSP, url)) from exc
    if status != "successful":
        raise OcspExchangeError(OcspFailure(OcspProblem.ERROR_STATUS, url, status))
    request_nonce = request.nonce_value
    if request_nonce and response_nonce and request_nonce.native != response_nonce.native:
        raise OcspExchangeError(OcspFailure(OcspProblem.NONCE_MISMATCH, url))
    if answers > 1:
        # certvalidator takes the first SingleResponse that says good and never
        # looks at a second one for the same certificate that says revoked.
        raise OcspExchangeError(OcspFailure(OcspProblem.AMBIGUOUS, url, str(answers)))
    if digest in DEFAULT_WEAK_HASH_ALGOS:
        # certvalidator holds the responder's certificate to the algorithm
        # policy but not the answer's own signature; xcapki does.
        raise OcspExchangeError(OcspFailure(OcspProblem.WEAK_SIGNATURE, url, digest.upper()))
    return response


def _answers_for(request: ocsp.OCSPRequest, response: ocsp.OCSPResponse) -> int:
    """How many SingleResponses name the requested serial number (one request, one cert)."""
    serial = request["tbs_request"]["request_list"][0]["req_cert"]["serial_number"].native
    singles = response.basic_ocsp_response["tbs_response_data"]["responses"]
    return sum(1 for single in singles if single["cert_id"]["serial_number"].native == serial)
