"""What ``xcapki demo`` is asked to do; light, so the CLI can build it before any web import."""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from xcapki.crypto.validation import RevocationMode
from xcapki.hipki import HIPKI_PORT
from xcapki.token.pin import PinSource

__all__ = [
    "DEFAULT_PORTAL_PORT",
    "DEFAULT_SERVICE_PORT",
    "REVOCATION_MODES",
    "DemoLogin",
    "DemoOptions",
    "default_directory",
]

DEFAULT_SERVICE_PORT: Final = HIPKI_PORT
"""HiPKI's port, which government pages open."""
DEFAULT_PORTAL_PORT: Final = 61180
REVOCATION_MODES: Final = {
    "off": RevocationMode.OFF,
    "soft": RevocationMode.SOFT_FAIL,
    "hard": RevocationMode.HARD_FAIL,
    "require": RevocationMode.REQUIRE,
}


class DemoLogin(enum.Enum):
    """Which of the portal's logins the demo makes; the value is the ``--login`` choice."""

    HIPKI = "hipki"
    """Through the HiPKI-compatible local signing service."""
    SMARTPKI = "smartpki"
    """The SmartPKI-style form login, through the native host (as the extension would)."""
    WEB_EID = "webeid"
    """Web eID, through the native host; the portal is then served over https."""


def default_directory() -> Path:
    """``$XCAPKI_HOME``, else ``~/.local/share/xcapki/virtual-cards`` (as virtual-card create)."""
    home = os.environ.get("XCAPKI_HOME")
    if home:
        return Path(home)
    return Path.home() / ".local" / "share" / "xcapki" / "virtual-cards"


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions:
    """What ``xcapki demo`` was asked to do.

    ``module_path`` None means the virtual card under ``directory``; with a
    module, the real card (``token`` picks one by serial or label) and
    ``pin_source`` gives its PIN. Ports 0 pick free ones.
    """

    directory: Path
    module_path: Path | None = None
    token: str | None = None
    pin_source: PinSource | None = field(default=None, repr=False)
    service_port: int = DEFAULT_SERVICE_PORT
    portal_port: int = DEFAULT_PORTAL_PORT
    revocation_mode: RevocationMode = RevocationMode.HARD_FAIL
    login: DemoLogin = DemoLogin.HIPKI
