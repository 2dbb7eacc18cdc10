"""The example portal and the ``xcapki demo`` journey.

``create_portal_app(PortalConfig)`` is a small 全國商工行政服務入口網 member
area that logs users in with their card through the HiPKI-compatible local
signing service and admits only XCA logins to 會計師查核簽證線上申報系統.
``xcapki.demo.run`` (``xcapki demo``) starts it with a test PKI, a virtual XCA
card and the local service, and logs in once. Needs the ``service`` and
``card`` extras; names load on first use so that ``xcapki.demo.run`` can say
so plainly when they are missing. See docs/quickstart.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xcapki.demo.portal import (
        DEFAULT_SERVICE_URL,
        PortalConfig,
        create_portal_app,
        policy_admits,
    )

__all__ = ["DEFAULT_SERVICE_URL", "PortalConfig", "create_portal_app", "policy_admits"]


def __getattr__(name: str) -> object:
    """Load a public name from ``xcapki.demo.portal`` on first use."""
    if name not in __all__:
        raise AttributeError(f"module 'xcapki.demo' has no attribute {name!r}")
    value = getattr(importlib.import_module("xcapki.demo.portal"), name)
    globals()[name] = value
    return value
