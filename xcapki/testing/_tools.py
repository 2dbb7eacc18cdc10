"""Running the command-line tools the test components are built on."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence

from xcapki.testing.errors import ToolFailedError, ToolMissingError

PACKAGES = {
    "openssl": "openssl",
    "softhsm2-util": "softhsm2",
    "pkcs11-tool": "opensc",
}


def require_tool(tool: str) -> str:
    """The absolute path of ``tool``, or a ToolMissingError naming its package."""
    path = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin:/usr/bin")
    if path is None:
        raise ToolMissingError(tool, PACKAGES.get(tool, tool))
    return path


def run_tool(
    tool: str,
    arguments: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    secret_arguments: frozenset[int] = frozenset(),
) -> str:
    """Run ``tool`` and return its standard output; raise ToolFailedError on failure.

    Arguments at the indices in ``secret_arguments`` (PINs) are masked in the
    error message.
    """
    command = [require_tool(tool), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0:
        shown = [
            "***" if index in secret_arguments else argument
            for index, argument in enumerate(arguments)
        ]
        raise ToolFailedError(
            " ".join([tool, *shown]),
            completed.returncode,
            completed.stderr or completed.stdout,
        )
    return completed.stdout
