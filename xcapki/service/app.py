"""The Starlette application: HiPKI's endpoints over ``HipkiOperations``."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from xcapki.service.approval import SiteApprovals
from xcapki.service.approval_page import APPROVAL_HEADERS
from xcapki.service.cards import CardAccess
from xcapki.service.config import ServiceConfig
from xcapki.service.connections import ClientGate, ConnectionRegistry
from xcapki.service.cors import cors_headers, preflight_headers
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.http import (
    HostGuard,
    func_for_path,
    loopback_origins,
    page_origin,
    read_body,
)
from xcapki.service.limits import check_length
from xcapki.service.openapi import openapi_document
from xcapki.service.operations import HipkiOperations
from xcapki.service.popup import POPUP_HEADERS, POPUP_HTML
from xcapki.service.probe_image import WAITING_GIF, text_bitmap
from xcapki.service.protocol import (
    PackageFunction,
    answer,
    package_function,
    parse_form,
    parse_tbs_package,
)
from xcapki.service.ratelimit import PinFailureLimiter
from xcapki.service.self_test import SELF_TEST_HEADERS, SELF_TEST_HTML
from xcapki.service.trust import TrustList

__all__ = ["create_app", "service_version"]

_JSON_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
_ANSWER_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _encoded(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


class _Answer(JSONResponse):
    """A HiPKI JSON answer: compact, UTF-8 as is, never cached."""

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(content, status_code=status_code, headers=_JSON_HEADERS)

    def render(self, content: Any) -> bytes:
        return _ANSWER_ENCODER.encode(content).encode()


def service_version(config: ServiceConfig) -> str:
    """The four-number version reported to pages."""
    if config.reported_version is not None:
        return config.reported_version
    try:
        release = importlib.metadata.version("xcapki")
    except importlib.metadata.PackageNotFoundError:
        release = "0.0.0"
    numbers = [part for part in release.split(".")[:4] if part.isdigit()]
    return ".".join([*numbers, "0", "0", "0", "0"][:4])


Handler = Callable[[Request], Awaitable[dict[str, Any]]]


def _json_endpoint(
    version: str, handler: Handler, *, cors: Callable[[str | None], bool] | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` so a ``HipkiError`` becomes its HiPKI answer; with ``cors``, an origin
    it accepts may read the answer (a trusted page's direct XMLHttpRequest)."""

    async def endpoint(request: Request) -> Response:
        try:
            body = await handler(request)
            status = 200
        except HipkiError as refusal:
            body = answer(
                func_for_path(request.url.path),
                version,
                ret_code=refusal.ret_code,
                last_error=refusal.last_error,
                message=str(refusal),
            )
            status = refusal.http_status
        response = _Answer(body, status_code=status)
        if cors is not None:
            origin = request.headers.get("origin")
            if origin is not None and cors(origin):
                response.raw_headers += _encoded(cors_headers(origin))
        return response

    return endpoint


Endpoint = Callable[[Request], Awaitable[Response]]


def _by_method(default: Endpoint, **others: Endpoint) -> Endpoint:
    """One endpoint per HTTP method on a path (one route, so a 405 lists every method)."""

    async def endpoint(request: Request) -> Response:
        return await others.get(request.method, default)(request)

    return endpoint


def _client_of(trust: TrustList, own_origins: frozenset[str]) -> Callable[[bytes], bytes]:
    """Whose turns a request takes (``ClientGate``), from its Origin header: the trust entry
    admitting the origin; the service's own pages; no Origin; or, all together, every origin
    no entry admits. A site gains no share from more ports, subdomains or spellings."""

    def client_of(origin: bytes) -> bytes:
        if not origin:
            return b"no origin"
        text = origin.decode("latin-1")
        if text in own_origins:
            return b"own pages"
        entry = trust.entry_for(text)
        return b"untrusted" if entry is None else b"trusted " + entry.encode()

    return client_of


