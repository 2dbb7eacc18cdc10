"""Whether Chromium's Local Network Access stands between the portal and the local service.

Chrome 142+, Chromium 142+ and Edge 143+ let a public web page reach
``http://localhost:61161`` only with the user's permission, which only HTTPS
pages can ask for: the image probe and XMLHttpRequests of a plain-http page
fail silently, while the ``/popupForm`` and ``/addDomain`` popups still work.
Administrators pre-allow portals with the ``LocalNetworkAccessAllowedForUrls``
(or ``LoopbackNetworkAllowedForUrls``) policy. The check finds the installed
Chromium-family browsers and their managed policies (Linux paths) and says
what the user will meet. See docs/service.md.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from xcapki.cli.doctor.model import CheckId, Recorder, Verdict

__all__ = ["BROWSERS", "POLICY_DIRECTORIES", "check_local_network_access", "portal_allowed"]

BROWSERS: Final = (
    ("chromium", 142), ("chromium-browser", 142), ("google-chrome", 142),
    ("google-chrome-stable", 142), ("microsoft-edge", 143), ("microsoft-edge-stable", 143),
)  # fmt: skip
"""Program names, and the first major version that enforces Local Network Access."""
POLICY_DIRECTORIES: Final = (
    Path("/etc/chromium/policies/managed"),
    Path("/etc/opt/chrome/policies/managed"),
    Path("/etc/opt/edge/policies/managed"),
)
POLICIES: Final = ("LocalNetworkAccessAllowedForUrls", "LoopbackNetworkAllowedForUrls")
_VERSION = re.compile(r"(\d+)\.\d+\.\d+")
_VERSION_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class _Browser:
    name: str
    major: int
    enforces: bool


def _installed(browsers: Iterable[tuple[str, int]]) -> list[_Browser]:
    found = []
    for name, first in browsers:
        program = shutil.which(name)
        if program is None:
            continue
        try:
            shown = subprocess.run(
                [program, "--version"],
                capture_output=True,
                text=True,
                timeout=_VERSION_TIMEOUT,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        version = _VERSION.search(shown)
        if version is not None:
            major = int(version.group(1))
            found.append(_Browser(name=name, major=major, enforces=major >= first))
    return found


def _allowed_patterns(directories: Sequence[Path]) -> list[str]:
    patterns: list[str] = []
    for directory in directories:
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else ():
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for policy in POLICIES:
                listed = document.get(policy) if isinstance(document, dict) else None
                if isinstance(listed, list):
                    patterns += [p for p in listed if isinstance(p, str)]
    return patterns


def portal_allowed(portal_url: str, patterns: Iterable[str]) -> bool:
    """Whether a URL pattern of the policies (``https://portal.gov.tw``, ``[*.]gov.tw``,
    ``*``) covers the portal."""
    portal = urlsplit(portal_url)
    host = (portal.hostname or "").lower()
    for pattern in patterns:
        text = pattern.strip().lower()
        if text == "*":
            return True
        scheme, _, rest = text.rpartition("://")
        if scheme and scheme != portal.scheme:
            continue
        pattern_host = rest.split("/", 1)[0].split(":", 1)[0]
        if pattern_host.startswith("[*.]"):
            suffix = pattern_host[4:]
            if host == suffix or host.endswith("." + suffix):
                return True
        elif pattern_host == host:
            return True
    return False


def check_local_network_access(
    recorder: Recorder,
    portal_url: str,
    *,
    browsers: Iterable[tuple[str, int]] = BROWSERS,
    policy_directories: Sequence[Path] = POLICY_DIRECTORIES,
) -> None:
    """Record whether the browsers here will ask before the portal reaches the service."""
    enforcing = [b for b in _installed(browsers) if b.enforces]
    if not enforcing:
        recorder.add(CheckId.LOCAL_NETWORK_ACCESS, Verdict.OK, "doctor.lna.not_enforced")
        return
    names = ", ".join(f"{b.name} {b.major}" for b in enforcing)
    if portal_allowed(portal_url, _allowed_patterns(policy_directories)):
        recorder.add(
            CheckId.LOCAL_NETWORK_ACCESS, Verdict.OK, "doctor.lna.allowed", browsers=names,
            portal=portal_url,
        )  # fmt: skip
        return
    secure = urlsplit(portal_url).scheme == "https"
    recorder.add(
        CheckId.LOCAL_NETWORK_ACCESS,
        Verdict.WARN,
        "doctor.lna.https" if secure else "doctor.lna.http",
        "doctor.lna.remedy",
        browsers=names,
        portal=portal_url,
    )
