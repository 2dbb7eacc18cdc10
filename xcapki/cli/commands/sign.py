"""``xcapki sign INPUT -o OUTPUT.p7s``: a CMS SignedData made with the card's signing key.

The output path is checked before the PIN is asked (not the input, no
existing file without ``--force``), the input is streamed (memory does not
grow with it), and the signature reaches OUTPUT only once it is complete.
"""

from __future__ import annotations

import argparse

from xcapki.algorithms import HashAlgorithm
from xcapki.cli.commands import pdf
from xcapki.cli.commands._card import authority_certificates, logged_in
from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import CheckedInput, StagedOutput, check_output, open_input
from xcapki.cli.present import certificate_json, subject_name
from xcapki.cli.progress import progress_bar
from xcapki.crypto.cms import sign_stream
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.token import KeyPurpose


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Sign INPUT (attached unless ``--detached``) and write it to OUTPUT."""
    if pdf.wants_pdf(args, args.input, signing=True):
        return pdf.sign(args, console)
    hash_algorithm = HashAlgorithm[args.hash.upper()]
    source = CheckedInput(open_input(args.input), args.input)
    try:
        target = check_output(args.output, inputs=[args.input], force=args.force)
        with logged_in(args, console) as session:
            signer = session.signer(KeyPurpose.SIGNING)
            chain = authority_certificates(session.certificates())
            console.progress("progress.sign", label=subject_name(signer.certificate))
            label = console.text("progress.bar.sign")
            with (
                StagedOutput(target, replace=args.force) as out,
                progress_bar(console, total=source.size(), label=label) as advance,
            ):
                written = sign_stream(
                    source,
                    out,
                    signer,
                    detached=args.detached,
                    hash_algorithm=hash_algorithm,
                    include_chain=chain,
                    progress=advance,
                )
                out.commit()
    finally:
        source.close()
    profile = TaiwanCertificate.from_certificate(
        signer.certificate, trust_store=TrustStore.bundled()
    )
    console.document(
        {
            "output": args.output,
            "size": written.size,
            "content_size": written.content_size,
            "detached": args.detached,
            "hash": hash_algorithm.value,
            "signer": certificate_json(profile),
        }
    )
    console.say(
        "sign.done",
        path=args.output,
        shape=console.text("sign.detached" if args.detached else "sign.attached"),
        hash=hash_algorithm.value,
        size=written.size,
        signer=subject_name(signer.certificate),
    )
    return ExitCode.OK
