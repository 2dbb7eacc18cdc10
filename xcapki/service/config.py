"""How the local signing service is configured, and how it asks the user things.

The service asks the user twice: for a PIN in ``PinMode.LOCAL`` (so the page
never sees it) and to trust a new site (``/addDomain``). Both questions go
through plain callables, so ``xcapki serve`` asks on the terminal, a desktop
wrapper can show a dialog, and tests answer directly.
"""

from __future__ import annotations

import enum
import getpass
import ipaddress
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from xcapki.hipki import HIPKI_PORT
from xcapki.service.errors import ServiceConfigError
from xcapki.service.limits import ServiceLimits
from xcapki.token.pin import PinState

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DomainApproval",
    "DomainApprover",
    "DomainRequest",
    "PinMode",
    "PinPrompter",
    "PinRateLimit",
    "PinRequest",
    "ServiceConfig",
    "default_trust_list_path",
    "terminal_domain_approver",
    "terminal_pin_prompter",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = HIPKI_PORT


class PinMode(enum.Enum):
    """Who collects the PIN."""

    PAGE = "page"
    """HiPKI-compatible: the page sends the PIN in ``tbsPackage``."""
    LOCAL = "local"
    """Secure: the service asks the user itself; a PIN sent by the page is ignored."""


class DomainApproval(enum.Enum):
    """Where the user answers ``/addDomain``."""

    POPUP = "popup"
    """In the popup the page opened (buttons; the trust button waits a moment)."""
    PROMPT = "prompt"
    """Through ``ServiceConfig.domain_approver`` (the terminal, or a desktop dialog)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PinRequest:
    """What the user is told when the service asks for a PIN."""

    origin: str
    token: str
    pin_state: PinState
    operation: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DomainRequest:
    """A site asking to be trusted; ``requested_by`` is the asking page's origin, if known."""

    domain: str
    requested_by: str | None


PinPrompter = Callable[[PinRequest], str | None]
"""Returns the PIN, or None when the user cancels."""
DomainApprover = Callable[[DomainRequest], bool]
"""Returns True when the user trusts the domain."""

_terminal = threading.Lock()


def terminal_pin_prompter(request: PinRequest) -> str | None:
    """Ask for the PIN on the controlling terminal; None without a terminal."""
    if not sys.stdin.isatty():
        return None
    warning = ""
    if request.pin_state is PinState.FINAL_TRY:
        warning = "\n  WARNING: one try is left; a wrong PIN now locks the card."
    elif request.pin_state is PinState.COUNT_LOW:
        warning = "\n  Note: the card reports failed tries; check the PIN."
    with _terminal:
        print(
            f"\n{request.origin} asks to use {request.token}: {request.operation}.{warning}",
            file=sys.stderr,
        )
        answer = getpass.getpass("PIN (empty to refuse): ")
    return answer or None


def terminal_domain_approver(request: DomainRequest) -> bool:
    """Ask on the controlling terminal whether to trust the domain; False without one."""
    if not sys.stdin.isatty():
        logging.getLogger("xcapki.service").warning(
            "%s asked to be trusted, but there is no terminal to ask: refused (serve with"
            " --approve-sites popup to answer in the browser)",
            request.domain,
        )
        return False
    asked_by = f" (asked by {request.requested_by})" if request.requested_by else ""
    with _terminal:
        print(f"\nTrust {request.domain!r} to use your card{asked_by}?", file=sys.stderr)
        answer = input("Type yes to trust it: ")
    return answer.strip().lower() == "yes"


def default_trust_list_path() -> Path:
    """``$XDG_CONFIG_HOME/xcapki/trusted-origins.json`` (``~/.config`` by default)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "xcapki" / "trusted-origins.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class PinRateLimit:
    """At most ``max_failures`` wrong or malformed PINs per origin within ``window_seconds``."""

    max_failures: int = 5
    window_seconds: float = 300.0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceConfig:
    """Everything ``create_app`` and ``run_service`` need; the defaults match HiPKI."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    module_path: Path | None = None
    """The PKCS#11 module; None discovers it (``$XCAPKI_PKCS11_MODULE``, then known paths)."""
    pin_mode: PinMode = PinMode.PAGE
    trust_list_path: Path = field(default_factory=default_trust_list_path)
    pin_rate_limit: PinRateLimit = PinRateLimit()
    max_body_bytes: int = 1 << 20
    pin_prompter: PinPrompter = terminal_pin_prompter
    domain_approval: DomainApproval = DomainApproval.POPUP
    domain_approver: DomainApprover = terminal_domain_approver
    """Asked in ``DomainApproval.PROMPT``."""
    approval_delay_seconds: float = 2.0
    """How long the popup must be shown before its trust button works (anti-clickjacking)."""
    session_idle_seconds: float = 300.0
    """A card session unused this long is logged out."""
    reported_version: str | None = None
    """The ``version`` reported to pages; None reports xcapki's own as four numbers."""
    limits: ServiceLimits = field(default_factory=ServiceLimits)
    """Request and connection limits (``xcapki.service.limits``)."""

    def __post_init__(self) -> None:
        if not _is_loopback(self.host):
            raise ServiceConfigError(
                f"the service binds to loopback only, not {self.host!r}: use 127.0.0.1 or ::1"
            )
        if not 1 <= self.port <= 65535:
            raise ServiceConfigError(f"port {self.port} is out of range: use 1 to 65535")
        if self.max_body_bytes < 1024:
            raise ServiceConfigError("max_body_bytes below 1024 refuses every request: raise it")
        if self.pin_rate_limit.max_failures < 1 or self.pin_rate_limit.window_seconds <= 0:
            raise ServiceConfigError("the PIN rate limit needs at least 1 failure and a window > 0")
        if not 0 <= self.approval_delay_seconds <= 60:
            raise ServiceConfigError("approval_delay_seconds must be between 0 and 60")
        if self.session_idle_seconds <= 0:
            raise ServiceConfigError("session_idle_seconds must be positive")
