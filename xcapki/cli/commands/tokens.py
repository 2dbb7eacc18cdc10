"""``xcapki tokens``: the tokens (cards) the PKCS#11 module sees; no PIN needed."""

from __future__ import annotations

import argparse

from xcapki.cli.console import Console
from xcapki.cli.context import open_module
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.present import print_token, token_json


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """List every token; exit TOKEN when none holds a card."""
    module = open_module(args, console)
    tokens = module.tokens()
    console.document(
        {
            "module": {
                "path": module.path,
                "manufacturer": module.manufacturer,
                "description": module.description,
            },
            "tokens": [token_json(token) for token in tokens],
        }
    )
    for token in tokens:
        print_token(console, token)
    if not any(token.initialized for token in tokens):
        console.say("tokens.none")
        return ExitCode.TOKEN
    return ExitCode.OK
