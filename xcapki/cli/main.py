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


def _interrupted_while_starting(signum: int, frame: object) -> None:
    """Ctrl-C before ``run`` took over: leave with 130 and one line, as ``run`` would."""
    try:
        from xcapki.cli.language import language_from_environment
        from xcapki.cli.messages import Catalogue

        line = Catalogue(language_from_environment(os.environ)).text("error.interrupted")
    except ImportError:  # interrupted while those very modules were loading
        line = "xcapki: interrupted"
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(130)


# First thing, before the imports below take their fraction of a second: Ctrl-C then ends
# the run with 130 instead of a traceback. ``run`` restores Python's handler.
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGINT, _interrupted_while_starting)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import importlib  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import logging  # noqa: E402
import traceback  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from typing import TextIO  # noqa: E402

from xcapki import __version__  # noqa: E402
from xcapki.cli.argparse_text import argparse_language  # noqa: E402
from xcapki.cli.commands import decrypt as decrypt_command  # noqa: E402
from xcapki.cli.commands import encrypt as encrypt_command  # noqa: E402
from xcapki.cli.console import Console  # noqa: E402
from xcapki.cli.exit_codes import ExitCode  # noqa: E402
from xcapki.cli.language import Language, language_from_environment  # noqa: E402
from xcapki.cli.messages import Catalogue  # noqa: E402
from xcapki.cli.pdf_options import add_sign_options, add_verify_options  # noqa: E402
from xcapki.errors import XcapkiError  # noqa: E402
from xcapki.hipki import HIPKI_PORT  # noqa: E402

__all__ = ["build_parser", "main"]

Handler = Callable[[argparse.Namespace, Console], ExitCode]

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
        raise argparse.ArgumentTypeError(argparse._("not a size such as 512M or 4G: %r") % text)  # type: ignore[attr-defined]
    return int(number) * _SIZE_UNITS[unit]


def parse_web_address(text: str) -> str:
    """An http(s) address with a host name, such as ``https://onestop.nat.gov.tw/``."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (an out-of-range port raises here)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            argparse._("not a web address such as https://onestop.nat.gov.tw/: %r") % text  # type: ignore[attr-defined]
        )
    return text


Text = Callable[..., str]
"""A catalogue lookup: key and fields in, a sentence in the chosen language out."""


def _english(key: str, **fields: object) -> str:
    return Catalogue(Language.ENGLISH).text(key, **fields)


_help_text: Text = _english
"""The language ``_command`` writes its common options in; ``build_parser`` sets it."""


def _add_common(parser: argparse.ArgumentParser, t: Text, *, suppress: bool) -> None:
    """The common options; on subcommands their defaults are suppressed so a value given
    before the subcommand is not overwritten by the subcommand's default."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group(t("help.group.common"))
    group.add_argument(
        "--json",
        action="store_true",
        default=default(False),
        help=t("help.json"),
    )
    group.add_argument(
        "--lang",
        choices=[lang.value for lang in Language],
        default=default(None),
        help=t("help.lang"),
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help=t("help.debug"),
    )
    group.add_argument(
        "--quiet",
        action="store_true",
        default=default(False),
        help=t("help.quiet"),
    )
    group.add_argument(
        "--module",
        metavar="PATH",
        default=default(None),
        help=t("help.module"),
    )
    group.add_argument(
        "--token",
        metavar="SERIAL_OR_LABEL",
        default=default(None),
        help=t("help.token"),
    )
    group.add_argument(
        "--spend-final-try",
        action="store_true",
        default=default(False),
        help=t("help.spend_final_try"),
    )
    group.add_argument(
        "--pin-env",
        metavar="VAR",
        default=default(None),
        help=t("help.pin_env"),
    )


