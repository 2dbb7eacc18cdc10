"""Errors the CLI itself raises: input it cannot use, output it will not write.

An error raised with a catalogue ``key`` reads in the user's language: its
English text is the ``str()``, and ``detail(catalogue)`` gives the chosen one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xcapki.errors import XcapkiError

if TYPE_CHECKING:
    from xcapki.cli.messages import Catalogue

__all__ = [
    "ArgumentValueError",
    "CliError",
    "ExtraMissingError",
    "InputFileError",
    "OutputFileError",
    "PinMismatchError",
    "ServiceUnavailableError",
]


class CliError(XcapkiError):
    """Root of the CLI's own errors."""

    def __init__(
        self,
        message: str = "",
        *,
        key: str | None = None,
        remedy_key: str | None = None,
        **fields: object,
    ) -> None:
        self.key = key
        self.remedy_key = remedy_key
        """A catalogue key for a remedy more precise than the error kind's."""
        self.fields = fields
        if key is not None:
            from xcapki.cli.language import Language
            from xcapki.cli.messages import Catalogue

            message = Catalogue(Language.ENGLISH).text(key, **fields)
        super().__init__(message)

    def detail(self, catalogue: Catalogue) -> str:
        """The message in ``catalogue``'s language (English when raised without a key)."""
        if self.key is None:
            return str(self)
        return catalogue.text(self.key, **self.fields)


class ArgumentValueError(CliError):
    """A value on the command line that passed argparse but cannot be used (e.g. a site)."""


class InputFileError(CliError):
    """A file named on the command line is missing, unreadable or of the wrong kind."""


class OutputFileError(CliError):
    """An output path the command will not write: the input itself, an existing file, a
    missing folder; or the write failed (then nothing is left behind)."""


class ExtraMissingError(CliError):
    """The command needs an optional part of xcapki (an extra) this installation lacks."""


class ServiceUnavailableError(CliError):
    """The local signing service cannot be started from this installation."""


class PinMismatchError(CliError):
    """The new PIN and its confirmation differ; nothing reached the card."""
