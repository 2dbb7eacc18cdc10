"""``xcapki verify SIGNATURE.p7s``: intact, trusted and not revoked, each answered apart.

Exit 0 only when all three hold; otherwise the exit code names the first
failure (docs/cli.md). The JSON carries the three answers, the signer and its
Taiwan identity.
"""

from __future__ import annotations

import argparse

from xcapki.cli.commands import pdf
from xcapki.cli.console import Console
from xcapki.cli.context import chain_validator, trust_store
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import read_file, read_signature
from xcapki.cli.present import certificate_json, print_certificate, revocation_json
from xcapki.cli.verdict import VERDICT_MESSAGES, signature_verdict
from xcapki.crypto.cms import CmsError, VerifiedSignedData, verify_signed_data
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation.status import NOT_CHECKED


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Verify the signature and report intact / trusted / revocation and the signer."""
    if pdf.wants_pdf(args, args.signature, signing=False):
        return pdf.verify(args, console)
    data = read_signature(args.signature)
    content = read_file(args.content) if args.content else None
    store = trust_store(args)
    validator = chain_validator(args, store)
    console.progress("progress.validate")
    try:
        result = verify_signed_data(data, validator=validator, content=content)
    except CmsError as error:
        return _unusable(console, error)
    code = signature_verdict(result)
    profile = TaiwanCertificate.from_certificate(
        result.signature.signer_certificate, trust_store=store
    )
    console.document(_document(result, profile, code))
    _print(console, result, profile, code)
    return code


def _failure_json(error: Exception | None) -> dict[str, str] | None:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": str(error)}


def _document(
    result: VerifiedSignedData, profile: TaiwanCertificate, code: ExitCode
) -> dict[str, object]:
    signature = result.signature
    return {
        "valid": code is ExitCode.OK,
        "intact": result.intact,
        "trusted": result.trusted,
        "revocation": revocation_json(result.revocation),
        "failure": _failure_json(result.failure),
        "signer": certificate_json(profile),
        "chain": None
        if result.path is None
        else [c.subject.rfc4514_string() for c in result.path.chain],
        "signing_time": None
        if signature.signing_time is None
        else signature.signing_time.isoformat(),
        "detached": signature.detached,
        "digest_algorithm": signature.digest_algorithm.value,
        "signature_scheme": signature.signature_scheme.value,
        "content_size": len(signature.content),
        "exit_code": int(code),
    }


def _unusable(console: Console, error: CmsError) -> ExitCode:
    code = ExitCode.NOT_INTACT
    console.document(
        {
            "valid": False,
            "intact": False,
            "trusted": False,
            "revocation": revocation_json(NOT_CHECKED),
            "failure": _failure_json(error),
            "signer": None,
            "chain": None,
            "exit_code": int(code),
        }
    )
    console.say(VERDICT_MESSAGES[code])
    console.line(f"  {console.text('field.failure')}: {error}")
    return code


def _yes_no(console: Console, value: bool) -> str:
    return console.text("yes" if value else "no")


def _print(
    console: Console, result: VerifiedSignedData, profile: TaiwanCertificate, code: ExitCode
) -> None:
    console.say(VERDICT_MESSAGES[code])
    revocation = console.text(f"revocation.{result.revocation.state.value}")
    rows = [
        ("field.intact", _yes_no(console, result.intact)),
        ("field.trusted", _yes_no(console, result.trusted)),
        ("field.revocation", revocation),
    ]
    if result.signature.signing_time is not None:
        rows.append(("field.signing_time", result.signature.signing_time.isoformat()))
    if result.failure is not None:
        rows.append(("field.failure", str(result.failure)))
    for key, value in rows:
        console.line(f"  {console.text(key)}: {value}")
    console.line(f"  {console.text('field.signer')}:")
    print_certificate(console, profile, indent="    ")
    if result.path is not None:
        chain = " <- ".join(c.subject.rfc4514_string() for c in result.path.chain)
        console.line(f"  {console.text('field.chain')}: {chain}")
