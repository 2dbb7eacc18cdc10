"""What the browser tests share: Debian's Chromium and how it is started, the test card."""

from __future__ import annotations

from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PIN", "XCA_FIRM"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PIN = "123456"

XCA_FIRM = CardSpec(
    authority=Authority.XCA,
    organisation_name="測試聯合會計師事務所",
    unified_business_number="12345678",
    organisation_oid="2.16.886.101.90001.1",
)