def _add_trust(parser: argparse.ArgumentParser, t: Text, *, revocation_default: str) -> None:
    parser.add_argument(
        "--trust-root",
        metavar="PEM",
        action="append",
        default=[],
        help=t("help.trust_root"),
    )
    parser.add_argument(
        "--intermediate",
        metavar="PEM",
        action="append",
        default=[],
        help=t("help.intermediate"),
    )
    parser.add_argument(
        "--revocation",
        choices=REVOCATION_CHOICES,
        default=revocation_default,
        help=t("help.revocation", default=revocation_default),
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
    _add_common(parser, _help_text, suppress=True)
    parser.set_defaults(command_module=module, extras=extras)
    return parser


def build_parser(catalogue: Catalogue | None = None) -> argparse.ArgumentParser:
    """The full ``xcapki`` argument parser, its help in ``catalogue``'s language (default:
    the locale's); argparse's own words follow ``argparse_language``."""
    global _help_text
    t = _help_text = (catalogue or Catalogue(language_from_environment(os.environ))).text
    parser = argparse.ArgumentParser(
        prog="xcapki",
        description=t("help.description"),
    )
    parser.add_argument(
        "--version", action="version", version=f"xcapki {__version__}", help=t("help.version")
    )
    _add_common(parser, t, suppress=False)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    readers = _command(commands, "readers", "readers", t("help.readers"), extras=CARD)
    readers.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        nargs="?",
        const=0.0,
        default=None,
        help=t("help.wait"),
    )
    _command(commands, "tokens", "tokens", t("help.tokens"), extras=CARD)
    certs = _command(commands, "certs", "certs", t("help.certs"), extras=CARD)
    certs.add_argument("--export", metavar="FILE", help=t("help.export"))
    certs.add_argument(
        "--format", choices=("pem", "der"), default="pem", help=t("help.export_format")
    )
    certs.add_argument(
        "--purpose",
        choices=("signing", "encryption"),
        default="signing",
        help=t("help.export_purpose"),
    )
    certs.add_argument("--force", action="store_true", help=t("help.export_force"))

    pin = _command(commands, "pin", "pin", t("help.pin"), extras=CARD)
    pin_actions = pin.add_subparsers(dest="pin_action", required=True, metavar="ACTION")
    status = pin_actions.add_parser("status", help=t("help.pin.status"))
    _add_common(status, t, suppress=True)
    change = pin_actions.add_parser("change", help=t("help.pin.change"))
    _add_common(change, t, suppress=True)
    change.add_argument("--new-pin-env", metavar="VAR", help=t("help.new_pin_env"))

    sign = _command(commands, "sign", "sign", t("help.sign"), extras=CARD)
    sign.add_argument("input", metavar="INPUT", help=t("help.input"))
    sign.add_argument("-o", "--output", metavar="OUTPUT.p7s", required=True, help=t("help.output"))
    sign.add_argument("--detached", action="store_true", help=t("help.detached"))
    sign.add_argument("--hash", choices=HASH_CHOICES, default="sha256", help=t("help.hash"))
    sign.add_argument("--force", action="store_true", help=t("help.sign.force"))
    add_sign_options(sign, t)

    encrypt_command.add_arguments(_command(commands, "encrypt", "encrypt", t("help.encrypt")), t)
    decrypt_command.add_arguments(
        _command(commands, "decrypt", "decrypt", t("help.decrypt"), extras=CARD), t
    )

    verify = _command(commands, "verify", "verify", t("help.verify"))
    verify.add_argument("signature", metavar="SIGNATURE.p7s", help=t("help.signature"))
    verify.add_argument("--content", metavar="FILE", help=t("help.content"))
    verify.add_argument("--out", metavar="FILE", help=t("help.out"))
    verify.add_argument("--force", action="store_true", help=t("help.verify.force"))
    verify.add_argument(
        "--max-size",
        metavar="SIZE",
        type=parse_size,
        default=DEFAULT_VERIFY_MAX_SIZE,
        help=t("help.max_size"),
    )
    _add_trust(verify, t, revocation_default="hard")
    add_verify_options(verify, t)

    selftest = _command(
        commands,
        "selftest",
        "selftest",
        t("help.selftest"),
        extras=CARD,
    )
    selftest.add_argument("--hash", choices=HASH_CHOICES, default="sha256", help=t("help.hash"))
    _add_trust(selftest, t, revocation_default="soft")

    doctor = _command(commands, "doctor", "doctor", t("help.doctor"))
    _add_trust(doctor, t, revocation_default="hard")
    doctor.add_argument(
        "--portal-url",
        type=parse_web_address,
        default=DEFAULT_PORTAL_URL,
        help=t("help.portal_url", url=DEFAULT_PORTAL_URL),
    )
    doctor.add_argument(
        "--service-port",
        type=int,
        default=HIPKI_PORT,
        help=t("help.service_port", port=HIPKI_PORT),
    )
    doctor.add_argument("--timeout", type=float, default=5.0, help=t("help.timeout"))
    doctor.add_argument(
        "--no-pcsc",
        action="store_true",
        help=t("help.no_pcsc"),
    )
    doctor.add_argument("--offline", action="store_true", help=t("help.offline"))

    serve = _command(
        commands,
        "serve",
        "serve",
        t("help.serve"),
        extras=(*SERVICE, *CARD),
    )
    serve.add_argument("--host", default="127.0.0.1", help=t("help.host"))
    serve.add_argument(
        "--port",
        type=int,
        default=HIPKI_PORT,
        help=t("help.port", port=HIPKI_PORT),
    )
    serve.add_argument(
        "--pin-mode",
        choices=("page", "local"),
        default="page",
        help=t("help.pin_mode"),
    )
    serve.add_argument(
        "--approve-sites",
        choices=("popup", "terminal"),
        default="popup",
        help=t("help.approve_sites"),
    )
    at_login = serve.add_mutually_exclusive_group()
    at_login.add_argument("--install", action="store_true", help=t("help.serve.install"))
    at_login.add_argument("--uninstall", action="store_true", help=t("help.serve.uninstall"))

    trust = _command(commands, "trust", "trust", t("help.trust"), extras=SERVICE)
    trust_actions = trust.add_subparsers(dest="trust_action", required=True, metavar="ACTION")
    listed = trust_actions.add_parser("list", help=t("help.trust.list"))
    _add_common(listed, t, suppress=True)
    for action in ("add", "remove"):
        change_trust = trust_actions.add_parser(action, help=t(f"help.trust.{action}"))
        _add_common(change_trust, t, suppress=True)
        change_trust.add_argument("site", metavar="SITE", help=t("help.trust.site"))
    for each in (trust, *trust_actions.choices.values()):
        each.add_argument(
            "--file", metavar="PATH", default=argparse.SUPPRESS, help=t("help.trust.file")
        )

    virtual = _command(
        commands, "virtual-card", "virtual_card", t("help.virtual_card"), extras=CARD
    )
    virtual_actions = virtual.add_subparsers(dest="virtual_action", required=True, metavar="ACTION")
    create = virtual_actions.add_parser("create", help=t("help.virtual_card.create"))
    _add_common(create, t, suppress=True)
    create.add_argument(
        "--directory",
        metavar="DIR",
        help=t("help.directory"),
    )
    create.add_argument(
        "--authority",
        choices=("xca", "gca", "moica", "moeaca"),
        default="xca",
        help=t("help.authority"),
    )
    create.add_argument(
        "--organisation",
        metavar="NAME",
        default="測試聯合會計師事務所",
        help=t("help.organisation"),
    )
    create.add_argument(
        "--ubn",
        metavar="12345678",
        default=None,
        help=t("help.ubn"),
    )

    importlib.import_module("xcapki.cli.commands.native_host").add_parser(commands, _command, t)
    importlib.import_module("xcapki.cli.commands.browser").add_parser(commands, _command, t)

    demo = _command(
        commands,
        "demo",
        "xcapki.demo.run",
        t("help.demo"),
        extras=(*SERVICE, *CARD),
    )
    demo.add_argument("--once", action="store_true", help=t("help.once"))
    demo.add_argument(
        "--directory",
        metavar="DIR",
        help=t("help.demo.directory"),
    )
    demo.add_argument(
        "--service-port",
        type=int,
        metavar="PORT",
        help=t("help.demo.service_port", port=HIPKI_PORT),
    )
    demo.add_argument("--portal-port", type=int, metavar="PORT", help=t("help.portal_port"))
    demo.add_argument(
        "--revocation",
        choices=REVOCATION_CHOICES,
        default="hard",
        help=t("help.demo.revocation"),
    )
    demo.add_argument(
        "--login",
        choices=("hipki", "smartpki", "webeid"),
        default="hipki",
        help=t("help.demo.login"),
    )
    return parser


