"""``xcapki decrypt INPUT -o OUTPUT``: open a CMS envelope with the card's encryption key.

The PIN rules are those of ``sign``: one login, never retried, the final try
only with ``--spend-final-try``. The envelope is streamed: memory does not
grow with it, and the content reaches OUTPUT only once it has decrypted whole.
The parser is built for every ``xcapki`` run, so the card and crypto layers
are imported only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, BinaryIO

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
    from xcapki.cli.errors import InputFileError
    from xcapki.cli.files import CheckedInput, StagedOutput, check_output, read_signature
    from xcapki.cli.present import subject_name
    from xcapki.cli.progress import progress_bar
    from xcapki.crypto.cms import open_envelope_stream
    from xcapki.decrypter import RsaPkcs1v15
    from xcapki.token import KeyPurpose

    target = check_output(args.output, inputs=[args.input], force=args.force)
    stream = read_signature(args.input)
    try:
        if _start(stream).lstrip()[:13].lower().startswith(b"mime-version:"):
            raise InputFileError(
                f"{args.input} is S/MIME, which xcapki does not read: convert it with"
                f" openssl cms -cmsout -in {args.input} -outform DER -out envelope.der"
            )
        source = CheckedInput(stream, args.input)
        with logged_in(args, console) as session:
            decrypter = session.decrypter(KeyPurpose.ENCRYPTION)
            console.progress("progress.decrypt", label=subject_name(decrypter.certificate))
            label = console.text("progress.bar.decrypt")
            # Plaintext is staged beside OUTPUT and moved there only once the GCM tag or
            # the CBC padding has been checked: a refused envelope leaves nothing behind.
            with (
                StagedOutput(target, replace=args.force, private=True) as out,
                progress_bar(console, total=source.size(), label=label) as advance,
            ):
                opened = open_envelope_stream(source, out, decrypter, progress=advance)
                out.commit()
    finally:
        stream.close()
    transport = (
        "pkcs1v15"
        if isinstance(opened.key_transport, RsaPkcs1v15)
        else f"oaep-{opened.key_transport.hash_algorithm.value.lower()}"
    )
    console.document(
        {
            "output": args.output,
            "size": opened.content_size,
            "cipher": opened.content_encryption.value,
            "key_transport": transport,
            "authenticated": opened.authenticated,
        }
    )
    console.say(
        "decrypt.done",
        path=args.output,
        size=opened.content_size,
        cipher=opened.content_encryption.value,
        integrity=console.text(
            "decrypt.authenticated" if opened.authenticated else "decrypt.unauthenticated"
        ),
    )
    return ExitCode.OK


def _start(stream: BinaryIO) -> bytes:
    """The first bytes of ``stream``, left in it to be read again."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(64)[:64])
    start = stream.read(64)
    stream.seek(0)
    return start
