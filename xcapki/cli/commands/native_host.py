"""``xcapki native-host``: the browser extension's native messaging host (stdin/stdout).

Browsers start it through the manifest ``xcapki browser install`` writes;
it is not meant to be run by hand. Nothing but native messages may reach
stdout, so it prints no progress.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode

__all__ = ["add_parser", "run"]


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    command: Callable[..., argparse.ArgumentParser],
    t: Callable[[str], str],
) -> None:
    """Register ``native-host`` and its options."""
    parser = command(commands, "native-host", "native_host", t("help.native_host"))
    parser.add_argument("caller", nargs="*", metavar="CALLER", help=t("help.native_host.caller"))
    parser.add_argument(
        "--pinentry",
        metavar="PROGRAM",
        help=t("help.native_host.pinentry"),
    )
    parser.add_argument("--sites", metavar="FILE", help=t("help.native_host.sites"))
    parser.add_argument(
        "--accept-page-pin",
        action="store_true",
        help=t("help.native_host.accept_page_pin"),
    )
    parser.add_argument("--timeout", type=float, default=120.0, help=t("help.native_host.timeout"))


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Serve the extension until it disconnects."""
    from xcapki.nativehost import HostConfig, serve
    from xcapki.nativehost.pinentry import Pinentry, find_pinentry
    from xcapki.nativehost.sites import default_trust_list_path

    program = Path(args.pinentry) if args.pinentry else find_pinentry(os.environ)
    config = HostConfig(
        module_path=Path(args.module) if args.module else None,
        pinentry=Pinentry(program, timeout=args.timeout) if program else None,
        sites_path=Path(args.sites) if args.sites else default_trust_list_path(),
        accept_page_pin=args.accept_page_pin,
    )
    status = serve(sys.stdin.buffer, sys.stdout.buffer, config)
    return ExitCode.OK if status == 0 else ExitCode.FAILED
