"""PAdES for ``xcapki sign`` and ``xcapki verify`` when the file is a PDF (or ``--pdf``).

``sign`` and ``verify`` hand over here through ``wants_pdf``; their PDF options
come from ``xcapki.cli.pdf_options``.
The card is opened, the PIN asked and errors reported exactly as for CMS.
"""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path
from typing import Final

from xcapki.algorithms import HashAlgorithm
from xcapki.cli.commands._card import authority_certificates, logged_in
from xcapki.cli.console import Console
from xcapki.cli.context import REVOCATION_MODES, trust_store
from xcapki.cli.errors import InputFileError
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import check_output
from xcapki.cli.present import certificate_json, print_certificate, subject_name
from xcapki.cli.verdict import VERDICT_MESSAGES
from xcapki.crypto.validation import RevocationState
from xcapki.pdf import (
    DEFAULT_BOX,
    LaterChanges,
    PadesLevel,
    PdfFormatError,
    PdfSignatureCheck,
    PdfVerification,
    VisibleSignature,
)
from xcapki.pdf.header import HEADER_WINDOW, is_pdf
from xcapki.token import KeyPurpose

__all__ = ["sign", "verify", "wants_pdf"]

_SIGN_ONLY_OPTIONS: Final = (
    ("level", "--level"),
    ("tsa", "--tsa"),
    ("stamp", "--stamp"),
    ("page", "--page"),
    ("box", "--box"),
    ("font", "--font"),
    ("reason", "--reason"),
    ("location", "--location"),
)
_SEVERITY: Final = (
    ExitCode.NOT_INTACT,
    ExitCode.REVOKED,
    ExitCode.UNTRUSTED,
    ExitCode.REVOCATION_UNAVAILABLE,
)


def wants_pdf(args: argparse.Namespace, path: str, *, signing: bool) -> bool:
    """Whether ``path`` is handled as a PDF: ``--pdf`` or its header.

    PDF-only options on another file are refused rather than ignored.
    """
    chosen = bool(getattr(args, "pdf", False)) or _has_pdf_header(path)
    if signing and not chosen:
        given = [flag for name, flag in _SIGN_ONLY_OPTIONS if getattr(args, name, None)]
        if given:
            raise InputFileError(
                f"{', '.join(given)} apply to PDF files only; {path} is not a PDF "
                "(give --pdf if it is one)"
            )
    return chosen


def _head(path: str) -> bytes:
    """The file's first bytes; ``InputFileError`` when it cannot be read."""
    try:
        with open(path, "rb") as handle:
            return handle.read(HEADER_WINDOW)
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}; check the path") from None


def _is_regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _has_pdf_header(path: str) -> bool:
    """Whether the regular file ``path`` starts as a PDF. A pipe is not looked into: the
    bytes read would be gone for the command (and a FIFO read twice waits forever)."""
    try:
        return _is_regular_file(path) and is_pdf(_head(path))
    except InputFileError:
        return False


def _check_pdf_file(path: str) -> None:
    """A PDF is read more than once (its end first): a pipe cannot be, so it is refused."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise InputFileError(
            key="file.unreadable", path=path, reason=exc.strerror or str(exc)
        ) from None
    if stat.S_ISDIR(mode):
        raise InputFileError(key="file.is_folder", path=path)
    if not stat.S_ISREG(mode):
        raise InputFileError(key="file.pdf_not_regular", path=path)


def _box(text: str | None) -> tuple[float, float, float, float]:
    if text is None:
        return DEFAULT_BOX
    try:
        x1, y1, x2, y2 = (float(part) for part in text.split(","))
    except ValueError:
        raise InputFileError(
            f"--box {text!r} is not four numbers X1,Y1,X2,Y2 in points, e.g. 360,60,560,140"
        ) from None
    return (x1, y1, x2, y2)


def sign(args: argparse.Namespace, console: Console) -> ExitCode:
    """Sign the PDF INPUT with the card's signing key into OUTPUT (an incremental update)."""
    if args.detached:
        raise InputFileError("a PDF signature is always embedded: leave out --detached")
    _check_pdf_file(args.input)
    if not is_pdf(_head(args.input)):
        raise PdfFormatError(f"{args.input} is not a PDF (no %PDF- header); give a PDF file")
    target = check_output(args.output, inputs=[args.input], force=args.force)
    level = PadesLevel(args.level or PadesLevel.B_B.value)
    visible = None
    if args.stamp or args.page is not None or args.box is not None:
        visible = VisibleSignature(
            page=1 if args.page is None else args.page,
            box=_box(args.box),
            font=None if args.font is None else Path(args.font),
        )
    store = trust_store(args)
    from xcapki.pdf import check_signable, sign_pdf

    check_signable(args.input, visible=visible)
    with logged_in(args, console) as session:
        signer = session.signer(KeyPurpose.SIGNING)
        chain = authority_certificates(session.certificates())
        console.progress("pdf.progress.sign", path=args.input, level=level.value.upper())
        result = sign_pdf(
            args.input,
            target,
            signer,
            level=level,
            chain=chain,
            trust_store=store,
            tsa_url=args.tsa,
            visible=visible,
            reason=args.reason,
            location=args.location,
            hash_algorithm=HashAlgorithm[args.hash.upper()],
        )
    console.document(
        {
            "output": str(result.output),
            "size": result.size,
            "format": "pades",
            "level": result.level.value,
            "field": result.field_name,
            "visible": result.visible,
            "signer": certificate_json(result.signer),
        }
    )
    console.say(
        "pdf.sign.done",
        path=args.output,
        level=result.level.value.upper(),
        field=result.field_name,
        size=result.size,
        signer=subject_name(signer.certificate),
    )
    return ExitCode.OK


