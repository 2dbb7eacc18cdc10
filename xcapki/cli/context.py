"""The choices every card command shares: which module, which token, where the PIN comes from.

The module comes from ``--module``, else ``XCAPKI_PKCS11_MODULE``, else
discovery (the token layer's ``find_module`` already follows that order);
the token from ``--token`` (a serial, else a label); the PIN from
``--pin-env VAR`` or a getpass prompt.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final

from cryptography import x509

from xcapki.cli.console import Console
from xcapki.cli.errors import ExtraMissingError, InputFileError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.token import (
    PinFromEnvironment,
    PinPrompt,
    PinSource,
    Pkcs11Module,
    TokenInfo,
    TokenSelector,
)

if TYPE_CHECKING:
    from xcapki.token.discovery import CardInReader

__all__ = [
    "REVOCATION_MODES",
    "chain_validator",
    "open_module",
    "pin_source",
    "select_token",
    "terminal_secret",
    "trust_store",
]


def open_module(args: argparse.Namespace, console: Console) -> Pkcs11Module:
    """The PKCS#11 module named by ``--module``, the environment, or chosen by evidence:
    which installed module sees the card in the reader (xcapki.token.discovery)."""
    module_path: str | None = args.module
    try:
        from xcapki.token.discovery import choose_module

        choice = choose_module(module_path, cards=cards_in_readers())
    except ModuleNotFoundError as missing:
        raise ExtraMissingError(
            key="extra.missing", extra="card", module=missing.name, command=args.command
        ) from None
    _reclaim_ctrl_c()
    console.progress("progress.module", path=choice.module.path)
    return choice.module


def _reclaim_ctrl_c() -> None:
    """Give Ctrl-C back to Python after loading PKCS#11 modules.

    Some modules (opencryptoki's) install their own SIGINT handler when
    initialised, which swallows Ctrl-C or kills the process without cleanup;
    setting Python's handler again restores exit 130 and the removal of
    half-written files.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.getsignal(signal.SIGINT))


def cards_in_readers() -> tuple[CardInReader, ...]:
    """The cards the PC/SC readers hold, for choosing the module; none when PC/SC is absent."""
    from xcapki.reader import ReaderError, card_status, list_readers
    from xcapki.token.discovery import CardInReader

    try:
        statuses = [card_status(reader) for reader in list_readers()]
    except ReaderError:
        return ()
    return tuple(
        CardInReader(reader=status.reader.name, atr=status.atr.raw)
        for status in statuses
        if status.atr is not None
    )


def select_token(module: Pkcs11Module, wanted: str | None) -> TokenInfo:
    """The card whose serial is ``wanted``, else whose label is; the only card when None.

    The token layer's selection ignores blank tokens (SoftHSM2's spare slot), so they
    neither match nor make "the only card" ambiguous.
    """
    return module.select_token(None if wanted is None else TokenSelector(serial_or_label=wanted))


def pin_source(
    args: argparse.Namespace, console: Console, token: TokenInfo, *, prompt_key: str = "prompt.pin"
) -> PinSource:
    """``--pin-env VAR`` when given, else a prompt on the terminal (no echo)."""
    variable: str | None = args.pin_env
    if variable:
        return PinFromEnvironment(variable=variable)
    return PinPrompt(prompt=console.text(prompt_key, token=token.serial), reader=terminal_secret)


def terminal_secret(prompt: str) -> str:
    """A secret typed on the terminal without echo.

    Without a terminal there is nobody to ask: EOFError at once, where getpass
    would fall back to reading stdin with echo and print a warning.
    """
    if not sys.stdin.isatty():
        raise EOFError(prompt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getpass.getpass(prompt)


def _certificate_files(paths: Sequence[str]) -> list[Path]:
    """The files, each checked to hold a certificate (PEM or DER) before the store reads it."""
    found = []
    for name in paths:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputFileError(
                key="file.unreadable", path=name, reason=exc.strerror or str(exc)
            ) from None
        if not _holds_certificate(data):
            raise InputFileError(
                key="file.not_certificate", path=name, remedy_key="remedy.certificate_file"
            )
        found.append(path)
    return found


def _holds_certificate(data: bytes) -> bool:
    try:
        if b"-----BEGIN" in data:
            return bool(x509.load_pem_x509_certificates(data))
        x509.load_der_x509_certificate(data)
    except ValueError:
        return False
    return True


def trust_store(args: argparse.Namespace) -> TrustStore:
    """The roots of ``--trust-root`` (else the bundled GRCA roots) plus ``--intermediate``."""
    roots = _certificate_files(args.trust_root or ())
    intermediates = _certificate_files(args.intermediate or ())
    return TrustStore.from_pem_files(
        roots=roots, intermediates=intermediates, include_bundled=not roots
    )


REVOCATION_MODES: Final[Mapping[str, RevocationMode]] = {
    "off": RevocationMode.OFF,
    "soft": RevocationMode.SOFT_FAIL,
    "hard": RevocationMode.HARD_FAIL,
    "require": RevocationMode.REQUIRE,
}


def chain_validator(args: argparse.Namespace, store: TrustStore) -> ChainValidator:
    """A validator for ``store`` in the ``--revocation`` mode."""
    return ChainValidator(store, revocation_mode=REVOCATION_MODES[args.revocation])
