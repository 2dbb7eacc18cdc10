"""``xcapki selftest``: the manual's 驗簽測試, answering plainly whether the card works.

Steps in order: find the card, one PIN login (a wrong PIN stops the test and
is never retried), sign a fresh random challenge with the signing key,
verify the signature, its certificate path and revocation. The card "works"
when the signature is intact and its signer trusted.
"""

from __future__ import annotations

import argparse
import enum
import secrets
from dataclasses import dataclass

from xcapki.algorithms import HashAlgorithm
from xcapki.cli.commands._card import authority_certificates
from xcapki.cli.console import Console
from xcapki.cli.context import (
    chain_validator,
    open_module,
    pin_source,
    select_token,
    trust_store,
)
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.failures import describe_failure
from xcapki.cli.present import certificate_json, revocation_json, subject_name, token_words
from xcapki.cli.reasons import reason
from xcapki.crypto.cms import VerifiedSignedData, sign_cms, verify_signed_data
from xcapki.crypto.errors import RevocationError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation import (
    CertificateRevokedError,
    PathBuildingError,
    RevocationState,
    RevocationUnknownError,
)
from xcapki.errors import XcapkiError
from xcapki.token import KeyPurpose, login

CHALLENGE_BYTES = 32


class StepResult(enum.Enum):
    """How one step of the test went."""

    OK = "pass"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of the self-test with what it found."""

    name: str
    result: StepResult
    detail: str


class _Report:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps: list[Step] = []

    def add(self, name: str, result: StepResult, detail: str) -> None:
        self.steps.append(Step(name=name, result=result, detail=detail))
        tag = self.console.text(f"verdict.{result.value}")
        title = self.console.text(f"selftest.step.{name}")
        self.console.say("selftest.line", tag=tag, name=title, detail=detail)


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Run the steps; exit OK when the card works, FAILED when it does not, or the
    failure's own code (PIN, TOKEN, READER) when the test could not reach the card."""
    report = _Report(console)
    stage = "token"
    try:
        module = open_module(args, console)
        token = select_token(module, args.token)
        report.add("token", StepResult.OK, token_words(console, token))
        stage = "pin"
        source = pin_source(args, console, token)
        console.progress("progress.login", token=token_words(console, token))
        with login(module, token, pin=source, spend_final_try=args.spend_final_try) as session:
            report.add("pin", StepResult.OK, console.text("pin_state.ok"))
            stage = "sign"
            signer = session.signer(KeyPurpose.SIGNING)
            chain = authority_certificates(session.certificates())
            challenge = secrets.token_bytes(CHALLENGE_BYTES)
            console.progress("progress.sign", label=subject_name(signer.certificate))
            signature = sign_cms(
                challenge,
                signer,
                hash_algorithm=HashAlgorithm[args.hash.upper()],
                include_chain=chain,
            )
        report.add("sign", StepResult.OK, f"{len(challenge)} bytes, {args.hash}")
        stage = "verify"
        store = trust_store(args)
        console.progress("progress.validate")
        result = verify_signed_data(
            signature, validator=chain_validator(args, store), content=challenge
        )
    except XcapkiError as error:
        return _stopped(console, report, stage, error)
    return _judge(console, report, result, store_profile=_profile(result, args))


def _profile(result: VerifiedSignedData, args: argparse.Namespace) -> TaiwanCertificate:
    return TaiwanCertificate.from_certificate(
        result.signature.signer_certificate, trust_store=trust_store(args)
    )


def _stopped(console: Console, report: _Report, stage: str, error: XcapkiError) -> ExitCode:
    failure = describe_failure(error, console.catalogue)
    detail = console.text("doctor.failure", summary=failure.summary, detail=failure.remedy)
    report.add(stage, StepResult.FAIL, detail)
    reached_card = stage in ("sign", "verify")
    verdict_key = "selftest.broken" if reached_card else "selftest.not_tested"
    because = console.text("selftest.stop_reason", summary=failure.summary, detail=failure.detail)
    verdict = console.text(verdict_key, reason=because)
    code = ExitCode.FAILED if reached_card else failure.exit_code
    console.document(
        _document(
            report,
            works=False,
            verdict=verdict,
            code=code,
            extra={"failure": failure.as_json()["error"]},
        )
    )
    console.line(verdict)
    return code


def _judge(
    console: Console,
    report: _Report,
    result: VerifiedSignedData,
    *,
    store_profile: TaiwanCertificate,
) -> ExitCode:
    if result.intact:
        report.add("verify", StepResult.OK, console.text("yes"))
    else:
        assert result.signature.failure is not None
        report.add("verify", StepResult.FAIL, reason(result.signature.failure, console.catalogue))
    failure = result.path_failure
    revocation_failed = isinstance(failure, RevocationError)
    if result.intact:
        if failure is None or revocation_failed:
            anchor = "" if result.path is None else subject_name(result.path.trust_anchor)
            report.add("path", StepResult.OK, anchor or console.text("yes"))
        else:
            report.add("path", StepResult.FAIL, reason(failure, console.catalogue))
    if result.intact and (failure is None or revocation_failed):
        state = result.revocation.state
        word = console.text(f"revocation.{state.value}")
        if isinstance(failure, RevocationError):
            because = reason(failure, console.catalogue)
            detail = console.text("doctor.failure", summary=word, detail=because)
            report.add("revocation", StepResult.FAIL, detail)
        elif state in (RevocationState.GOOD, RevocationState.NOT_CHECKED):
            report.add("revocation", StepResult.OK, word)
        else:
            report.add("revocation", StepResult.WARN, word)
    works = result.intact and result.trusted
    part = None if works else _failed_part(result)
    if works:
        assert result.path is not None
        verdict = console.text(
            "selftest.works",
            label=subject_name(result.signature.signer_certificate),
            anchor=subject_name(result.path.trust_anchor),
        )
    else:
        assert result.failure is not None
        verdict = console.text(
            f"selftest.failed.{part}", reason=reason(result.failure, console.catalogue)
        )
    code = ExitCode.OK if works else ExitCode.FAILED
    console.document(
        _document(
            report,
            works=works,
            verdict=verdict,
            code=code,
            extra={
                "failed_part": part,
                "intact": result.intact,
                "trusted": result.trusted,
                "revocation": revocation_json(result.revocation),
                "signer": certificate_json(store_profile),
            },
        )
    )
    console.line(verdict)
    return code


def _failed_part(result: VerifiedSignedData) -> str:
    """Which part failed: the card (its signature or its certificate), the trust
    configuration of this computer, or the revocation check (the network)."""
    failure = result.path_failure
    if not result.intact or failure is None:
        return "card"
    if isinstance(failure, CertificateRevokedError | RevocationUnknownError):
        return "card"
    if isinstance(failure, RevocationError):
        return "revocation"
    if isinstance(failure, PathBuildingError):
        return "trust"
    return "card"


def _document(
    report: _Report, *, works: bool, verdict: str, code: ExitCode, extra: dict[str, object]
) -> dict[str, object]:
    return {
        "works": works,
        "verdict": verdict,
        "steps": [
            {"step": step.name, "result": step.result.value, "detail": step.detail}
            for step in report.steps
        ],
        **extra,
        "exit_code": int(code),
    }
