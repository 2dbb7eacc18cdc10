"""The HiPKI local service's address, which government pages open: one definition.

The signing service (``xcapki serve``), the CLI's defaults, the example
portal and the service's OpenAPI document all take it from here. This module
imports nothing, so the CLI can read it before any web framework loads.
"""

from __future__ import annotations

from typing import Final

__all__ = ["HIPKI_PORT", "HIPKI_SERVICE_URL"]

HIPKI_PORT: Final = 61161
"""The loopback port HiPKI's local server listens on and pages call."""

HIPKI_SERVICE_URL: Final = f"http://localhost:{HIPKI_PORT}"
"""The origin pages open for the local service (popups, fetch)."""
