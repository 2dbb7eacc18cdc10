"""``xcapki``: the command line (argparse), its common options, and error handling.

Every subcommand takes the common options before or after its name, prints
text or (``--json``) one JSON document on stdout, progress on stderr, and
returns an ``ExitCode``. An xcapki error becomes one translated paragraph
(the library's message with a summary and remedy), never a traceback unless
``--debug``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.language import Language, language_from_environment
from xcapki.cli.messages import Catalogue


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before ``run`` took over: leave with 130 and one line, as ``run`` would."""
    catalogue = Catalogue(language_from_environment(os.environ))
    print(catalogue.text("error.interrupted"), file=sys.stderr, flush=True)
    raise SystemExit(ExitCode.INTERRUPTED)


# First thing, before the imports below take their fraction of a second: Ctrl-C then ends
# the run with 130 instead of a traceback. ``run`` restores Python's handler.
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import logging  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import TextIO  # noqa: E402

from xcapki import __version__  # noqa: E402
from xcapki.cli.console import Console  # noqa: E402
from xcapki.errors import XcapkiError  # noqa: E402

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, Console], ExitCode]

DEFAULT_SERVICE_PORT = 61161
DEFAULT_PORTAL_URL = "https://onestop.nat.gov.tw/"
CARD = ("card",)
SERVICE = ("service",)
EXTRA_MODULES = {
    "card": ("pkcs11", "smartcard"),
    "service": ("starlette", "uvicorn", "httptools"),
    "redis": ("redis",),
}
"""The Python packages each optional extra installs; a command names the extras it needs."""
DEFAULT_VERIFY_MAX_SIZE = 4 * 1024**3
HASH_CHOICES = ("sha256", "sha384", "sha512")
_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
REVOCATION_CHOICES = ("off", "soft", "hard", "require")


def parse_size(text: str) -> int:
    """A byte count such as ``1048576``, ``512M`` or ``4G`` (powers of 1024)."""
    value = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = value[-1:] if value[-1:] in _SIZE_UNITS else ""
    number = value[: len(value) - len(unit)]
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(text)
    return int(number) * _SIZE_UNITS[unit]


