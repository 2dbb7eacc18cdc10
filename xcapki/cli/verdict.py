"""What a verified signature means for the exit code and the one-line verdict."""

from __future__ import annotations

from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.messages import Catalogue
from xcapki.crypto.cms import VerifiedSignedData
from xcapki.crypto.errors import RevocationError
from xcapki.crypto.validation import (
    CertificateRevokedError,
    RevocationState,
    RevocationUnknownError,
)

__all__ = ["VERDICT_MESSAGES", "signature_verdict", "verdict_message"]

VERDICT_MESSAGES = {
    ExitCode.OK: "verify.ok",
    ExitCode.NOT_INTACT: "verify.not_intact",
    ExitCode.UNTRUSTED: "verify.untrusted",
    ExitCode.REVOKED: "verify.revoked",
    ExitCode.REVOCATION_UNAVAILABLE: "verify.revocation_unavailable",
}


def signature_verdict(result: VerifiedSignedData) -> ExitCode:
    """OK only when intact, trusted and not revoked; otherwise the first thing that failed."""
    if not result.intact:
        return ExitCode.NOT_INTACT
    failure = result.path_failure
    if failure is None:
        return ExitCode.OK
    if isinstance(failure, CertificateRevokedError | RevocationUnknownError):
        return ExitCode.REVOKED
    if isinstance(failure, RevocationError):
        return ExitCode.REVOCATION_UNAVAILABLE
    return ExitCode.UNTRUSTED


def verdict_message(catalogue: Catalogue, result: VerifiedSignedData, code: ExitCode) -> str:
    """The verdict line; "not revoked" only when revocation was checked and good."""
    if code is ExitCode.OK:
        state = result.revocation.state
        if state is RevocationState.NOT_CHECKED:
            return catalogue.text("verify.ok_not_checked")
        if state is not RevocationState.GOOD:
            word = catalogue.text(f"revocation.{state.value}")
            return catalogue.text("verify.ok_unconfirmed", state=word)
    return catalogue.text(VERDICT_MESSAGES[code])
