"""Registering the native host with browsers: manifests where each browser looks for them.

A browser finds a native host by its name in a JSON manifest in a directory
of its own (per user or system-wide, different on Linux and macOS); the
manifest names the program to start and the extensions that may start it.
The program is a small launcher script that runs ``xcapki native-host``
with this Python, so a browser needs no PATH to find it. Chromium also reads
``NativeMessagingHosts`` under a profile's ``--user-data-dir``.
"""

from __future__ import annotations

import enum
import json
import os
import shlex
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from xcapki.nativehost.errors import NativeHostError
from xcapki.nativehost.host import HOST_NAME

__all__ = [
    "CHROMIUM_EXTENSION_ID",
    "FIREFOX_EXTENSION_ID",
    "Browser",
    "InstallScope",
    "InstalledFile",
    "install",
    "manifest_directory",
    "uninstall",
]

CHROMIUM_EXTENSION_ID: Final = "akmdlcfcomoalmipodcecojjjkbgdkbd"
"""Fixed by the public ``key`` in extension/manifest.json (Chromium, Chrome, Edge)."""
FIREFOX_EXTENSION_ID: Final = "{992addc7-3755-4a05-9468-a510d4483559}"
"""The gecko id in extension/manifest.json."""
_LAUNCHER: Final = "xcapki-native-host"


class Browser(enum.Enum):
    CHROMIUM = "chromium"
    CHROME = "chrome"
    FIREFOX = "firefox"


class InstallScope(enum.Enum):
    USER = "user"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledFile:
    """A file written or removed, and for which browser (None: the launcher)."""

    browser: Browser | None
    path: Path


_LINUX: Final = {
    (Browser.CHROMIUM, InstallScope.USER): ".config/chromium/NativeMessagingHosts",
    (Browser.CHROME, InstallScope.USER): ".config/google-chrome/NativeMessagingHosts",
    (Browser.FIREFOX, InstallScope.USER): ".mozilla/native-messaging-hosts",
    (Browser.CHROMIUM, InstallScope.SYSTEM): "/etc/chromium/native-messaging-hosts",
    (Browser.CHROME, InstallScope.SYSTEM): "/etc/opt/chrome/native-messaging-hosts",
    (Browser.FIREFOX, InstallScope.SYSTEM): "/usr/lib/mozilla/native-messaging-hosts",
}
_MACOS: Final = {
    (Browser.CHROMIUM, InstallScope.USER): "Library/Application Support/Chromium/"
    "NativeMessagingHosts",
    (Browser.CHROME, InstallScope.USER): "Library/Application Support/Google/Chrome/"
    "NativeMessagingHosts",
    (Browser.FIREFOX, InstallScope.USER): "Library/Application Support/Mozilla/"
    "NativeMessagingHosts",
    (Browser.CHROMIUM, InstallScope.SYSTEM): "/Library/Application Support/Chromium/"
    "NativeMessagingHosts",
    (Browser.CHROME, InstallScope.SYSTEM): "/Library/Google/Chrome/NativeMessagingHosts",
    (Browser.FIREFOX, InstallScope.SYSTEM): "/Library/Application Support/Mozilla/"
    "NativeMessagingHosts",
}
_LAUNCHER_DIRECTORY: Final = {
    ("linux", InstallScope.USER): ".local/share/xcapki",
    ("linux", InstallScope.SYSTEM): "/usr/local/lib/xcapki",
    ("darwin", InstallScope.USER): "Library/Application Support/xcapki",
    ("darwin", InstallScope.SYSTEM): "/Library/Application Support/xcapki",
}


def _system(platform: str | None) -> str:
    chosen = platform or sys.platform
    if chosen.startswith("linux"):
        return "linux"
    if chosen == "darwin":
        return "darwin"
    raise NativeHostError(
        f"xcapki browser install knows Linux and macOS, not {chosen}: on Windows, register the"
        " host in the registry as the browser's documentation says"
    )


def manifest_directory(
    browser: Browser, scope: InstallScope, *, home: Path, platform: str | None = None
) -> Path:
    """Where ``browser`` looks for host manifests in ``scope``; ``home`` is the user's home
    for ``USER`` and the file-system root for ``SYSTEM``."""
    table = _LINUX if _system(platform) == "linux" else _MACOS
    return home / table[(browser, scope)].lstrip("/")


