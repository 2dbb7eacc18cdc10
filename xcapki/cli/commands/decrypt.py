"""``xcapki decrypt INPUT -o OUTPUT``: open a CMS envelope with the card's encryption key.

The PIN rules are those of ``sign``: one login, never retried, the final try
only with ``--spend-final-try``. The parser is built for every ``xcapki``
run, so the card and crypto layers are imported only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from xcapki.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from xcapki.cli.console import Console

__all__ = ["HELP", "add_arguments", "run"]

HELP = "decrypt a CMS envelope (PKCS#7) with the card's encryption key"


def add_arguments(parser: argparse.ArgumentParser, t: Callable[[str], str]) -> None:
    """The command's own arguments."""
    parser.add_argument("input", metavar="INPUT.p7m", help=t("help.decrypt.input"))
    parser.add_argument("-o", "--output", metavar="OUTPUT", required=True)
    parser.add_argument("--force", action="store_true", help=t("help.output.force"))


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Decrypt INPUT on the card and write the content to OUTPUT (mode 0600)."""
    from xcapki.cli.commands._card import logged_in
    from xcapki.cli.commands._new_file import check_new_file, write_new_file
    from xcapki.cli.errors import InputFileError
    from xcapki.cli.files import read_signature
    from xcapki.cli.present import subject_name
    from xcapki.crypto.cms import open_envelope
    from xcapki.decrypter import RsaPkcs1v15
    from xcapki.token import KeyPurpose

    check_new_file(args.output, force=args.force)
    with read_signature(args.input) as stream:
        envelope = stream.read()
    if envelope.lstrip()[:13].lower().startswith(b"mime-version:"):
        raise InputFileError(
            f"{args.input} is S/MIME, which xcapki does not read: convert it with"
            f" openssl cms -cmsout -in {args.input} -outform DER -out envelope.der"
        )
    with logged_in(args, console) as session:
        decrypter = session.decrypter(KeyPurpose.ENCRYPTION)
        console.progress("progress.decrypt", label=subject_name(decrypter.certificate))
        opened = open_envelope(envelope, decrypter)
    write_new_file(args.output, opened.content, force=args.force)
    transport = (
        "pkcs1v15"
        if isinstance(opened.key_transport, RsaPkcs1v15)
        else f"oaep-{opened.key_transport.hash_algorithm.value.lower()}"
    )
    console.document(
        {
            "output": args.output,
            "size": len(opened.content),
            "cipher": opened.content_encryption.value,
            "key_transport": transport,
            "authenticated": opened.authenticated,
        }
    )
    console.say(
        "decrypt.done",
        path=args.output,
        size=len(opened.content),
        cipher=opened.content_encryption.value,
        integrity=console.text(
            "decrypt.authenticated" if opened.authenticated else "decrypt.unauthenticated"
        ),
    )
    return ExitCode.OK
