"""``xcapki pin status`` (no PIN needed) and ``xcapki pin change``."""

from __future__ import annotations

import argparse

from xcapki.cli.console import Console
from xcapki.cli.context import open_module, pin_source, select_token, terminal_secret
from xcapki.cli.errors import PinMismatchError
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.present import token_json, token_words
from xcapki.token import Pin, PinFromEnvironment, PinState, login, resolve_pin


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Dispatch to the PIN action."""
    if args.pin_action == "status":
        return _status(args, console)
    return _change(args, console)


def _status(args: argparse.Namespace, console: Console) -> ExitCode:
    module = open_module(args, console)
    token = select_token(module, args.token)
    state = token.pin_state
    console.document({"token": token_json(token), "pin_state": state.value})
    console.say(
        "pin.status",
        token=token_words(console, token),
        pin_state=console.text(f"pin_state.{state.value}"),
    )
    return ExitCode.PIN if state is PinState.LOCKED else ExitCode.OK


def _new_pin(args: argparse.Namespace, console: Console) -> Pin:
    variable: str | None = args.new_pin_env
    if variable:
        return resolve_pin(PinFromEnvironment(variable=variable))
    first = terminal_secret(console.text("prompt.new_pin"))
    second = terminal_secret(console.text("prompt.new_pin_again"))
    if first != second:
        raise PinMismatchError(console.text("error.new_pins_differ"))
    return Pin(first)


def _change(args: argparse.Namespace, console: Console) -> ExitCode:
    module = open_module(args, console)
    token = select_token(module, args.token)
    old = resolve_pin(pin_source(args, console, token, prompt_key="prompt.old_pin"))
    new = _new_pin(args, console)
    console.progress("progress.login", token=token_words(console, token))
    with login(module, token, pin=old, spend_final_try=args.spend_final_try) as session:
        session.change_pin(old, new, spend_final_try=args.spend_final_try)
    console.document({"token": token_json(token), "changed": True})
    console.say("pin.changed", token=token_words(console, token))
    return ExitCode.OK
