"""The native host's conversation with the browser extension, over stdin and stdout.

The host first writes ``{"version": ...}`` (Web eID's handshake). The first
request then decides the protocol:

- ``{"command": ..., "arguments": {...}}``: one Web eID command, answered
  once (``{"error": {"code", "message"}}`` on failure), then the host exits;
- ``{"sites": "list"}`` / ``{"sites": "add", "origin": ...}``: the sites
  the user trusts for SmartPKI pages (adding one asks the user in a dialog
  of the host's own, which no page can draw);
- ``{"smartpki": {"type": "open", "origin": ...}}``: a SmartPKI page's
  session, followed by ``info``, ``command`` and ``close`` messages until
  the page closes or the browser disconnects.

Origins always come from the extension, which takes them from the browser's
record of the sending page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final

from xcapki.nativehost.card import CardDesk
from xcapki.nativehost.errors import (
    FramingError,
    InvalidArgumentError,
    NativeHostError,
    OriginRefusedError,
    UserCancelledError,
    UserTimeoutError,
)
from xcapki.nativehost.framing import read_message, write_message
from xcapki.nativehost.pinentry import PinDialog, Pinentry
from xcapki.nativehost.smartpki import SmartPkiSession
from xcapki.nativehost.webeid import WebEidCommands, check_arguments
from xcapki.token import TokenError

__all__ = ["HOST_NAME", "WEB_EID_REQUEST_LIMIT", "WEB_EID_VERSION", "HostConfig", "serve"]

log = logging.getLogger("xcapki.nativehost")

HOST_NAME: Final = "tw.xcapki.native_host"
"""The native messaging host name the extension connects to (not Web eID's)."""
WEB_EID_VERSION: Final = "2.9.0"
"""The Web eID protocol version the host speaks; page libraries 2.x need major 2."""
WEB_EID_REQUEST_LIMIT: Final = 8192
_FATAL: Final = "ERR_WEBEID_NATIVE_FATAL"


@dataclass(frozen=True, slots=True, kw_only=True)
class HostConfig:
    """How the host reaches the card and the user.

    ``pinentry`` None means no dialog program: Web eID commands then fail.
    ``accept_page_pin`` is SmartPKI's compatible mode: the PIN the page sends
    is used instead of the dialog (the page then sees the PIN; off by default).
    """

    module_path: Path | None
    pinentry: Pinentry | None
    sites_path: Path
    accept_page_pin: bool = False


def serve(stdin: IO[bytes], stdout: IO[bytes], config: HostConfig) -> int:
    """Talk to the extension until it is done; the exit status (0, or 1 after a framing error)."""
    desk = CardDesk(module_path=config.module_path, pinentry=config.pinentry)
    try:
        write_message(stdout, {"version": WEB_EID_VERSION})
        try:
            received = read_message(stdin)
        except FramingError as error:
            write_message(stdout, _web_eid_error(_FATAL, str(error)))
            return 1
        if received is None:
            return 0
        first, size = received
        if "command" in first:
            write_message(stdout, _web_eid(desk, first, size))
        elif "sites" in first:
            write_message(stdout, _sites(config, first))
        elif isinstance(first.get("smartpki"), dict):
            return _smartpki(desk, config, first["smartpki"], stdin, stdout)
        else:
            write_message(stdout, _web_eid_error(_FATAL, "unknown request"))
        return 0
    finally:
        desk.close()


def _web_eid(desk: CardDesk, request: dict[str, Any], size: int) -> dict[str, Any]:
    if size > WEB_EID_REQUEST_LIMIT:
        return _web_eid_error(_FATAL, f"a request of {size} bytes exceeds {WEB_EID_REQUEST_LIMIT}")
    try:
        arguments = check_arguments(request.get("command"), request.get("arguments"))
        return WebEidCommands(desk).run(request["command"], arguments)
    except UserCancelledError as error:
        return _web_eid_error("ERR_WEBEID_USER_CANCELLED", str(error))
    except UserTimeoutError as error:
        return _web_eid_error("ERR_WEBEID_USER_TIMEOUT", str(error))
    except (InvalidArgumentError, OriginRefusedError) as error:
        return _web_eid_error("ERR_WEBEID_NATIVE_INVALID_ARGUMENT", str(error))
    except (NativeHostError, TokenError) as error:
        log.info("Web eID %s failed: %s: %s", request.get("command"), type(error).__name__, error)
        return _web_eid_error(_FATAL, str(error))


def _web_eid_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _sites(config: HostConfig, request: dict[str, Any]) -> dict[str, Any]:
    from xcapki.nativehost.sites import SiteList  # the service's trust list, not needed by Web eID

    sites = SiteList(config.sites_path)
    action = request.get("sites")
    try:
        if action == "list":
            return {"sites": sorted(sites.entries)}
        if action == "add":
            origin = sites.approvable(request.get("origin"))
            if config.pinentry is None:
                raise OriginRefusedError("no dialog program to ask the user: install pinentry")
            config.pinentry.confirm(
                PinDialog(
                    title="xcapki: trust a site",
                    description=(
                        f"Allow {origin} to use your card through SmartPKI pages? Only allow"
                        " sites you know, such as your government portal."
                    ),
                    ok="Allow",
                    cancel="Cancel",
                )
            )
            sites.add(origin)
            return {"sites": sorted(sites.entries)}
    except NativeHostError as error:
        return {"error": {"code": type(error).__name__, "message": str(error)}}
    return {"error": {"code": "InvalidArgumentError", "message": "sites is list or add"}}


def _smartpki(
    desk: CardDesk,
    config: HostConfig,
    opening: dict[str, Any],
    stdin: IO[bytes],
    stdout: IO[bytes],
) -> int:
    from xcapki.nativehost.sites import SiteList

    origin = opening.get("origin")
    sites = SiteList(config.sites_path)
    if opening.get("type") != "open" or not isinstance(origin, str):
        write_message(stdout, {"smartpki": {"type": "refused", "error": "open first"}})
        return 0
    if not sites.is_trusted(origin):
        write_message(
            stdout,
            {"smartpki": {"type": "refused", "error": f"{origin} is not a trusted site"}},
        )
        return 0
    session = SmartPkiSession(desk, origin, accept_page_pin=config.accept_page_pin)
    write_message(stdout, {"smartpki": {"type": "opened"}})
    answers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        "info": lambda _: {"type": "info", "message": session.info()},
        "command": lambda m: {"type": "command", "message": session.command(m.get("request", {}))},
    }
    while True:
        try:
            received = read_message(stdin)
        except FramingError as error:
            log.warning("SmartPKI session ended: %s", error)
            return 1
        if received is None:
            return 0
        message = received[0].get("smartpki")
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "close":
            session.close()
            write_message(stdout, {"smartpki": {"type": "closed"}})
            return 0
        answer = answers.get(kind) if isinstance(kind, str) else None
        if answer is None or not isinstance(message, dict):
            write_message(stdout, {"smartpki": {"type": "refused", "error": "unknown message"}})
            continue
        write_message(stdout, {"smartpki": answer(message)})
