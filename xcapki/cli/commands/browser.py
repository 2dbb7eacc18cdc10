"""``xcapki browser install|uninstall``: register the native host with Chromium, Chrome, Firefox."""

from __future__ import annotations

import argparse
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
    """Register ``browser`` with its ``install`` and ``uninstall`` actions."""
    parser = command(commands, "browser", "browser", t("help.browser"))
    actions = parser.add_subparsers(dest="browser_action", required=True, metavar="ACTION")
    for name, text in (
        ("install", t("help.browser.install")),
        ("uninstall", t("help.browser.uninstall")),
    ):
        action = actions.add_parser(name, help=text, description=text)
        scope = action.add_mutually_exclusive_group()
        scope.add_argument("--user", dest="scope", action="store_const", const="user")
        scope.add_argument("--system", dest="scope", action="store_const", const="system")
        for browser in ("chromium", "chrome", "firefox"):
            action.add_argument(
                f"--{browser}", dest="browsers", action="append_const", const=browser
            )
        action.add_argument(
            "--user-data-dir",
            metavar="DIR",
            help=t("help.browser.user_data_dir"),
        )
        action.add_argument("--home", metavar="DIR", help=t("help.browser.home"))
        if name == "install":
            action.add_argument("--pinentry", metavar="PROGRAM", help=t("help.browser.pinentry"))
            action.add_argument("--sites", metavar="FILE", help=t("help.browser.sites"))
            action.add_argument(
                "--accept-page-pin",
                action="store_true",
                help=t("help.browser.accept_page_pin"),
            )


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    from xcapki.nativehost.install import Browser, InstallScope, install, uninstall

    browsers = [Browser(name) for name in (args.browsers or [b.value for b in Browser])]
    scope = InstallScope(args.scope or "user")
    home = Path(args.home) if args.home else None
    profile = Path(args.user_data_dir) if args.user_data_dir else None
    if args.browser_action == "install":
        options: list[str] = []
        for flag, value in (
            ("--module", args.module),
            ("--pinentry", args.pinentry),
            ("--sites", args.sites),
        ):
            if value:
                options += [flag, str(Path(value).resolve())]
        if args.accept_page_pin:
            options.append("--accept-page-pin")
        done = install(
            browsers, scope=scope, home=home, user_data_dir=profile, host_options=options
        )
        key = "browser.installed"
    else:
        done = uninstall(browsers, scope=scope, home=home, user_data_dir=profile)
        key = "browser.removed"
    if not done:
        console.say("browser.nothing")
    for item in done:
        console.say(key, what=item.browser.value if item.browser else "launcher", path=item.path)
    return ExitCode.OK
