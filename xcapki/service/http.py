"""HTTP guards: loopback Host names only, bounded and timed bodies, and the page's origin.

The Host check defeats DNS rebinding: a page on ``evil.example`` whose name
is re-pointed at 127.0.0.1 still sends ``Host: evil.example``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from xcapki.service.errors import HipkiCode, HipkiError

__all__ = [
    "HostGuard",
    "func_for_path",
    "loopback_origins",
    "page_origin",
    "read_body",
    "refusal_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_FUNC_FOR_PATH = {
    "/sign": "sign",
    "/pkcs11info": "pkcs11info",
    "/decrypt": "decrypt",
    "/addDomain": "addDomain",
}


def func_for_path(path: str) -> str:
    """The ``func`` an answer on ``path`` carries."""
    return _FUNC_FOR_PATH.get(path, "error")


def loopback_origins(port: int) -> frozenset[str]:
    """The service's own origins (where /popupForm is served from)."""
    return frozenset(f"http://{name}:{port}" for name in _LOOPBACK_NAMES)


def refusal_response(
    path: str, version: str, code: HipkiCode, status: int, message: str
) -> JSONResponse:
    """A HiPKI answer refusing a request before it reached its endpoint."""
    body = {
        "func": func_for_path(path),
        "ret_code": int(code),
        "last_error": 0,
        "version": version,
        "message": message,
    }
    return JSONResponse(body, status_code=status)


class HostGuard:
    """ASGI middleware answering 403 to any request whose Host is not a loopback name."""

    def __init__(self, app: App, *, port: int, version: str) -> None:
        self._app = app
        self._allowed = frozenset(f"{name}:{port}".encode() for name in _LOOPBACK_NAMES)
        self._version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hosts = [v for k, v in scope["headers"] if k == b"host"]
            if len(hosts) != 1 or hosts[0].lower() not in self._allowed:
                response = refusal_response(
                    scope["path"],
                    self._version,
                    HipkiCode.FORBIDDEN_DOMAIN,
                    403,
                    "the Host header is not a loopback name: open the service as"
                    " http://localhost:<port>",
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (read no further than that)
    and with 408 when it has not arrived within ``timeout`` seconds."""
    too_large = HipkiError(
        f"the request is larger than {limit} bytes: send less data per request",
        ret_code=HipkiCode.REQUEST_TOO_LARGE,
        http_status=413,
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise HipkiError(
            f"the request body did not arrive within {timeout:g} seconds: send it again",
            ret_code=HipkiCode.BAD_REQUEST,
            http_status=408,
        ) from None
    except ClientDisconnect:
        raise HipkiError(
            "the page closed the connection before its request arrived: send it again",
            ret_code=HipkiCode.BAD_REQUEST,
            http_status=400,
        ) from None
    return b"".join(chunks)


def page_origin(request: Request, form: dict[str, str], own_origins: frozenset[str]) -> str | None:
    """The origin of the page asking: the Origin header, or, for requests made by our own
    /popupForm, the opener's origin it relays."""
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() in own_origins:
        return form.get("pageOrigin") or None
    return origin
