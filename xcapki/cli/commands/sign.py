"""``xcapki sign INPUT -o OUTPUT.p7s``: a CMS SignedData made with the card's signing key."""

from __future__ import annotations

import argparse

from xcapki.algorithms import HashAlgorithm
from xcapki.cli.commands import pdf
from xcapki.cli.commands._card import authority_certificates, logged_in
from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import read_file, write_file
from xcapki.cli.present import certificate_json, subject_name
from xcapki.crypto.cms import sign_cms
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.token import KeyPurpose


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Sign INPUT (attached unless ``--detached``) and write DER to OUTPUT."""
    if pdf.wants_pdf(args, args.input, signing=True):
        return pdf.sign(args, console)
    content = read_file(args.input)
    hash_algorithm = HashAlgorithm[args.hash.upper()]
    with logged_in(args, console) as session:
        signer = session.signer(KeyPurpose.SIGNING)
        chain = authority_certificates(session.certificates())
        console.progress("progress.sign", label=signer.certificate.subject.rfc4514_string())
        signature = sign_cms(
            content,
            signer,
            detached=args.detached,
            hash_algorithm=hash_algorithm,
            include_chain=chain,
        )
    write_file(args.output, signature)
    profile = TaiwanCertificate.from_certificate(
        signer.certificate, trust_store=TrustStore.bundled()
    )
    console.document(
        {
            "output": args.output,
            "size": len(signature),
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
        size=len(signature),
        signer=subject_name(signer.certificate),
    )
    return ExitCode.OK
