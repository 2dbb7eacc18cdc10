"""Starting ``xcapki serve`` at login: a systemd user unit (Linux) or a launchd agent (macOS).

``--install`` writes the file that makes the service manager start the same
``xcapki serve`` command (same options, same Python) when the user logs in,
and ``--uninstall`` removes it; the service manager is then told by the user
with the commands printed (xcapki changes nothing else on the system).
"""

from __future__ import annotations

import os
import plistlib
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["LABEL", "UNIT_NAME", "LoginService", "login_service"]

UNIT_NAME: Final = "xcapki-serve.service"
LABEL: Final = "tw.xcapki.serve"
_PLAIN_WORD: Final = re.compile(r"[^\s'\"\\;]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginService:
    """Where the file goes, what it holds, and the commands that activate or stop it."""

    path: Path
    text: str
    activate: tuple[str, ...]
    deactivate: tuple[str, ...]


def login_service(
    serve_arguments: Sequence[str],
    *,
    platform: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoginService:
    """The unit or agent that runs ``xcapki serve SERVE_ARGUMENTS`` at login."""
    variables = os.environ if environ is None else environ
    command = [sys.executable, "-m", "xcapki", "serve", *serve_arguments]
    system = platform or sys.platform
    if system == "darwin":
        path = Path(variables.get("HOME", "~")).expanduser() / "Library/LaunchAgents"
        path = path / f"{LABEL}.plist"
        agent = {
            "Label": LABEL,
            "ProgramArguments": command,
            "RunAtLoad": True,
            "KeepAlive": {"SuccessfulExit": False},
        }
        return LoginService(
            path=path,
            text=plistlib.dumps(agent).decode(),
            activate=(f"launchctl load -w {shlex.quote(str(path))}",),
            deactivate=(f"launchctl unload -w {shlex.quote(str(path))}",),
        )
    config = variables.get("XDG_CONFIG_HOME") or str(Path(variables.get("HOME", "~")) / ".config")
    path = Path(config).expanduser() / "systemd" / "user" / UNIT_NAME
    unit = "\n".join(
        [
            "[Unit]",
            "Description=xcapki local signing service (HiPKI-compatible, loopback only)",
            "After=pcscd.socket",
            "",
            "[Service]",
            f"ExecStart={' '.join(_systemd_word(word) for word in command)}",
            "Restart=on-failure",
            "",
            "[Install]",
            "WantedBy=default.target",
            "",
        ]
    )
    return LoginService(
        path=path,
        text=unit,
        activate=("systemctl --user daemon-reload", f"systemctl --user enable --now {UNIT_NAME}"),
        deactivate=(f"systemctl --user disable --now {UNIT_NAME}",),
    )


def _systemd_word(word: str) -> str:
    """``word`` as systemd reads it back in ExecStart: ``%`` (specifiers) and ``$``
    (variables) doubled, and quoted with C escapes when it holds spaces, quotes,
    backslashes or a ``;``."""
    literal = word.replace("%", "%%").replace("$", "$$")
    if _PLAIN_WORD.fullmatch(literal):
        return literal
    return '"' + literal.replace("\\", "\\\\").replace('"', '\\"') + '"'
