"""CORS answers: who may read the service's answers from a page of another origin.

``/p11Image.bmp`` is readable by any origin (an untrusted one reads only that it is
untrusted, which it needs to open ``/addDomain``); ``/pkcs11info`` by trusted
origins only, including their preflight (a page reading it by XMLHttpRequest
with its own headers). An old Private Network Access preflight is answered too.
"""

from __future__ import annotations

import re

from starlette.requests import Request

__all__ = ["cors_headers", "preflight_headers"]

_HEADER_NAMES = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$")
_PREFLIGHT_MAX_AGE = "600"


def cors_headers(origin: str | None) -> dict[str, str]:
    """Headers letting ``origin`` read the answer; none without an Origin."""
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(request: Request) -> dict[str, str]:
    """The preflight answer for a trusted origin: GET and POST, with the headers it asked
    for when they are header names."""
    headers = {
        **cors_headers(request.headers.get("origin")),
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Max-Age": _PREFLIGHT_MAX_AGE,
    }
    asked = request.headers.get("access-control-request-headers", "").strip()
    if asked and _HEADER_NAMES.match(asked):
        headers["Access-Control-Allow-Headers"] = asked
    if request.headers.get("access-control-request-private-network", "").lower() == "true":
        headers["Access-Control-Allow-Private-Network"] = "true"
    return headers
