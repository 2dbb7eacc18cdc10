"""Web origins (``scheme://host[:port]``), read one way by every layer that compares them.

A login binds its signature to the portal's origin, and the local service
trusts pages by the Origin header their browser sends: both must agree on
what an origin is, or a page could be trusted under one reading and refused
(or worse, accepted) under the other. Only http(s) origins qualify, with no
path, query, fragment or credentials; the host and scheme are compared in
lower case and the scheme's default port is dropped, as browsers serialise
an origin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = ["Origin", "OriginError", "origin_of_url", "parse_origin"]

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


class OriginError(ValueError):
    """Text that is no http(s) origin; the message completes "the origin '...' ".

    Never leaves xcapki: each layer raises its own typed error with this text.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """One origin: lower-case scheme and host, port None for the scheme's default."""

    scheme: str
    host: str
    """IPv6 addresses without brackets."""
    port: int | None

    def serialised(self) -> str:
        """``scheme://host[:port]``, as a browser's Origin header carries it."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port is None else f":{self.port}")


def parse_origin(text: str) -> Origin:
    """The origin ``text`` names, or ``OriginError`` saying why it names none."""
    if not isinstance(text, str) or not text.isascii():
        raise OriginError(
            "must be an ASCII string such as 'https://portal.example.tw' "
            "(write internationalised host names in punycode)"
        )
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise OriginError(f"is not a URL ({exc})") from None
    scheme = parts.scheme
    if (
        scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
        or parts.password is not None
    ):
        raise OriginError(
            "must be scheme://host[:port] with scheme http or https and nothing after the "
            "host, e.g. 'https://portal.example.tw'"
        )
    return Origin(
        scheme=scheme,
        host=parts.hostname.lower(),
        port=None if port == _DEFAULT_PORTS[scheme] else port,
    )


def origin_of_url(url: str) -> Origin:
    """The origin of a whole http(s) URL, such as a Referer: its path, query and fragment
    set aside; ``OriginError`` when it has none."""
    if not isinstance(url, str):
        raise OriginError("must be a URL string such as 'https://portal.example.tw/login'")
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise OriginError(f"is not a URL ({exc})") from None
    return parse_origin(f"{parts.scheme}://{parts.netloc}")
