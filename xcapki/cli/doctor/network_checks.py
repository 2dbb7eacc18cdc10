"""Network checks for the manual's Q3 and the local service port.

No library layer talks to portals or probes ports, so these few probes live
here, scoped to what the doctor reports: the proxy variables, the portal's
name (or the proxy's), an HTTPS request through ``urllib`` (which honours
the proxy variables as browsers on Linux do), and whether the HiPKI port is
free, held by a HiPKI-compatible service, or by something else.
"""

from __future__ import annotations

import errno
import os
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Final

from xcapki.cli.doctor.model import CheckId, Recorder, Verdict

__all__ = ["PROXY_VARIABLES", "check_network", "check_service_port"]

PROXY_VARIABLES: Final = (
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
    "NO_PROXY", "no_proxy",
)  # fmt: skip
_BODY_LIMIT = 4096
_HIPKI_MARKER = b"version:"


def _redacted(value: str) -> str:
    """A proxy URL without the password it may carry."""
    parts = urllib.parse.urlsplit(value)
    if parts.password is None:
        return value
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _proxy_for(url: str) -> str | None:
    """The proxy urllib will use for ``url``, or None for a direct connection."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    if parts.hostname and urllib.request.proxy_bypass(parts.hostname):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


def check_network(recorder: Recorder, portal_url: str, timeout: float) -> None:
    """Record the proxy, DNS and TLS checks for ``portal_url``."""
    if not _check_proxy(recorder):
        recorder.skip_after((CheckId.PORTAL_DNS, CheckId.PORTAL_TLS), CheckId.PROXY)
        return
    if not _check_dns(recorder, portal_url, timeout):
        recorder.skip_after((CheckId.PORTAL_TLS,), CheckId.PORTAL_DNS)
        return
    _check_tls(recorder, portal_url, timeout)


def _check_proxy(recorder: Recorder) -> bool:
    present = [(name, os.environ[name]) for name in PROXY_VARIABLES if os.environ.get(name)]
    if not present:
        recorder.add(CheckId.PROXY, Verdict.OK, "doctor.proxy.none")
        return True
    for name, value in present:
        if name.lower() == "no_proxy":
            continue
        parts = urllib.parse.urlsplit(value if "://" in value else f"http://{value}")
        try:
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            port_ok = False
        if not parts.hostname or not port_ok:
            recorder.add(
                CheckId.PROXY,
                Verdict.FAIL,
                "doctor.proxy.invalid",
                "doctor.proxy.invalid.remedy",
                variable=name,
                value=_redacted(value),
            )
            return False
    shown = ", ".join(f"{name}={_redacted(value)}" for name, value in present)
    recorder.add(CheckId.PROXY, Verdict.OK, "doctor.proxy.set", variables=shown)
    return True


def _resolve(host: str, timeout: float) -> list[str]:
    """The addresses of ``host``; getaddrinfo has no timeout, so it runs in a daemon thread."""
    outcome: dict[str, object] = {}

    def lookup() -> None:
        try:
            outcome["addresses"] = sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
        except OSError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=lookup, name="xcapki-doctor-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    if "addresses" not in outcome:
        raise TimeoutError(f"no answer within {timeout:g} s")
    addresses: list[str] = outcome["addresses"]  # type: ignore[assignment]
    return addresses


def _check_dns(recorder: Recorder, url: str, timeout: float) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    proxy = _proxy_for(url)
    target = host
    if proxy is not None:
        target = (
            urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname or ""
        )
    try:
        addresses = ", ".join(_resolve(target, timeout))
    except OSError as exc:
        recorder.add(
            CheckId.PORTAL_DNS,
            Verdict.FAIL,
            "doctor.dns.failed",
            "doctor.dns.failed.remedy",
            host=target,
            detail=exc.strerror or str(exc),
        )
        return False
    if proxy is None:
        recorder.add(
            CheckId.PORTAL_DNS, Verdict.OK, "doctor.dns.ok", host=host, addresses=addresses
        )
    else:
        recorder.add(
            CheckId.PORTAL_DNS,
            Verdict.OK,
            "doctor.dns.via_proxy",
            host=host,
            proxy=_redacted(proxy),
            addresses=addresses,
        )
    return True


def _check_tls(recorder: Recorder, url: str, timeout: float) -> None:
    proxy = _proxy_for(url)
    host = urllib.parse.urlsplit(url).hostname or url
    request = urllib.request.Request(url, headers={"User-Agent": "xcapki-doctor"})  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - the user names the portal URL
            request, timeout=timeout, context=ssl.create_default_context()
        ) as response:
            status = response.status
    except urllib.error.HTTPError as answered:
        status = answered.code
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        _tls_failed(recorder, url, host, proxy, reason)
        return
    recorder.add(CheckId.PORTAL_TLS, Verdict.OK, "doctor.tls.ok", url=url, status=status)


def _tls_failed(recorder: Recorder, url: str, host: str, proxy: str | None, reason: object) -> None:
    detail = str(reason)
    if isinstance(reason, ssl.SSLError):
        recorder.add(
            CheckId.PORTAL_TLS,
            Verdict.FAIL,
            "doctor.tls.handshake",
            "doctor.tls.handshake.remedy",
            host=host,
            detail=getattr(reason, "verify_message", None) or reason.reason or detail,
        )
    elif proxy is not None:
        recorder.add(
            CheckId.PORTAL_TLS,
            Verdict.FAIL,
            "doctor.tls.proxy",
            "doctor.tls.proxy.remedy",
            proxy=_redacted(proxy),
            detail=detail,
        )
    else:
        recorder.add(
            CheckId.PORTAL_TLS,
            Verdict.FAIL,
            "doctor.tls.connect",
            "doctor.tls.connect.remedy",
            url=url,
            detail=detail,
        )


def check_service_port(recorder: Recorder, port: int, timeout: float) -> None:
    """Record whether ``port`` on loopback is free, HiPKI-compatible, or held by another program."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=min(timeout, 2.0)):
            pass
    except ConnectionRefusedError:
        recorder.add(CheckId.SERVICE_PORT, Verdict.OK, "doctor.port.free", port=port)
        return
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.EADDRNOTAVAIL):
            recorder.add(CheckId.SERVICE_PORT, Verdict.OK, "doctor.port.free", port=port)
            return
    banner = _hipki_banner(port, timeout)
    if banner is not None:
        recorder.add(
            CheckId.SERVICE_PORT,
            Verdict.OK,
            "doctor.port.signing_service",
            "doctor.port.signing_service.remedy",
            port=port,
            banner=banner,
        )
        return
    recorder.add(
        CheckId.SERVICE_PORT,
        Verdict.FAIL,
        "doctor.port.taken",
        "doctor.port.taken.remedy",
        port=port,
    )


def _hipki_banner(port: int, timeout: float) -> str | None:
    """The ``version:...`` line a HiPKI-compatible server answers ``GET /`` with, if any."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}/", timeout=min(timeout, 3.0)) as response:
            body: bytes = response.read(_BODY_LIMIT)
    except (urllib.error.URLError, OSError, ValueError):
        return None
    for line in body.splitlines():
        marker = line.find(_HIPKI_MARKER)
        if marker >= 0:
            return line[marker:].decode("ascii", "replace").strip()
    return None
