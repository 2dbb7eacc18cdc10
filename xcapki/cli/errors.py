"""Errors the CLI itself raises: input it cannot use."""

from __future__ import annotations

from xcapki.errors import XcapkiError

__all__ = ["CliError", "InputFileError", "PinMismatchError", "ServiceUnavailableError"]


class CliError(XcapkiError):
    """Root of the CLI's own errors."""


class InputFileError(CliError):
    """A file named on the command line is missing, unreadable or of the wrong kind."""


class ServiceUnavailableError(CliError):
    """The local signing service cannot be started from this installation."""


class PinMismatchError(CliError):
    """The new PIN and its confirmation differ; nothing reached the card."""