def verify(args: argparse.Namespace, console: Console) -> ExitCode:
    """Verify every signature of the PDF; the exit code names the worst one."""
    from xcapki.pdf import verify_pdf

    _check_pdf_file(args.signature)
    store = trust_store(args)
    console.progress("progress.validate")
    try:
        result = verify_pdf(
            args.signature, trust_store=store, revocation_mode=REVOCATION_MODES[args.revocation]
        )
    except PdfFormatError as error:
        console.document(
            {
                "valid": False,
                "refused": {"type": type(error).__name__, "message": str(error)},
                "signatures": [],
                "exit_code": int(ExitCode.NOT_INTACT),
            }
        )
        console.say("pdf.verify.refused", reason=str(error))
        return ExitCode.NOT_INTACT
    codes = [_verdict(check) for check in result.signatures]
    code = _worst(codes) if codes else ExitCode.NOT_INTACT
    console.document(_document(result, code))
    if not result.signatures:
        console.say("pdf.verify.none")
        return code
    console.say(VERDICT_MESSAGES[code])
    for check in result.signatures:
        _print(console, check, result.revisions)
    return code


def _verdict(check: PdfSignatureCheck) -> ExitCode:
    if not check.intact or check.later_changes is LaterChanges.CONTENT:
        return ExitCode.NOT_INTACT
    if check.revocation is RevocationState.REVOKED:
        return ExitCode.REVOKED
    if not check.trusted or (check.timestamp is not None and not check.timestamp.valid):
        return ExitCode.UNTRUSTED
    if check.revocation in (RevocationState.UNAVAILABLE, RevocationState.UNKNOWN):
        return ExitCode.REVOCATION_UNAVAILABLE
    return ExitCode.OK


def _worst(codes: list[ExitCode]) -> ExitCode:
    for code in _SEVERITY:
        if code in codes:
            return code
    return ExitCode.OK


def _check_json(check: PdfSignatureCheck) -> dict[str, object]:
    timestamp = check.timestamp
    return {
        "field": check.field_name,
        "kind": check.kind.value,
        "revision": check.revision,
        "valid": check.valid,
        "intact": check.intact,
        "coverage": check.coverage.value,
        "later_changes": check.later_changes.value,
        "trusted": check.trusted,
        "revocation": check.revocation.value,
        "revocation_evidence": check.revocation_evidence.value,
        "signing_time": None if check.signing_time is None else check.signing_time.isoformat(),
        "timestamp": None
        if timestamp is None
        else {
            "time": timestamp.time.isoformat(),
            "valid": timestamp.valid,
            "authority": timestamp.authority,
        },
        "level": None if check.level is None else check.level.value,
        "signer": certificate_json(check.signer),
        "failure": check.failure,
    }


def _document(result: PdfVerification, code: ExitCode) -> dict[str, object]:
    return {
        "valid": result.valid,
        "revisions": result.revisions,
        "signatures": [_check_json(check) for check in result.signatures],
        "exit_code": int(code),
    }


def _print(console: Console, check: PdfSignatureCheck, revisions: int) -> None:
    console.say(
        "pdf.verify.heading",
        field=check.field_name,
        kind=console.text(f"pdf.kind.{check.kind.value}"),
        revision=check.revision,
        revisions=revisions,
        verdict=console.text("pdf.valid" if check.valid else "pdf.invalid"),
    )
    rows = [
        ("field.intact", console.text("yes" if check.intact else "no")),
        ("pdf.field.coverage", console.text(f"pdf.coverage.{check.coverage.value}")),
        ("pdf.field.later_changes", console.text(f"pdf.changes.{check.later_changes.value}")),
        ("field.trusted", console.text("yes" if check.trusted else "no")),
        ("field.revocation", console.text(f"revocation.{check.revocation.value}")),
        ("pdf.field.evidence", console.text(f"pdf.evidence.{check.revocation_evidence.value}")),
    ]
    if check.level is not None:
        rows.append(("pdf.field.level", check.level.value.upper()))
    if check.signing_time is not None:
        rows.append(("field.signing_time", check.signing_time.isoformat()))
    if check.timestamp is not None:
        stamp = check.timestamp
        rows.append(
            (
                "pdf.field.timestamp",
                console.text(
                    "pdf.timestamp.value",
                    time=stamp.time.isoformat(),
                    authority=stamp.authority,
                    verdict=console.text("pdf.valid" if stamp.valid else "pdf.invalid"),
                ),
            )
        )
    if check.failure is not None:
        rows.append(("field.failure", check.failure))
    for key, value in rows:
        console.line(f"  {console.text(key)}: {value}")
    console.line(f"  {console.text('field.signer')}:")
    print_certificate(console, check.signer, indent="    ")
