"""The CLI's exit codes: a contract scripts rely on (documented in docs/cli.md)."""

from __future__ import annotations

import enum

__all__ = ["ExitCode"]


class ExitCode(enum.IntEnum):
    """What an ``xcapki`` run ended with; 0 only when everything asked for succeeded."""

    OK = 0
    FAILED = 1
    """doctor found a failing check; selftest found the card does not work."""
    USAGE = 2
    """Bad command line (argparse's own code)."""
    NOT_INTACT = 3
    """verify: the signature or content was altered, or the file is no usable signature."""
    UNTRUSTED = 4
    """verify: intact, but the signer does not chain to a trusted root (or is out of date)."""
    REVOKED = 5
    """verify: intact, but a certificate of the path is revoked (or unknown to its CA)."""
    REVOCATION_UNAVAILABLE = 6
    """verify: intact and chained, but the revocation mode demanded an answer nobody gave."""
    READER = 10
    """PC/SC: service down, no reader, no card."""
    TOKEN = 11
    """PKCS#11: module missing, no token, several tokens, no key."""
    PIN = 12
    """The PIN was wrong, locked, malformed, missing, or only the final try was left."""
    INPUT = 13
    """An input file is missing or unreadable."""
    SERVICE = 14
    """The local signing service, or the demo's card, test PKI, service or portal, cannot
    start (a port taken, not loopback, an extra missing)."""
    ERROR = 15
    """Any other xcapki error."""
    INTERRUPTED = 130
    """Ctrl-C."""