def _launcher_path(scope: InstallScope, *, home: Path, platform: str | None) -> Path:
    return home / _LAUNCHER_DIRECTORY[(_system(platform), scope)].lstrip("/") / _LAUNCHER


def _manifest(browser: Browser, launcher: Path) -> dict[str, object]:
    document: dict[str, object] = {
        "name": HOST_NAME,
        "description": "xcapki: Taiwan GPKI cards for SmartPKI and Web eID pages",
        "path": str(launcher),
        "type": "stdio",
    }
    if browser is Browser.FIREFOX:
        document["allowed_extensions"] = [FIREFOX_EXTENSION_ID]
    else:
        document["allowed_origins"] = [f"chrome-extension://{CHROMIUM_EXTENSION_ID}/"]
    return document


def _write(path: Path, text: str, mode: int) -> None:
    """Write whole or not at all: a half-written manifest would break the browser's lookup."""
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".tmp")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(staged, path)


def install(
    browsers: Iterable[Browser],
    *,
    scope: InstallScope = InstallScope.USER,
    home: Path | None = None,
    platform: str | None = None,
    user_data_dir: Path | None = None,
    host_options: Sequence[str] = (),
    python: str = sys.executable,
) -> tuple[InstalledFile, ...]:
    """Write the launcher and one manifest per browser; return what was written.

    ``home`` is the user's home for ``USER`` scope and the file-system root
    for ``SYSTEM`` (``/``); ``user_data_dir`` puts the Chromium manifest in
    that profile instead. ``host_options`` are passed to ``xcapki
    native-host`` (e.g. ``--module``, ``--pinentry``).
    """
    base = _base(scope, home)
    launcher = _launcher_path(scope, home=base, platform=platform)
    command = shlex.join([python, "-m", "xcapki", "native-host", *host_options])
    written = [InstalledFile(browser=None, path=launcher)]
    try:
        _write(launcher, f'#!/bin/sh\nexec {command} "$@"\n', 0o755)
        for browser in browsers:
            directory = _directory(browser, scope, base, platform, user_data_dir)
            target = directory / f"{HOST_NAME}.json"
            _write(target, json.dumps(_manifest(browser, launcher), indent=2) + "\n", 0o644)
            written.append(InstalledFile(browser=browser, path=target))
    except OSError as exc:
        raise NativeHostError(
            f"cannot write {exc.filename} ({exc.strerror}): for --system run as root,"
            " otherwise install with --user"
        ) from None
    return tuple(written)


def uninstall(
    browsers: Iterable[Browser],
    *,
    scope: InstallScope = InstallScope.USER,
    home: Path | None = None,
    platform: str | None = None,
    user_data_dir: Path | None = None,
) -> tuple[InstalledFile, ...]:
    """Remove the manifests (and the launcher); return what was removed."""
    base = _base(scope, home)
    removed: list[InstalledFile] = []
    candidates: list[tuple[Browser | None, Path]] = [
        (browser, _directory(browser, scope, base, platform, user_data_dir) / f"{HOST_NAME}.json")
        for browser in browsers
    ]
    candidates.append((None, _launcher_path(scope, home=base, platform=platform)))
    try:
        for browser, path in candidates:
            if path.exists():
                path.unlink()
                removed.append(InstalledFile(browser=browser, path=path))
    except OSError as exc:
        raise NativeHostError(
            f"cannot remove {exc.filename} ({exc.strerror}): for --system run as root"
        ) from None
    return tuple(removed)


def _base(scope: InstallScope, home: Path | None) -> Path:
    if home is not None:
        return home
    return Path.home() if scope is InstallScope.USER else Path("/")


def _directory(
    browser: Browser,
    scope: InstallScope,
    base: Path,
    platform: str | None,
    user_data_dir: Path | None,
) -> Path:
    if user_data_dir is not None and browser is not Browser.FIREFOX:
        return user_data_dir / "NativeMessagingHosts"
    return manifest_directory(browser, scope, home=base, platform=platform)
