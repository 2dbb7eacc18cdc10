"""``xcapki verify SIGNATURE.p7s``: intact, trusted and not revoked, each answered apart.

Exit 0 only when all three hold; otherwise the exit code names the first
failure (docs/cli.md). The signature and content are streamed, so a file of
any size up to ``--max-size`` verifies in flat memory. ``--out FILE`` keeps
the signed content, and only when the signature is intact. The JSON carries
the three answers, the signer and its Taiwan identity.
"""

from __future__ import annotations

import argparse
import contextlib

from xcapki.cli.commands import pdf
from xcapki.cli.console import Console
from xcapki.cli.context import chain_validator, trust_store
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.failures import describe_failure
from xcapki.cli.files import CheckedInput, StagedOutput, check_output, open_input, read_signature
from xcapki.cli.present import certificate_json, print_certificate, revocation_json
from xcapki.cli.progress import progress_bar
from xcapki.cli.reasons import reason
from xcapki.cli.verdict import signature_verdict, verdict_message
from xcapki.crypto.cms import CmsError, StreamedVerification, verify_stream
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation import NOT_CHECKED


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Verify the signature and report intact / trusted / revocation and the signer."""
    if pdf.wants_pdf(args, args.signature, signing=False):
        return pdf.verify(args, console)
    inputs = [args.signature, *([args.content] if args.content else [])]
    target = check_output(args.out, inputs=inputs, force=args.force) if args.out else None
    store = trust_store(args)
    validator = chain_validator(args, store)
    with contextlib.ExitStack() as stack:
        signature = CheckedInput(read_signature(args.signature), args.signature)
        stack.callback(signature.close)
        content = None
        if args.content:
            content = CheckedInput(open_input(args.content), args.content)
            stack.callback(content.close)
        out = (
            stack.enter_context(StagedOutput(target, replace=args.force))
            if target is not None
            else None
        )
        total = content.size() if content is not None else signature.size()
        console.progress("progress.validate")
        label = console.text("progress.bar.verify")
        try:
            with progress_bar(console, total=total, label=label) as advance:
                verified = verify_stream(
                    signature,
                    validator=validator,
                    content=content,
                    out=out,
                    max_size=args.max_size,
                    progress=advance,
                )
        except CmsError as error:
            return _unusable(console, error)
        if out is not None and verified.result.intact:
            out.commit()
    code = signature_verdict(verified.result)
    profile = TaiwanCertificate.from_certificate(
        verified.result.signature.signer_certificate, trust_store=store
    )
    console.document(_document(verified, profile, code, args.out))
    _print(console, verified, profile, code, args.out)
    return code


def _failure_json(error: Exception | None) -> dict[str, str] | None:
    if error is None:
        return None
    return {"type": type(error).__name__, "message": str(error)}


def _document(
    verified: StreamedVerification, profile: TaiwanCertificate, code: ExitCode, out: str | None
) -> dict[str, object]:
    result = verified.result
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
        "detached": verified.detached,
        "digest_algorithm": signature.digest_algorithm.value,
        "signature_scheme": signature.signature_scheme.value,
        "content_size": verified.content_size,
        "content_written": out if out is not None and result.intact else None,
        "exit_code": int(code),
    }


def _unusable(console: Console, error: CmsError) -> ExitCode:
    failure = describe_failure(error, console.catalogue)
    console.document(
        {
            "valid": False,
            "intact": False,
            "trusted": False,
            "revocation": revocation_json(NOT_CHECKED),
            "failure": _failure_json(error),
            "error": failure.as_json()["error"],
            "signer": None,
            "chain": None,
            "exit_code": int(failure.exit_code),
        }
    )
    console.line(console.text("verify.unusable", summary=failure.summary))
    if failure.detail.rstrip("。.") != failure.summary:
        console.field("field.failure", failure.detail)
    console.field("field.remedy", failure.remedy)
    return failure.exit_code


def _yes_no(console: Console, value: bool) -> str:
    return console.text("yes" if value else "no")


def _print(
    console: Console,
    verified: StreamedVerification,
    profile: TaiwanCertificate,
    code: ExitCode,
    out: str | None,
) -> None:
    result = verified.result
    console.line(verdict_message(console.catalogue, result, code))
    revocation = console.text(f"revocation.{result.revocation.state.value}")
    rows = [
        ("field.intact", _yes_no(console, result.intact)),
        ("field.trusted", _yes_no(console, result.trusted)),
        ("field.revocation", revocation),
    ]
    if result.signature.signing_time is not None:
        rows.append(("field.signing_time", result.signature.signing_time.isoformat()))
    if result.failure is not None:
        rows.append(("field.failure", reason(result.failure, console.catalogue)))
        failure = describe_failure(result.failure, console.catalogue)
        rows.append(("field.remedy", failure.remedy))
    if out is not None:
        kept = result.intact
        rows.append(
            (
                "field.content",
                console.text("verify.out.kept" if kept else "verify.out.dropped", path=out),
            )
        )
    for key, value in rows:
        console.field(key, value)
    console.line(f"  {console.text('field.signer')}:")
    print_certificate(console, profile, indent="    ")
    if result.path is not None:
        chain = " <- ".join(c.subject.rfc4514_string() for c in result.path.chain)
        console.field("field.chain", chain)
