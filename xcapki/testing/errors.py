"""Errors of the test PKI and virtual-card provisioning."""

from __future__ import annotations

from xcapki.errors import XcapkiError


class TestingError(XcapkiError):
    """The test PKI or a virtual card could not be created or served."""

    __test__ = False


class ToolMissingError(TestingError):
    """A command-line tool the test components run is not installed."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(
            f"{tool} is not installed; install the Debian package {package!r} "
            "(scripts/install-system-packages.sh installs everything xcapki tests use)"
        )
        self.tool = tool
        self.package = package


class ToolFailedError(TestingError):
    """A command-line tool exited with an error."""

    def __init__(self, command: str, returncode: int, output: str) -> None:
        super().__init__(f"{command} failed with exit code {returncode}: {output.strip()}")
        self.command = command
        self.returncode = returncode
        self.output = output
