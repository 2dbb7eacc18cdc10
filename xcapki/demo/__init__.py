"""The example portal and the ``xcapki demo`` journey.

``create_portal_app(PortalConfig)`` is a small 全國商工行政服務入口網 member
area that logs users in with their card through the HiPKI-compatible local
signing service and admits only XCA logins to 會計師查核簽證線上申報系統.
``xcapki.demo.run`` starts it with a test PKI, a virtual XCA card and the
local service, and logs in once (``xcapki demo``). See docs/quickstart.md.
"""

from __future__ import annotations

from xcapki.demo.portal import DEFAULT_SERVICE_URL, PortalConfig, create_portal_app, policy_admits

__all__ = ["DEFAULT_SERVICE_URL", "PortalConfig", "create_portal_app", "policy_admits"]
