"""``xcapki readers``: the PC/SC readers and what is in them."""

from __future__ import annotations

import argparse

from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.present import reader_json
from xcapki.reader import card_status, list_readers, wait_for_card


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """List the readers with card presence, ATR and the identified card; with ``--wait``
    first block until a card is in a reader (Ctrl-C stops waiting)."""
    if args.wait is not None:
        console.progress("readers.waiting")
        wait_for_card(timeout=args.wait or None)
    statuses = [card_status(reader) for reader in list_readers()]
    console.document({"readers": [reader_json(status) for status in statuses]})
    for status in statuses:
        presence = console.text(f"presence.{status.presence.name}")
        console.say("readers.line", reader=status.reader.name, presence=presence)
        if status.atr is not None:
            console.field("field.atr", status.atr.hex())
        if status.card is not None:
            console.field("field.card", status.card.description)
    return ExitCode.OK