def _language_asked(arguments: Sequence[str]) -> Language:
    """The ``--lang`` on the command line (the last one wins), else the locale's: known
    before parsing, so help and usage errors are in it too."""
    chosen = None
    for index, argument in enumerate(arguments):
        if argument == "--":
            break
        if argument == "--lang" and index + 1 < len(arguments):
            chosen = arguments[index + 1]
        elif argument.startswith("--lang="):
            chosen = argument.partition("=")[2]
    valid = {language.value: language for language in Language}
    if chosen in valid:
        return valid[chosen]
    return language_from_environment(os.environ)


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
    """Run ``xcapki`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Once the result is decided, Ctrl-C is ignored: the interpreter's teardown (PKCS#11
    modules finalising can take a moment) would otherwise die by the signal and lose it.
    """
    code = run(argv, stdout=sys.stdout, stderr=sys.stderr)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if _TERMINATED.is_set():
            # Cleaned up as for Ctrl-C; now end as the signal asked, so the shell and
            # service managers see the run ended by SIGTERM (a stop, not a failure).
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
    return code


_TERMINATED = threading.Event()


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, a service manager stopping the run) unwinds as Ctrl-C does, so
    half-written files are removed instead of being left behind by a sudden death."""
    _TERMINATED.set()
    raise KeyboardInterrupt


def run(argv: Sequence[str] | None, *, stdout: TextIO, stderr: TextIO) -> int:
    """``main`` with explicit streams (tests call it in-process).

    Ctrl-C at any point, parsing and the command's imports included, ends with
    INTERRUPTED (130) and one line, never a traceback.
    """
    on_main_thread = threading.current_thread() is threading.main_thread()
    if on_main_thread:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        previous_sigterm = signal.signal(signal.SIGTERM, _terminated)
    catalogue = Catalogue(language_from_environment(os.environ))
    try:
        return _run(argv, stdout=stdout, stderr=stderr)
    except KeyboardInterrupt:
        print(catalogue.text("error.interrupted"), file=stderr, flush=True)
        return ExitCode.INTERRUPTED
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous_sigterm)


def _run(argv: Sequence[str] | None, *, stdout: TextIO, stderr: TextIO) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    language = _language_asked(arguments)
    with argparse_language(language):
        parser = build_parser(Catalogue(language))
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                args = parser.parse_args(arguments)
        except SystemExit as stop:
            sys.stderr.write(said.getvalue())
            if stop.code in (0, None):
                return ExitCode.OK
            if "--json" in arguments[: arguments.index("--") if "--" in arguments else None]:
                _usage_json(said.getvalue(), Catalogue(language), stdout)
            return ExitCode.USAGE
        sys.stderr.write(said.getvalue())
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
        if not console.documented:
            console.document(_interrupted_json(catalogue))
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


def _interrupted_json(catalogue: Catalogue) -> dict[str, object]:
    """Ctrl-C or SIGTERM under ``--json``: the error document a script waits for."""
    said = catalogue.text("error.interrupted")
    return {
        "error": {
            "kind": "interrupted",
            "type": "Interrupted",
            "summary": catalogue.text("summary.interrupted"),
            "remedy": catalogue.text("remedy.interrupted"),
            "message": "xcapki: interrupted",
            "reason": said,
            "exit_code": int(ExitCode.INTERRUPTED),
        }
    }


def _usage_json(said: str, catalogue: Catalogue, stdout: TextIO) -> None:
    """A bad command line under ``--json``: argparse's error as the one JSON document too."""
    from xcapki.cli.errors import ArgumentValueError
    from xcapki.cli.failures import describe_failure

    lines = [line for line in said.splitlines() if line.strip()]
    refused = ArgumentValueError(key="argument.usage", usage_error=lines[-1] if lines else "")
    console = Console(catalogue=catalogue, json_mode=True, quiet=True, stdout=stdout, stderr=stdout)
    console.document(describe_failure(refused, catalogue).as_json())


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
    said = console.catalogue.text("error.internal", detail=detail)
    console.error(said)
    if not console.documented:
        console.document(
            {
                "error": {
                    "kind": "internal",
                    "type": type(error).__name__,
                    "summary": console.catalogue.text("summary.internal"),
                    "remedy": console.catalogue.text("remedy.internal"),
                    "message": detail,
                    "reason": said,
                    "exit_code": int(ExitCode.ERROR),
                }
            }
        )
    return ExitCode.ERROR


if __name__ == "__main__":
    sys.exit(main())
