"""The demo's errors: it could not set itself up, or the login it performed was refused::

DemoError
├── DemoSetupError     the card, the PKI or a port is not usable; the message says how to fix it
└── DemoLoginError     the journey ran but a step failed (the page's own words are kept)
"""

from __future__ import annotations

from xcapki.errors import XcapkiError

__all__ = ["DemoError", "DemoLoginError", "DemoSetupError"]


class DemoError(XcapkiError):
    """``xcapki demo`` could not complete."""


class DemoSetupError(DemoError):
    """The demo's card, test PKI, service or portal could not be set up."""


class DemoLoginError(DemoError):
    """A step of the login journey failed; ``step`` names it."""

    def __init__(self, message: str, *, step: str) -> None:
        super().__init__(message)
        self.step = step
