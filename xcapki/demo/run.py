"""``xcapki demo``: the whole card login on loopback, then a browser can do the same.

Without ``--module`` it uses a virtual XCA card (``xcapki.demo.virtual``) and
serves its test PKI's OCSP responders and CRLs; with ``--module`` it uses the
real card in the reader and trusts the real GRCA roots. Either way it starts
the HiPKI-compatible local signing service and the example portal on
127.0.0.1 (``xcapki.demo.environment``), logs in once as a page would,
prints the identity the portal saw, and keeps serving for a browser until
Ctrl-C or SIGTERM (``--once``: exits instead).
"""

from __future__ import annotations

import argparse
import getpass
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.demo.errors import DemoSetupError
from xcapki.demo.options import (
    DEFAULT_PORTAL_PORT,
    DEFAULT_SERVICE_PORT,
    REVOCATION_MODES,
    DemoLogin,
    DemoOptions,
    default_directory,
)
from xcapki.token.pin import PinFromEnvironment, PinPrompt, PinSource

if TYPE_CHECKING:
    from xcapki.demo.environment import RunningDemo
    from xcapki.demo.journey import LoginOutcome

__all__ = ["options_from", "run"]


def options_from(args: argparse.Namespace, console: Console) -> DemoOptions:
    """The options of a parsed ``xcapki demo`` command line."""
    once: bool = args.once

    def port(value: int | None, default: int) -> int:
        if value is not None:
            return value
        return 0 if once else default

    pin_source: PinSource | None = None
    if args.pin_env:
        pin_source = PinFromEnvironment(variable=args.pin_env)
    elif args.module:
        pin_source = PinPrompt(prompt=_say(console, "pin.prompt"), reader=getpass.getpass)
    return DemoOptions(
        directory=Path(args.directory) if args.directory else default_directory(),
        module_path=Path(args.module) if args.module else None,
        token=args.token,
        pin_source=pin_source,
        service_port=port(args.service_port, DEFAULT_SERVICE_PORT),
        portal_port=port(args.portal_port, DEFAULT_PORTAL_PORT),
        revocation_mode=REVOCATION_MODES[args.revocation],
        login=DemoLogin(args.login),
    )


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """``xcapki demo``: log in once, print what the portal saw, then serve until Ctrl-C."""
    options = options_from(args, console)

    def progress(key: str, fields: dict[str, object]) -> None:
        shown = {k: _say(console, str(v)) if _is_key(console, v) else v for k, v in fields.items()}
        _progress(console, _say(console, key, **shown))

    try:
        from xcapki.demo.environment import running_demo
    except ImportError as exc:
        raise DemoSetupError(
            f"xcapki demo needs the service and card extras ({exc.name} is missing): "
            "pip install 'xcapki[service,card]'"
        ) from None
    with running_demo(options, progress) as demo:
        _progress(console, _say(console, "login"))
        outcome = demo.log_in()
        _print_identity(console, demo, outcome)
        if args.once:
            return ExitCode.OK
        if demo.virtual_card is not None:
            console.line(_say(console, "open.virtual", url=demo.portal_url, pin=demo.pin))
        else:
            console.line(_say(console, "open.real", url=demo.portal_url))
        console.line(_say(console, "wait"))
        _wait_for_interrupt()
    _progress(console, _say(console, "stopped"))
    return ExitCode.OK


def _print_identity(console: Console, demo: RunningDemo, outcome: LoginOutcome) -> None:
    identity = outcome.identity
    admitted = bool(identity.get("cpa_filing_admitted")) and outcome.filing_status == 200
    console.document(
        {
            "ok": True,
            "portal_url": demo.portal_url,
            "service_url": demo.service_url,
            "virtual_card": demo.virtual_card is not None,
            "identity": identity,
            "cpa_filing_admitted": admitted,
        }
    )
    console.line(_say(console, "success"))
    revocation = _say(
        console,
        "revocation",
        state=console.text(f"revocation.{identity.get('revocation')}"),
        source=console.text(f"revocation.source.{identity.get('revocation_source')}"),
    )
    serial = identity.get("card_serial")
    rows = (
        ("field.authority", identity.get("authority")),
        ("field.organisation", identity.get("organisation_name")),
        ("field.ubn", identity.get("unified_business_number")),
        ("field.card_serial", serial if serial is not None else _say(console, "card.unnamed")),
        ("demo.field.not_after", identity.get("not_after")),
        ("field.revocation", revocation),
        ("demo.field.filing", _say(console, "filing.yes" if admitted else "filing.no")),
    )
    for key, value in rows:
        console.field(key, value if value is not None else "-")


def _say(console: Console, key: str, **fields: object) -> str:
    """The demo's message ``key`` (``demo.<key>`` in the CLI catalogue) in its language."""
    return console.text(f"demo.{key}", **fields)


def _is_key(console: Console, value: object) -> bool:
    return isinstance(value, str) and console.catalogue.has(f"demo.{value}")


def _progress(console: Console, text: str) -> None:
    if not console.quiet:
        print(f"xcapki demo: {text}", file=console.stderr, flush=True)


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM; both end the demo cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
