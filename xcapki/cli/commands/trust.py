"""``xcapki trust list|add|remove``: the sites the local signing service lets use the card.

The same file the service reads and ``/addDomain`` writes
(``~/.config/xcapki/trusted-origins.json``, or ``--file``). A running service
keeps its own copy: restart it after a removal.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xcapki.cli.console import Console
from xcapki.cli.errors import ArgumentValueError
from xcapki.cli.exit_codes import ExitCode
from xcapki.service.config import default_trust_list_path
from xcapki.service.trust import TrustList, normalise_trust_entry

_DONE = {"add": "trust.added", "remove": "trust.removed"}


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """List, add or remove a trusted site."""
    given = getattr(args, "file", None)  # --file is optional, so absent when not given
    path = Path(given) if given else default_trust_list_path()
    trusted = TrustList(path)
    if args.trust_action == "list":
        entries = sorted(trusted.entries)
        console.document({"file": str(path), "sites": entries})
        console.say("trust.file", path=path)
        for listed in entries:
            console.line(f"  {listed}")
        if not entries:
            console.say("trust.none")
        return ExitCode.OK
    entry = normalise_trust_entry(args.site)
    if entry is None:
        raise ArgumentValueError(
            key="trust.not_a_site", site=args.site, remedy_key="remedy.trust_site"
        )
    if args.trust_action == "add":
        trusted.add(entry)
        changed = True
    else:
        changed = trusted.remove(entry)
    key = _DONE[args.trust_action] if changed else "trust.absent"
    console.document({"file": str(path), "site": entry, "changed": changed})
    console.say(key, site=entry, path=path)
    return ExitCode.OK
