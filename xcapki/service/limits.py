"""The service's limits on requests and connections, defined once.

Everything a request carries is bounded before it is parsed further: the body
(``ServiceConfig.max_body_bytes``), the number of form and JSON fields, every
field's length, the nesting depth of ``tbsPackage`` and the query string. A
request past a limit is refused with the protocol's ``BAD_REQUEST`` (or
``REQUEST_TOO_LARGE``) answer, never an HTTP 500.

Connections are bounded too (see ``xcapki.service.connections``): a request's
head must arrive within ``header_timeout_seconds`` of the connection opening
(or of the previous answer on a kept-alive connection), its body within
``body_timeout_seconds``; at most ``max_connections`` are open, and when a new
one arrives at the cap the longest-waiting connection without a request in
progress is closed to make room, so stuck or hostile local programs holding
connections open cannot shut the browser out. At most
``max_requests_per_client`` requests run at once per client (the page's
origin; requests without an Origin header count as one client).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from xcapki.service.errors import HipkiCode, HipkiError, ServiceConfigError

__all__ = ["ServiceLimits", "check_length", "load_json"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceLimits:
    """Limits on what one request may carry and on the connections the server keeps."""

    max_json_depth: int = 4
    """Nesting of ``tbsPackage`` (a HiPKI package is one flat object: depth 1)."""
    max_fields: int = 64
    """Fields in a form, in ``tbsPackage`` and in a query string."""
    max_field_chars: int = 4096
    """Every field's name and value, except the bulk data (``tbs``: bounded by the body)."""
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    max_connections: int = 128
    max_requests_per_client: int = 32

    def __post_init__(self) -> None:
        numbers = {
            "max_json_depth": self.max_json_depth,
            "max_fields": self.max_fields,
            "max_field_chars": self.max_field_chars,
            "header_timeout_seconds": self.header_timeout_seconds,
            "body_timeout_seconds": self.body_timeout_seconds,
            "keep_alive_seconds": self.keep_alive_seconds,
            "max_connections": self.max_connections,
            "max_requests_per_client": self.max_requests_per_client,
        }
        for name, value in numbers.items():
            if value <= 0:
                raise ServiceConfigError(f"ServiceLimits.{name} must be positive, not {value}")
        if self.max_connections < 8:
            raise ServiceConfigError(
                "ServiceLimits.max_connections below 8 shuts out a browser's parallel requests"
            )


def _bad(message: str) -> HipkiError:
    return HipkiError(message, ret_code=HipkiCode.BAD_REQUEST, http_status=400)


def check_length(value: str, name: str, limits: ServiceLimits) -> str:
    """``value`` if it is at most ``max_field_chars`` long, else a refusal naming ``name``."""
    if len(value) > limits.max_field_chars:
        raise _bad(
            f"{name[:64]} is {len(value)} characters long, more than the"
            f" {limits.max_field_chars} allowed: send a shorter value"
        )
    return value


class _DuplicateField(ValueError):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _unique_fields(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object whose fields are all distinct: with two ``pin`` or ``func`` fields
    there is no telling which one the page meant (parsers disagree), so none is used."""
    fields = dict(pairs)
    if len(fields) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateField(key)
            seen.add(key)
    return fields


def load_json(text: str, limits: ServiceLimits, name: str) -> object:
    """``text`` parsed as JSON, refused when malformed, when an object repeats a field, or
    when nested past ``max_json_depth``.

    The parser stops itself (``RecursionError``) at Python's recursion limit; below
    that, the depth is measured on the result without recursing.
    """
    too_deep = _bad(
        f"{name} is nested more than {limits.max_json_depth} levels deep: send a flat JSON"
        " object of strings"
    )
    try:
        value = json.loads(text, object_pairs_hook=_unique_fields)
    except RecursionError:
        raise too_deep from None
    except _DuplicateField as duplicate:
        raise _bad(
            f"{name} gives the field {duplicate.field[:64]!r} twice: send each field once"
        ) from None
    except ValueError:
        raise _bad(f"{name} is not JSON: send a JSON object") from None
    pending: list[tuple[object, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Iterable[object] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limits.max_json_depth:
            raise too_deep
        pending.extend((child, depth + 1) for child in children)
    return value