def create_app(config: ServiceConfig) -> Starlette:
    """The HiPKI-compatible service as an ASGI app (for ``run_service``, tests, embedding)."""
    version = service_version(config)
    own_origins = loopback_origins(config.port)
    trust = TrustList(config.trust_list_path)
    approvals = SiteApprovals(config, version=version, trust=trust)
    operations = HipkiOperations(
        config,
        version=version,
        trust=trust,
        cards=CardAccess(config),
        limiter=PinFailureLimiter(config.pin_rate_limit),
    )

    limits = config.limits
    registry = ConnectionRegistry(limits)

    async def form_of(request: Request) -> dict[str, str]:
        if request.method != "POST":
            return {}
        body = await read_body(request, config.max_body_bytes, limits.body_timeout_seconds)
        return parse_form(body, limits)

    async def package_form(request: Request) -> dict[str, str]:
        """The form holding tbsPackage; a FormData object would otherwise read as a form
        without one, which sends the page's developer looking in the wrong place."""
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            raise HipkiError(
                "the form came as multipart/form-data (a FormData object), which HiPKI pages"
                " do not send: send tbsPackage=<JSON> URL-encoded (URLSearchParams)",
                ret_code=HipkiCode.BAD_REQUEST,
                http_status=400,
            )
        return await form_of(request)

    async def home(request: Request) -> Response:
        return PlainTextResponse(
            f"xcapki local signing service (HiPKI protocol)\nversion:{version}\n",
            headers=_JSON_HEADERS,
        )

    async def pkcs11info(request: Request) -> dict[str, Any]:
        form = await form_of(request)
        flag = request.query_params.get("withcert", "false").lower()
        if flag not in ("true", "false"):
            raise HipkiError(
                "withcert must be true or false", ret_code=HipkiCode.BAD_REQUEST, http_status=400
            )
        with_certs = flag == "true"
        origin = page_origin(request, form, own_origins)
        return await operations.pkcs11info(with_certs=with_certs, origin=origin)

    async def sign(request: Request) -> dict[str, Any]:
        form = await package_form(request)
        package = parse_tbs_package(form.get("tbsPackage"), limits)
        if package_function(package) is not PackageFunction.MAKE_SIGNATURE:
            raise HipkiError(
                "/sign takes func MakeSignature", ret_code=HipkiCode.BAD_REQUEST, http_status=400
            )
        return await operations.sign(package, page_origin(request, form, own_origins))

    async def decrypt(request: Request) -> dict[str, Any]:
        form = await package_form(request)
        package = parse_tbs_package(form.get("tbsPackage"), limits)
        if package_function(package) is not PackageFunction.DECRYPT_DATA:
            raise HipkiError(
                "/decrypt takes func DecryptData", ret_code=HipkiCode.BAD_REQUEST, http_status=400
            )
        return await operations.decrypt(package, page_origin(request, form, own_origins))

    async def add_domain(request: Request) -> Response:
        domain = request.query_params.get("domain")
        try:
            if domain is None:
                raise HipkiError(
                    "the domain is missing: open /addDomain?domain=<host name>",
                    ret_code=HipkiCode.BAD_REQUEST,
                    http_status=400,
                )
            check_length(domain, "domain", limits)
        except HipkiError as refusal:
            refused = answer("addDomain", version, ret_code=refusal.ret_code, message=str(refusal))
            return _Answer(refused, status_code=refusal.http_status)
        page = approvals.ask_domain(domain, request.headers.get("referer"))
        return HTMLResponse(page, headers=APPROVAL_HEADERS)

    async def answer_domain(request: Request) -> dict[str, Any]:
        origin = request.headers.get("origin")
        if origin is None or origin.lower() not in own_origins:
            raise HipkiError(
                "only the /addDomain popup itself can answer it: approve in the popup",
                ret_code=HipkiCode.FORBIDDEN_DOMAIN,
                http_status=403,
            )
        form = await form_of(request)
        return await approvals.answer_domain(form.get("ticket", ""), form.get("answer", ""))

    async def probe_image(request: Request) -> Response:
        origin = request.headers.get("origin")
        if origin is not None and not operations.trusts(origin):
            approvals.remember_probe(origin)
        text = json.dumps(await operations.probe(origin), separators=(",", ":"))
        headers = {**_JSON_HEADERS, **cors_headers(origin)}
        return Response(text_bitmap(text), media_type="image/bmp", headers=headers)

    async def waiting(request: Request) -> Response:
        return Response(WAITING_GIF, media_type="image/gif", headers={"Cache-Control": "no-store"})

    async def self_test(request: Request) -> Response:
        return HTMLResponse(SELF_TEST_HTML, headers=SELF_TEST_HEADERS)

    async def preflight(request: Request) -> Response:
        origin = request.headers.get("origin")
        if not operations.trusts(origin):
            return PlainTextResponse("this site is not trusted to use the card", status_code=403)
        return Response(status_code=204, headers=preflight_headers(request))

    async def popup_form(request: Request) -> Response:
        return HTMLResponse(POPUP_HTML, headers=POPUP_HEADERS)

    document = openapi_document(version)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document, headers=_JSON_HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(min(30.0, config.session_idle_seconds / 2))
                await operations.close_idle_sessions()

        sweeper = asyncio.create_task(sweep())
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            await operations.close()

    application = Starlette(
        routes=[
            Route("/", home, methods=["GET"]),
            Route(
                "/pkcs11info",
                _by_method(
                    _json_endpoint(version, pkcs11info, cors=operations.trusts),
                    OPTIONS=preflight,
                ),
                methods=["GET", "POST", "OPTIONS"],
            ),
            Route("/sign", _json_endpoint(version, sign), methods=["POST"]),
            Route("/decrypt", _json_endpoint(version, decrypt), methods=["POST"]),
            Route(
                "/addDomain",
                _by_method(add_domain, POST=_json_endpoint(version, answer_domain)),
                methods=["GET", "POST"],
            ),
            Route("/p11Image.bmp", probe_image, methods=["GET"]),
            Route("/waiting.gif", waiting, methods=["GET"]),
            Route("/selfTest.htm", self_test, methods=["GET"]),
            Route("/popupForm", popup_form, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        middleware=[
            Middleware(
                ClientGate,
                registry=registry,
                version=version,
                client_of=_client_of(trust, own_origins),
            ),
            Middleware(HostGuard, port=config.port, version=version),
        ],
        lifespan=lifespan,
    )
    application.state.connections = registry
    return application
