"""What a verified signature means for the exit code and the one-line verdict."""

from __future__ import annotations

from xcapki.cli.exit_codes import ExitCode
from xcapki.crypto.cms import VerifiedSignedData
from xcapki.crypto.errors import RevocationError
from xcapki.crypto.validation import CertificateRevokedError, RevocationUnknownError

__all__ = ["VERDICT_MESSAGES", "signature_verdict"]

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
