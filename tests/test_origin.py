"""One reading of web origins, shared by the login protocol and the local service's trust list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xcapki._origin import Origin, OriginError, origin_of_url, parse_origin
from xcapki.login import LoginConfigurationError, normalise_origin
from xcapki.service.approval import opener_origin
from xcapki.service.trust import TrustList, normalise_trust_entry


@pytest.mark.parametrize(
    ("text", "scheme", "host", "port"),
    [
        ("https://portal.example.tw", "https", "portal.example.tw", None),
        ("HTTPS://Portal.Example.TW/", "https", "portal.example.tw", None),
        ("https://portal.example.tw:443", "https", "portal.example.tw", None),
        ("http://intranet.example:80", "http", "intranet.example", None),
        ("http://intranet.example:443", "http", "intranet.example", 443),
        ("https://127.0.0.1:8443", "https", "127.0.0.1", 8443),
        ("http://[::1]:8080", "http", "::1", 8080),
    ],
)
def test_origins_are_read_as_browsers_serialise_them(
    text: str, scheme: str, host: str, port: int | None
) -> None:
    assert parse_origin(text) == Origin(scheme=scheme, host=host, port=port)


@pytest.mark.parametrize(
    ("origin", "serialised"),
    [
        (Origin(scheme="https", host="portal.example.tw", port=None), "https://portal.example.tw"),
        (Origin(scheme="http", host="10.0.0.1", port=8080), "http://10.0.0.1:8080"),
        (Origin(scheme="http", host="::1", port=8080), "http://[::1]:8080"),
    ],
)
def test_serialised_origins(origin: Origin, serialised: str) -> None:
    assert origin.serialised() == serialised


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("https://台灣.tw", "must be an ASCII string"),
        ("https://portal.example.tw:99999", "is not a URL"),
        ("https://[::1", "is not a URL"),
        ("//portal.example.tw", "must be scheme://host"),
        ("ftp://portal.example.tw", "must be scheme://host"),
        ("https://", "must be scheme://host"),
        ("https://portal.example.tw/login", "must be scheme://host"),
        ("https://portal.example.tw?x=1", "must be scheme://host"),
        ("https://portal.example.tw#top", "must be scheme://host"),
        ("https://user:pw@portal.example.tw", "must be scheme://host"),
        ("https://@portal.example.tw", "must be scheme://host"),
        ("https://:pw@portal.example.tw", "must be scheme://host"),
    ],
)
def test_non_origins_say_why(text: str, reason: str) -> None:
    with pytest.raises(OriginError, match=reason.replace("?", r"\?")):
        parse_origin(text)
    with pytest.raises(LoginConfigurationError, match=f"^the origin .* {reason}"):
        normalise_origin(text)
    assert normalise_trust_entry(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "https://portal.example.tw",
        "https://portal.example.tw:443",
        "https://Portal.Example.TW/",
        "http://intranet.example:8080",
        "http://intranet.example:80",
    ],
)
def test_the_login_and_the_trust_list_normalise_alike(text: str) -> None:
    assert normalise_trust_entry(text) == normalise_origin(text)


def test_an_entry_with_the_default_port_trusts_the_origin_browsers_send(tmp_path: Path) -> None:
    path = tmp_path / "trusted-origins.json"
    path.write_text(json.dumps({"origins": ["https://portal.example.tw:443"]}), encoding="utf-8")
    trust = TrustList(path)
    assert trust.entries == {"https://portal.example.tw"}
    assert trust.is_trusted("https://portal.example.tw")
    assert not trust.is_trusted("https://portal.example.tw:8443")


def test_the_trust_list_takes_no_ipv6_or_odd_host_that_the_login_accepts() -> None:
    assert normalise_origin("http://[::1]:8080") == "http://[::1]:8080"
    assert normalise_trust_entry("http://[::1]:8080") is None
    assert normalise_origin("https://under_score.example") == "https://under_score.example"
    assert normalise_trust_entry("https://under_score.example") is None


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://Portal.Example.TW/login?next=/a#top", "https://portal.example.tw"),
        ("https://portal.example.tw:443/", "https://portal.example.tw"),
        ("http://127.0.0.1:8443/form.html", "http://127.0.0.1:8443"),
        ("https://[::1]:9000/x", "https://[::1]:9000"),
    ],
)
def test_a_page_url_gives_its_origin(url: str, origin: str) -> None:
    assert origin_of_url(url).serialised() == origin
    assert opener_origin(url) == origin


@pytest.mark.parametrize(
    "url", ["", "about:blank", "file:///tmp/a.html", "https://user@portal.example.tw/", "//x"]
)
def test_a_url_without_an_origin_gives_none(url: str) -> None:
    assert opener_origin(url) is None
    if url:
        with pytest.raises(OriginError):
            origin_of_url(url)
