"""The native messaging host of the xcapki browser extension (``xcapki native-host``).

It speaks Web eID's native protocol (authenticate, get-signing-certificate,
sign) and the SmartPKI page protocol's card commands, on xcapki's token
layer, asking for the PIN in a pinentry dialog. See docs/browser.md.
"""

from __future__ import annotations

from xcapki.nativehost.host import HOST_NAME, WEB_EID_VERSION, HostConfig, serve

__all__ = ["HOST_NAME", "WEB_EID_VERSION", "HostConfig", "serve"]
