"""``xcapki certs``: the card's certificates read through the Taiwan profile.

Certificates are public objects, read without logging in: no PIN is asked
and no PIN try can be spent, so this works on a card whose PIN is locked.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.cli.console import Console
from xcapki.cli.context import open_module, select_token
from xcapki.cli.errors import InputFileError
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import StagedOutput, check_output
from xcapki.cli.present import (
    certificate_json,
    print_certificate,
    print_token,
    subject_name,
    token_json,
)
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.token import KeyPurpose, TokenCertificate, TokenInfo

_ORDER = {
    KeyPurpose.SIGNING: 0,
    KeyPurpose.ENCRYPTION: 1,
    KeyPurpose.AUTHORITY: 2,
    KeyPurpose.OTHER: 3,
}


def show_certificates(
    console: Console,
    token: TokenInfo,
    found: tuple[TokenCertificate, ...],
    store: TrustStore | None,
    extra: dict[str, object] | None = None,
) -> None:
    """Print (or put in the JSON document) the token and its certificates, signing first."""
    ordered = sorted(found, key=lambda c: _ORDER[c.purpose])
    profiles = [
        TaiwanCertificate.from_certificate(c.certificate, trust_store=store) for c in ordered
    ]
    console.document(
        {
            **(extra or {}),
            "token": token_json(token),
            "certificates": [
                certificate_json(profile, on_token)
                for profile, on_token in zip(profiles, ordered, strict=True)
            ],
        }
    )
    print_token(console, token)
    if not ordered:
        console.say("certs.none")
    for profile, on_token in zip(profiles, ordered, strict=True):
        purpose = console.text(f"purpose.{profile.purpose.value}")
        console.say("certs.heading", label=on_token.label, purpose=purpose)
        print_certificate(console, profile)


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Print each certificate: authority, organisation, 統一編號, validity, purpose; with
    ``--export FILE`` also write the signing (or ``--purpose``) certificate as PEM or DER."""
    target = check_output(args.export, force=args.force) if args.export else None
    module = open_module(args, console)
    token = select_token(module, args.token)
    found = module.public_certificates(token)
    exported = None
    if target is not None:
        exported = _export(found, KeyPurpose(args.purpose), args.format, target, args.force)
    extra: dict[str, object] = {}
    if exported is not None:
        extra["exported"] = {"path": args.export, "format": args.format}
    show_certificates(console, token, found, TrustStore.bundled(), extra)
    if exported is not None:
        console.say("certs.exported", path=args.export, subject=exported)
    return ExitCode.OK if found else ExitCode.TOKEN


def _export(
    found: tuple[TokenCertificate, ...],
    purpose: KeyPurpose,
    form: str,
    target: Path,
    replace: bool,
) -> str:
    """Write the first certificate of ``purpose``; its subject for the message."""
    chosen = next((c for c in found if c.purpose is purpose), None)
    if chosen is None:
        raise InputFileError(key="certs.none_of_purpose", purpose=purpose.value)
    encoding = Encoding.DER if form == "der" else Encoding.PEM
    with StagedOutput(target, replace=replace) as out:
        out.write(chosen.certificate.public_bytes(encoding))
        out.commit()
    return subject_name(chosen.certificate)
