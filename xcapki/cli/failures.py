"""How an xcapki error becomes an exit code and a translated summary with a remedy.

The order matters: subclasses before their parents. Layers are imported
lazily by the classes they define, so mapping an error never loads pyscard
or python-pkcs11.
"""

from __future__ import annotations

from dataclasses import dataclass

from xcapki.cli.errors import (
    ArgumentValueError,
    CliError,
    ExtraMissingError,
    InputFileError,
    OutputFileError,
    PinMismatchError,
    ServiceUnavailableError,
)
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.messages import Catalogue
from xcapki.cli.reasons import reason
from xcapki.crypto.cms import DecryptionError, EnvelopeUsageError
from xcapki.crypto.cms.errors import (
    AlgorithmNotAllowedError,
    CmsTooLargeError,
    ContentMismatchError,
    DetachedContentMissingError,
    NotCmsError,
)
from xcapki.crypto.errors import (
    CertificateError,
    CmsError,
    CryptoError,
    PathValidationError,
    RevocationError,
    TrustStoreError,
)
from xcapki.crypto.validation.errors import CertificateRevokedError, RevocationUnknownError
from xcapki.demo.errors import DemoSetupError
from xcapki.errors import XcapkiError
from xcapki.pdf.errors import PdfFormatError, PdfSigningError, PdfUsageError, TimestampError
from xcapki.reader.errors import (
    CardRemovedError,
    EventWaitTimeout,
    NoCardError,
    NoReaderError,
    PcscLibraryMissingError,
    PcscServiceUnavailableError,
    ReaderError,
)
from xcapki.testing.errors import TestingError
from xcapki.token.discovery import HICOS_DOWNLOAD, HicosModuleMissingError
from xcapki.token.errors import (
    AmbiguousTokenError,
    FinalTryRefusedError,
    ModuleError,
    ObjectNotFoundError,
    PinError,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    PinUnavailableError,
    TokenError,
    TokenNotFoundError,
    TokenRemovedError,
)

__all__ = ["Failure", "describe_failure"]

_KINDS: tuple[tuple[type[XcapkiError], str, ExitCode], ...] = (
    (PcscLibraryMissingError, "pcsc_library", ExitCode.READER),
    (PcscServiceUnavailableError, "pcsc_service", ExitCode.READER),
    (NoReaderError, "no_reader", ExitCode.READER),
    (NoCardError, "no_card", ExitCode.READER),
    (EventWaitTimeout, "wait_timeout", ExitCode.READER),
    (CardRemovedError, "no_card", ExitCode.READER),
    (ReaderError, "reader", ExitCode.READER),
    (PinMismatchError, "pin_format", ExitCode.PIN),
    (PinLockedError, "pin_locked", ExitCode.PIN),
    (FinalTryRefusedError, "final_try", ExitCode.PIN),
    (PinIncorrectError, "pin_incorrect", ExitCode.PIN),
    (PinFormatError, "pin_format", ExitCode.PIN),
    (PinUnavailableError, "pin_unavailable", ExitCode.PIN),
    (PinError, "pin", ExitCode.PIN),
    (HicosModuleMissingError, "hicos_missing", ExitCode.TOKEN),
    (ModuleError, "module", ExitCode.TOKEN),
    (TokenNotFoundError, "no_token", ExitCode.TOKEN),
    (TokenRemovedError, "no_token", ExitCode.TOKEN),
    (AmbiguousTokenError, "ambiguous_token", ExitCode.TOKEN),
    (ObjectNotFoundError, "no_key", ExitCode.TOKEN),
    (TokenError, "token", ExitCode.TOKEN),
    (NotCmsError, "not_cms", ExitCode.NOT_INTACT),
    (CmsTooLargeError, "too_large", ExitCode.INPUT),
    (DetachedContentMissingError, "needs_content", ExitCode.INPUT),
    (ContentMismatchError, "content_mismatch", ExitCode.NOT_INTACT),
    (AlgorithmNotAllowedError, "algorithm", ExitCode.NOT_INTACT),
    (CmsError, "cms", ExitCode.NOT_INTACT),
    (DecryptionError, "decrypt", ExitCode.INPUT),
    (EnvelopeUsageError, "recipient", ExitCode.INPUT),
    (CertificateError, "certificate", ExitCode.INPUT),
    (TrustStoreError, "trust_store", ExitCode.INPUT),
    (CertificateRevokedError, "revoked", ExitCode.REVOKED),
    (RevocationUnknownError, "revoked", ExitCode.REVOKED),
    (RevocationError, "revocation", ExitCode.REVOCATION_UNAVAILABLE),
    (PathValidationError, "untrusted", ExitCode.UNTRUSTED),
    (CryptoError, "crypto", ExitCode.ERROR),
    (InputFileError, "input", ExitCode.INPUT),
    (ArgumentValueError, "argument", ExitCode.USAGE),
    (OutputFileError, "output", ExitCode.INPUT),
    (ExtraMissingError, "extra", ExitCode.ERROR),
    (ServiceUnavailableError, "service", ExitCode.SERVICE),
    (DemoSetupError, "demo_setup", ExitCode.SERVICE),
    (TestingError, "testing", ExitCode.ERROR),
    (PdfFormatError, "pdf_format", ExitCode.INPUT),
    (PdfUsageError, "pdf_usage", ExitCode.INPUT),
    (TimestampError, "timestamp", ExitCode.ERROR),
    (PdfSigningError, "pdf_signing", ExitCode.ERROR),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One error as the CLI reports it."""

    kind: str
    exit_code: ExitCode
    summary: str
    remedy: str
    detail: str
    """The reason in the user's language."""
    message: str
    """The library's own (English) message, for scripts and reports."""
    error_type: str

    def paragraph(self, catalogue: Catalogue) -> str:
        """The one-paragraph message for stderr."""
        return catalogue.text(
            "error.paragraph", summary=self.summary, remedy=self.remedy, detail=self.detail
        )

    def as_json(self) -> dict[str, object]:
        """The failure for ``--json`` output."""
        return {
            "error": {
                "kind": self.kind,
                "type": self.error_type,
                "summary": self.summary,
                "remedy": self.remedy,
                "message": self.message,
                "reason": self.detail,
                "exit_code": int(self.exit_code),
            }
        }


def describe_failure(error: XcapkiError, catalogue: Catalogue) -> Failure:
    """The kind, exit code and translated words for ``error``."""
    kind, code = "other", ExitCode.ERROR
    for error_type, name, exit_code in _KINDS:
        if isinstance(error, error_type):
            kind, code = name, exit_code
            break
    return Failure(
        kind=kind,
        exit_code=code,
        summary=catalogue.text(f"summary.{kind}"),
        remedy=catalogue.text(_remedy_key(error, kind), **_remedy_fields(error)),
        detail=reason(error, catalogue),
        message=str(error),
        error_type=type(error).__name__,
    )


def _remedy_key(error: XcapkiError, kind: str) -> str:
    if isinstance(error, CliError) and error.remedy_key is not None:
        return error.remedy_key
    return f"remedy.{kind}"


def _remedy_fields(error: XcapkiError) -> dict[str, object]:
    if isinstance(error, ExtraMissingError):
        return {"extra": error.fields.get("extra", "card")}
    if isinstance(error, HicosModuleMissingError):
        return {
            "files": " / ".join(error.install.file_names),
            "folders": ", ".join(error.install.folders),
            "download": HICOS_DOWNLOAD,
        }
    return {}