def _add_common(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """The common options; on subcommands their defaults are suppressed so a value given
    before the subcommand is not overwritten by the subcommand's default."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("common options")
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help="print one JSON document on stdout",
    )
    group.add_argument(
        "--lang",
        choices=[lang.value for lang in Language],
        default=default(None),
        help="message language (default: from LC_ALL/LC_MESSAGES/LANG)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="show the traceback of an error",
    )
    group.add_argument(
        "--quiet",
        action="store_true",
        default=default(False),
        help="no progress messages on stderr",
    )
    group.add_argument(
        "--module",
        metavar="PATH",
        default=default(None),
        help="PKCS#11 module (default: $XCAPKI_PKCS11_MODULE, else discovery)",
    )
    group.add_argument(
        "--token",
        metavar="SERIAL_OR_LABEL",
        default=default(None),
        help="the card to use, by serial number or label",
    )
    group.add_argument(
        "--spend-final-try",
        action="store_true",
        default=default(False),
        help="allow using the card's last PIN try (a wrong PIN then locks the card)",
    )
    group.add_argument(
        "--pin-env",
        metavar="VAR",
        default=default(None),
        help="read the PIN from environment variable VAR instead of a prompt",
    )


def _add_trust(parser: argparse.ArgumentParser, *, revocation_default: str) -> None:
    parser.add_argument(
        "--trust-root",
        metavar="PEM",
        action="append",
        default=[],
        help="trust this root instead of the bundled GRCA roots (repeatable)",
    )
    parser.add_argument(
        "--intermediate",
        metavar="PEM",
        action="append",
        default=[],
        help="an intermediate CA certificate for path building (repeatable)",
    )
    parser.add_argument(
        "--revocation",
        choices=REVOCATION_CHOICES,
        default=revocation_default,
        help=f"revocation checking (default: {revocation_default})",
    )


def _command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    module: str,
    help_text: str,
    *,
    extras: tuple[str, ...] = (),
) -> argparse.ArgumentParser:
    """A subcommand run by ``module``'s ``run``; ``extras`` are the optional parts it needs."""
    parser = subparsers.add_parser(name, help=help_text, description=help_text)
    _add_common(parser, suppress=True)
    parser.set_defaults(command_module=module, extras=extras)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The full ``xcapki`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="xcapki",
        description="Taiwan GPKI smart cards (XCA, GCA, MOICA, MOEACA): check, sign, verify.",
    )
    parser.add_argument("--version", action="version", version=f"xcapki {__version__}")
    _add_common(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _command(commands, "readers", "readers", "list card readers and the cards in them", extras=CARD)
    _command(
        commands, "tokens", "tokens", "list the cards (tokens) the PKCS#11 module sees", extras=CARD
    )
    _command(
        commands,
        "certs",
        "certs",
        "show the card's certificates with the Taiwan profile",
        extras=CARD,
    )

    pin = _command(commands, "pin", "pin", "the card's PIN: status or change", extras=CARD)
    pin_actions = pin.add_subparsers(dest="pin_action", required=True, metavar="ACTION")
    status = pin_actions.add_parser("status", help="show the PIN state (no PIN needed)")
    _add_common(status, suppress=True)
    change = pin_actions.add_parser("change", help="change the PIN")
    _add_common(change, suppress=True)
    change.add_argument(
        "--new-pin-env", metavar="VAR", help="read the new PIN from environment variable VAR"
    )

    sign = _command(
        commands, "sign", "sign", "sign a file into a CMS (PKCS#7) signature", extras=CARD
    )
    sign.add_argument("input", metavar="INPUT")
    sign.add_argument("-o", "--output", metavar="OUTPUT.p7s", required=True)
    sign.add_argument("--detached", action="store_true", help="leave the content out")
    sign.add_argument("--hash", choices=HASH_CHOICES, default="sha256")
    sign.add_argument("--force", action="store_true", help="replace OUTPUT if it exists")

    verify = _command(commands, "verify", "verify", "verify a CMS (PKCS#7) signature")
    verify.add_argument("signature", metavar="SIGNATURE.p7s")
    verify.add_argument("--content", metavar="FILE", help="the signed content (detached)")
    verify.add_argument(
        "--out", metavar="FILE", help="write the signed content to FILE (only when intact)"
    )
    verify.add_argument("--force", action="store_true", help="replace the --out FILE if it exists")
    verify.add_argument(
        "--max-size",
        metavar="SIZE",
        type=parse_size,
        default=DEFAULT_VERIFY_MAX_SIZE,
        help="refuse a signature file larger than SIZE (K, M, G suffixes; default: 4G)",
    )
    _add_trust(verify, revocation_default="hard")

    selftest = _command(
        commands,
        "selftest",
        "selftest",
        "驗簽測試: PIN, sign a challenge, verify it and its path",
        extras=CARD,
    )
    selftest.add_argument("--hash", choices=HASH_CHOICES, default="sha256")
    _add_trust(selftest, revocation_default="soft")

    doctor = _command(commands, "doctor", "doctor", "check everything a card login needs")
    _add_trust(doctor, revocation_default="hard")
    doctor.add_argument(
        "--portal-url",
        default=DEFAULT_PORTAL_URL,
        help=f"portal to reach (default: {DEFAULT_PORTAL_URL})",
    )
    doctor.add_argument(
        "--service-port",
        type=int,
        default=DEFAULT_SERVICE_PORT,
        help=f"local signing service port (default: {DEFAULT_SERVICE_PORT})",
    )
    doctor.add_argument(
        "--timeout", type=float, default=5.0, help="seconds for each network check (default: 5)"
    )
    doctor.add_argument(
        "--no-pcsc",
        action="store_true",
        help="software token (virtual card): skip the reader checks",
    )
    doctor.add_argument(
        "--offline", action="store_true", help="skip the revocation and portal checks"
    )

    serve = _command(
        commands,
        "serve",
        "serve",
        "run the HiPKI-compatible local signing service",
        extras=(*SERVICE, *CARD),
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=DEFAULT_SERVICE_PORT)
    serve.add_argument(
        "--pin-mode",
        choices=("page", "local"),
        default="page",
        help="page: the web page sends the PIN (HiPKI); local: xcapki asks",
    )

    virtual = _command(
        commands, "virtual-card", "virtual_card", "SoftHSM2 virtual test cards", extras=CARD
    )
    virtual_actions = virtual.add_subparsers(dest="virtual_action", required=True, metavar="ACTION")
    create = virtual_actions.add_parser("create", help="make a virtual card in a test PKI")
    _add_common(create, suppress=True)
    create.add_argument(
        "--directory",
        metavar="DIR",
        help="where the test PKI and cards live (default: $XCAPKI_HOME or"
        " ~/.local/share/xcapki/virtual-cards)",
    )
    create.add_argument("--authority", choices=("xca", "gca", "moica", "moeaca"), default="xca")
    create.add_argument("--organisation", metavar="NAME", default="測試聯合會計師事務所")
    create.add_argument(
        "--ubn",
        metavar="12345678",
        default=None,
        help="統一編號 (8 digits; default 12345678 for XCA and MOEACA)",
    )

    demo = _command(
        commands,
        "demo",
        "xcapki.demo.run",
        "log in to the example portal (virtual or real card)",
        extras=(*SERVICE, *CARD),
    )
    demo.add_argument(
        "--once", action="store_true", help="log in once, print the identity and exit (for CI)"
    )
    demo.add_argument(
        "--directory",
        metavar="DIR",
        help="test PKI and virtual card (default: $XCAPKI_HOME or"
        " ~/.local/share/xcapki/virtual-cards)",
    )
    demo.add_argument(
        "--service-port",
        type=int,
        metavar="PORT",
        help=f"local service port (default {DEFAULT_SERVICE_PORT}; --once: any free one)",
    )
    demo.add_argument(
        "--portal-port", type=int, metavar="PORT", help="portal port (default 61180; --once: any)"
    )
    demo.add_argument(
        "--revocation",
        choices=REVOCATION_CHOICES,
        default="hard",
        help="the portal's revocation checking (default: hard)",
    )
    return parser


def _catalogue(args: argparse.Namespace) -> Catalogue:
    chosen: str | None = args.lang
    if chosen is not None:
        return Catalogue(Language(chosen))
    return Catalogue(language_from_environment(os.environ))


def _configure_logging(*, debug: bool, stderr: TextIO) -> None:
    """Library log lines reach stderr only with ``--debug``; the paragraph says the rest."""
    logger = logging.getLogger("xcapki")
    if debug:
        handler: logging.Handler = logging.StreamHandler(stderr)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        logger.setLevel(logging.DEBUG)
    else:
        handler = logging.NullHandler()
    logger.handlers = [handler]
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``xcapki`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    return run(argv, stdout=sys.stdout, stderr=sys.stderr)


def run(argv: Sequence[str] | None, *, stdout: TextIO, stderr: TextIO) -> int:
    """``main`` with explicit streams (tests call it in-process).

    Ctrl-C at any point, parsing and the command's imports included, ends with
    INTERRUPTED (130) and one line, never a traceback.
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    catalogue = Catalogue(language_from_environment(os.environ))
    try:
        return _run(argv, stdout=stdout, stderr=stderr)
    except KeyboardInterrupt:
        print(catalogue.text("error.interrupted"), file=stderr, flush=True)
        return ExitCode.INTERRUPTED


def _run(argv: Sequence[str] | None, *, stdout: TextIO, stderr: TextIO) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return ExitCode.USAGE if stop.code not in (0, None) else ExitCode.OK
    _configure_logging(debug=args.debug, stderr=stderr)
    catalogue = _catalogue(args)
    console = Console(
        catalogue=catalogue, json_mode=args.json, quiet=args.quiet, stdout=stdout, stderr=stderr
    )
    module_name: str = args.command_module
    if "." not in module_name:
        module_name = f"xcapki.cli.commands.{module_name}"
    try:
        _check_extras(args)
        command = importlib.import_module(module_name)
        handler: Handler = command.run
        return int(handler(args, console))
    except KeyboardInterrupt:
        console.error(catalogue.text("error.interrupted"))
        return ExitCode.INTERRUPTED
    except XcapkiError as error:
        return _report(error, args, console, stderr)
    except ModuleNotFoundError as missing:
        top = (missing.name or "").partition(".")[0]
        extra = next((e for e, names in EXTRA_MODULES.items() if top in names), None)
        if extra is None:
            return _internal(missing, args, console)
        return _report(_extra_missing(args, extra, top), args, console, stderr)
    except BrokenPipeError:
        # The reader of stdout went away (e.g. ``| head``); nothing left to tell it.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return ExitCode.ERROR
    except Exception as error:  # a defect, not a user error: still one paragraph
        return _internal(error, args, console)


def _check_extras(args: argparse.Namespace) -> None:
    """Refuse at once, naming the extra, when the command needs a package not installed."""
    for extra in args.extras:
        for name in EXTRA_MODULES[extra]:
            try:
                found = importlib.util.find_spec(name) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                raise _extra_missing(args, extra, name)


def _extra_missing(args: argparse.Namespace, extra: str, module: str) -> XcapkiError:
    from xcapki.cli.errors import ExtraMissingError

    return ExtraMissingError(key="extra.missing", extra=extra, module=module, command=args.command)


def _report(error: XcapkiError, args: argparse.Namespace, console: Console, stderr: TextIO) -> int:
    from xcapki.cli.failures import describe_failure

    if args.debug:
        traceback.print_exc(file=stderr)
    failure = describe_failure(error, console.catalogue)
    console.error(failure.paragraph(console.catalogue))
    console.document(failure.as_json())
    return failure.exit_code


def _internal(error: Exception, args: argparse.Namespace, console: Console) -> int:
    if args.debug:
        raise error
    detail = f"{type(error).__name__}: {error}"
    console.error(console.catalogue.text("error.internal", detail=detail))
    return ExitCode.ERROR


if __name__ == "__main__":
    sys.exit(main())
