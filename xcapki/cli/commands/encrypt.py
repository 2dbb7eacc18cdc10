"""``xcapki encrypt --to CERT INPUT -o OUTPUT``: a CMS envelope only that certificate's key opens.

No card is needed: encrypting uses only the recipient's certificate (on a
card, its encryption certificate ``cert2``). The input is streamed (memory
does not grow with it) into BER, and reaches OUTPUT only once it is complete.
The parser is built for every ``xcapki`` run, so the crypto layer is imported
only when the command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from xcapki.cli.exit_codes import ExitCode

if TYPE_CHECKING:
    from cryptography import x509

    from xcapki.cli.console import Console

__all__ = ["HELP", "add_arguments", "read_certificate", "run"]

HELP = "encrypt a file to a certificate (CMS envelope; no card needed)"

CIPHERS = ("aes-256-gcm", "aes-128-gcm", "aes-256-cbc", "aes-128-cbc", "des-ede3-cbc")
KEY_TRANSPORTS = ("oaep", "oaep-sha256", "pkcs1v15")


def add_arguments(parser: argparse.ArgumentParser, t: Callable[[str], str]) -> None:
    """The command's own arguments."""
    parser.add_argument("input", metavar="INPUT")
    parser.add_argument("--to", metavar="CERT", required=True, help=t("help.encrypt.to"))
    parser.add_argument("-o", "--output", metavar="OUTPUT.p7m", required=True)
    parser.add_argument(
        "--cipher",
        choices=CIPHERS,
        default=CIPHERS[0],
        help=t("help.encrypt.cipher"),
    )
    parser.add_argument(
        "--key-transport",
        choices=KEY_TRANSPORTS,
        default=KEY_TRANSPORTS[0],
        help=t("help.encrypt.key_transport"),
    )
    parser.add_argument("--force", action="store_true", help=t("help.output.force"))


def read_certificate(name: str) -> x509.Certificate:
    """One certificate from a PEM or DER file."""
    from cryptography import x509

    from xcapki.cli.errors import InputFileError
    from xcapki.cli.files import read_file

    data = read_file(name)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise InputFileError(
            f"{name} holds no readable certificate: give the recipient's certificate as PEM or DER"
        ) from None


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Encrypt INPUT to ``--to`` and write the envelope to OUTPUT, streaming the content."""
    from xcapki.algorithms import HashAlgorithm
    from xcapki.cli.files import CheckedInput, StagedOutput, check_output, open_input
    from xcapki.cli.present import subject_name
    from xcapki.cli.progress import progress_bar
    from xcapki.crypto.cms import ContentEncryption, encrypt_envelope_stream
    from xcapki.decrypter import PKCS1V15, KeyTransport, RsaOaep

    transports: dict[str, KeyTransport] = {
        "oaep": RsaOaep(),
        "oaep-sha256": RsaOaep(hash_algorithm=HashAlgorithm.SHA256, mgf1_hash=HashAlgorithm.SHA256),
        "pkcs1v15": PKCS1V15,
    }
    recipient = read_certificate(args.to)
    cipher = ContentEncryption(args.cipher)
    source = CheckedInput(open_input(args.input), args.input)
    try:
        target = check_output(args.output, inputs=[args.input], force=args.force)
        label = console.text("progress.bar.encrypt")
        with (
            StagedOutput(target, replace=args.force, private=True) as out,
            progress_bar(console, total=source.size(), label=label) as advance,
        ):
            made = encrypt_envelope_stream(
                source,
                out,
                recipient,
                content_encryption=cipher,
                key_transport=transports[args.key_transport],
                progress=advance,
            )
            out.commit()
    finally:
        source.close()
    console.document(
        {
            "output": args.output,
            "size": made.size,
            "content_size": made.content_size,
            "cipher": cipher.value,
            "key_transport": args.key_transport,
            "recipient": recipient.subject.rfc4514_string(),
        }
    )
    console.say(
        "encrypt.done",
        path=args.output,
        cipher=cipher.value,
        size=made.size,
        recipient=subject_name(recipient),
    )
    return ExitCode.OK
