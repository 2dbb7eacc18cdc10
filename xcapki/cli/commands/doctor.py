"""``xcapki doctor``: every check a card login needs, in order, each with a verdict and remedy.

Order follows the manual's troubleshooting: the reader and card (Q2), the
card component (Q1), the card's PIN and certificates, the network to the CA
and the portal (Q3), and the local signing service port. Exit 0 when no
check failed (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse

from xcapki.cli.console import Console
from xcapki.cli.doctor.browser_checks import check_local_network_access
from xcapki.cli.doctor.model import Check, CheckId, Recorder, Verdict
from xcapki.cli.doctor.network_checks import check_network, check_service_port
from xcapki.cli.doctor.reader_checks import PCSC_CHECKS, check_pcsc
from xcapki.cli.doctor.token_checks import check_token
from xcapki.cli.exit_codes import ExitCode


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Run the checks, print them, exit FAILED when any failed."""
    recorder = Recorder(console.catalogue)
    if args.no_pcsc:
        recorder.skip(PCSC_CHECKS, "skip.no_pcsc")
    else:
        console.progress("progress.check", name=console.text("check.pcsc_service"))
        check_pcsc(recorder)
    console.progress("progress.check", name=console.text("check.pkcs11_module"))
    check_token(recorder, args, console)
    if args.offline:
        recorder.skip((CheckId.PROXY, CheckId.PORTAL_DNS, CheckId.PORTAL_TLS), "skip.offline")
    else:
        console.progress("progress.check", name=console.text("check.portal_tls"))
        check_network(recorder, args.portal_url, args.timeout)
    check_service_port(recorder, args.service_port, args.timeout)
    check_local_network_access(recorder, args.portal_url)
    failed = sum(check.verdict is Verdict.FAIL for check in recorder.checks)
    warnings = sum(check.verdict is Verdict.WARN for check in recorder.checks)
    code = ExitCode.FAILED if failed else ExitCode.OK
    if failed:
        summary = console.text("doctor.summary.failed", count=failed)
    else:
        extra = console.text("doctor.summary.warnings", count=warnings) if warnings else ""
        summary = console.text("doctor.summary.ok", warnings=extra)
    console.document(
        {
            "checks": [check.as_json(console.catalogue) for check in recorder.checks],
            "failed": failed,
            "warnings": warnings,
            "summary": summary,
            "exit_code": int(code),
        }
    )
    for check in recorder.checks:
        _print(console, check)
    console.line(summary)
    return code


def _print(console: Console, check: Check) -> None:
    question = check.id.question
    where = "" if question is None else console.text("doctor.question", question=question.value)
    name = console.text(f"check.{check.id.value}")
    tag = console.text(f"verdict.{check.verdict.value}")
    console.say("doctor.line", tag=tag, name=name, where=where, message=check.message)
    if check.remedy and check.verdict is not Verdict.OK:
        console.say("doctor.remedy", remedy=check.remedy)
