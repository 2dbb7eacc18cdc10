"""PKCS#11 and certificate checks: module, token, PIN state, certificates, path, revocation.

Certificates are public objects, read without logging in, so they are checked
on every card, one whose PIN is counting down or locked included, with no PIN
asked and no try spent: the doctor never logs in.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter

from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID

from xcapki.cli.console import Console
from xcapki.cli.context import REVOCATION_MODES, open_module, select_token
from xcapki.cli.context import trust_store as build_trust_store
from xcapki.cli.doctor.model import CheckId, Recorder, Verdict
from xcapki.cli.errors import ExtraMissingError
from xcapki.cli.failures import Failure, describe_failure
from xcapki.cli.present import days_left, subject_name
from xcapki.crypto.errors import PathValidationError, RevocationError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    MAX_HELPER_CERTIFICATES,
    MAX_HELPERS_PER_NAME,
    CertificateRevokedError,
    ChainValidator,
    PathBuildingError,
    RevocationMode,
    UntrustedRootError,
)
from xcapki.errors import XcapkiError
from xcapki.token import (
    KeyPurpose,
    ModuleError,
    PinState,
    Pkcs11Module,
    TokenCertificate,
    TokenError,
    TokenInfo,
)

__all__ = ["EXPIRY_WARNING", "TOKEN_CHECKS", "check_token"]

EXPIRY_WARNING = dt.timedelta(days=30)
"""Warn this long before a certificate expires."""

TOKEN_CHECKS = (
    CheckId.PKCS11_MODULE,
    CheckId.TOKEN,
    CheckId.PIN_STATE,
    CheckId.SIGNING_CERTIFICATE,
    CheckId.ENCRYPTION_CERTIFICATE,
    CheckId.CHAIN,
    CheckId.REVOCATION,
)
_CERTIFICATE_CHECKS = TOKEN_CHECKS[3:]

_PIN_VERDICTS: dict[PinState, tuple[Verdict, str, str | None]] = {
    PinState.COUNT_LOW: (Verdict.WARN, "doctor.pin.count_low", "doctor.pin.count_low.remedy"),
    PinState.FINAL_TRY: (Verdict.WARN, "doctor.pin.final_try", "doctor.pin.final_try.remedy"),
    PinState.LOCKED: (Verdict.FAIL, "doctor.pin.locked", "remedy.pin_locked"),
    PinState.TO_BE_CHANGED: (
        Verdict.WARN,
        "doctor.pin.to_be_changed",
        "doctor.pin.to_be_changed.remedy",
    ),
    PinState.NOT_INITIALIZED: (
        Verdict.FAIL,
        "doctor.pin.not_initialized",
        "doctor.pin.not_initialized.remedy",
    ),
}


def check_token(recorder: Recorder, args: argparse.Namespace, console: Console) -> None:
    """Record the module, token, PIN, certificate, path and revocation checks in order."""
    try:
        module = open_module(args, console)
    except (ModuleError, ExtraMissingError) as error:
        failure = describe_failure(error, recorder.catalogue)
        recorder.add_text(
            CheckId.PKCS11_MODULE,
            Verdict.FAIL,
            recorder.catalogue.text(
                "doctor.failure", summary=failure.summary, detail=failure.detail
            ),
            failure.remedy,
        )
        recorder.skip_after(TOKEN_CHECKS[1:], CheckId.PKCS11_MODULE)
        return
    recorder.add(
        CheckId.PKCS11_MODULE,
        Verdict.OK,
        "doctor.module.loaded",
        path=module.path,
        manufacturer=module.manufacturer,
        description=module.description,
    )
    try:
        token = select_token(module, args.token)
    except TokenError as error:
        failure = describe_failure(error, recorder.catalogue)
        recorder.add_text(
            CheckId.TOKEN,
            Verdict.FAIL,
            recorder.catalogue.text(
                "doctor.failure", summary=failure.summary, detail=failure.detail
            ),
            failure.remedy,
        )
        recorder.skip_after(TOKEN_CHECKS[2:], CheckId.TOKEN)
        return
    recorder.add(
        CheckId.TOKEN,
        Verdict.OK,
        "doctor.token.found",
        token=recorder.catalogue.text(
            "token.describe", label=token.label, serial=token.serial, reader=token.reader_name
        ),
    )
    _check_pin_state(recorder, token)
    _check_certificates(recorder, args, module, token)


def _check_pin_state(recorder: Recorder, token: TokenInfo) -> None:
    """Record the PIN state as the token reports it (no login)."""
    state = token.pin_state
    if state is PinState.OK:
        recorder.add(
            CheckId.PIN_STATE,
            Verdict.OK,
            "doctor.pin.ok",
            low=token.min_pin_length,
            high=token.max_pin_length,
        )
        return
    verdict, message, remedy = _PIN_VERDICTS[state]
    recorder.add(CheckId.PIN_STATE, verdict, message, remedy)


def _check_certificates(
    recorder: Recorder, args: argparse.Namespace, module: Pkcs11Module, token: TokenInfo
) -> None:
    try:
        certificates = module.public_certificates(token)
    except TokenError as error:
        failure = describe_failure(error, recorder.catalogue)
        recorder.add_text(
            CheckId.SIGNING_CERTIFICATE,
            Verdict.FAIL,
            recorder.catalogue.text(
                "doctor.failure", summary=failure.summary, detail=failure.detail
            ),
            failure.remedy,
        )
        recorder.skip_after(_CERTIFICATE_CHECKS[1:], CheckId.SIGNING_CERTIFICATE)
        return
    now = dt.datetime.now(dt.UTC)
    signing = _pick(certificates, KeyPurpose.SIGNING)
    signing_ok = _check_validity(recorder, CheckId.SIGNING_CERTIFICATE, signing, now)
    _check_validity(
        recorder, CheckId.ENCRYPTION_CERTIFICATE, _pick(certificates, KeyPurpose.ENCRYPTION), now
    )
    if signing is None or not signing_ok:
        recorder.skip_after((CheckId.CHAIN, CheckId.REVOCATION), CheckId.SIGNING_CERTIFICATE)
        return
    authorities = [c.certificate for c in certificates if c.purpose is KeyPurpose.AUTHORITY]
    helpers = _check_chain(recorder, args, signing.certificate, authorities)
    if helpers is not None:
        _check_revocation(recorder, args, signing.certificate, helpers)
    else:
        recorder.skip_after((CheckId.REVOCATION,), CheckId.CHAIN)


def _pick(
    certificates: tuple[TokenCertificate, ...], purpose: KeyPurpose
) -> TokenCertificate | None:
    """The certificate of ``purpose``, preferring one paired with its private key."""
    matching = [c for c in certificates if c.purpose is purpose]
    matching.sort(key=lambda c: not c.has_private_key)
    return matching[0] if matching else None


def _check_validity(
    recorder: Recorder, check: CheckId, found: TokenCertificate | None, now: dt.datetime
) -> bool:
    """Record whether the certificate is present and in date; True unless it failed."""
    if found is None:
        recorder.add(check, Verdict.FAIL, "doctor.cert.missing", "doctor.cert.missing.remedy")
        return False
    certificate = found.certificate
    fields = {
        "subject": subject_name(certificate),
        "not_before": certificate.not_valid_before_utc.strftime("%Y-%m-%d"),
        "not_after": certificate.not_valid_after_utc.strftime("%Y-%m-%d"),
        "days": days_left(certificate.not_valid_after_utc, now),
    }
    if now > certificate.not_valid_after_utc:
        recorder.add(
            check, Verdict.FAIL, "doctor.cert.expired", "doctor.cert.expired.remedy", **fields
        )
        return False
    if now < certificate.not_valid_before_utc:
        recorder.add(
            check,
            Verdict.FAIL,
            "doctor.cert.not_yet_valid",
            "doctor.cert.not_yet_valid.remedy",
            **fields,
        )
        return False
    if certificate.not_valid_after_utc - now <= EXPIRY_WARNING:
        recorder.add(
            check, Verdict.WARN, "doctor.cert.expiring", "doctor.cert.expiring.remedy", **fields
        )
        return True
    recorder.add(check, Verdict.OK, "doctor.cert.ok", **fields)
    return True


def _check_chain(
    recorder: Recorder,
    args: argparse.Namespace,
    leaf: x509.Certificate,
    authorities: list[x509.Certificate],
) -> list[x509.Certificate] | None:
    """Record whether the signing certificate chains to GRCA (or ``--trust-root``); the card's
    CA certificates the path was built with, or None when it failed."""
    try:
        store = build_trust_store(args)
        helpers = _helpers(recorder, args, store, authorities)
        if helpers is None:
            return None
        validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
        path = validator.validate(leaf, intermediates=helpers)
    except PathBuildingError as error:
        if isinstance(error, UntrustedRootError):
            _chain_failed(recorder, error)
        else:
            recorder.add(
                CheckId.CHAIN,
                Verdict.FAIL,
                "doctor.chain.missing_intermediate",
                "doctor.chain.missing_intermediate.remedy",
                detail=str(error),
            )
        return None
    except XcapkiError as error:
        _chain_failed(recorder, error)
        return None
    recorder.add(
        CheckId.CHAIN, Verdict.OK, "doctor.chain.ok", anchor=subject_name(path.trust_anchor)
    )
    return helpers


def _helpers(
    recorder: Recorder,
    args: argparse.Namespace,
    store: TrustStore,
    authorities: list[x509.Certificate],
) -> list[x509.Certificate] | None:
    """The card's CA certificates to build the path with: those the trust store lacks. Past
    the validator's helper limits, none when ``--intermediate`` gave the CAs, else None with
    the remedy recorded."""
    known = {entry.certificate for entry in (*store.roots, *store.intermediates)}
    helpers = list(dict.fromkeys(c for c in authorities if c not in known))
    most = max(Counter(c.subject for c in helpers).values(), default=0)
    if len(helpers) <= MAX_HELPER_CERTIFICATES and most <= MAX_HELPERS_PER_NAME:
        return helpers
    if args.intermediate:
        return []
    recorder.add(
        CheckId.CHAIN,
        Verdict.FAIL,
        "doctor.chain.too_many_helpers",
        "doctor.chain.too_many_helpers.remedy",
        count=len(helpers),
        most=most,
        limit=MAX_HELPER_CERTIFICATES,
        per_name=MAX_HELPERS_PER_NAME,
    )
    return None


def _chain_failed(recorder: Recorder, error: XcapkiError) -> None:
    recorder.add(
        CheckId.CHAIN, Verdict.FAIL, "doctor.chain.failed", "remedy.untrusted", detail=str(error)
    )


def revocation_endpoints(certificate: x509.Certificate) -> list[str]:
    """The OCSP (AIA) and CRL (CDP) addresses a certificate names."""
    found: list[str] = []
    try:
        access = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        found += [
            description.access_location.value
            for description in access.value
            if description.access_method == AuthorityInformationAccessOID.OCSP
            and isinstance(description.access_location, x509.UniformResourceIdentifier)
        ]
    except x509.ExtensionNotFound:
        pass
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
        for point in points.value:
            found += [
                name.value
                for name in point.full_name or ()
                if isinstance(name, x509.UniformResourceIdentifier)
            ]
    except x509.ExtensionNotFound:
        pass
    return found


def _check_revocation(
    recorder: Recorder,
    args: argparse.Namespace,
    leaf: x509.Certificate,
    authorities: list[x509.Certificate],
) -> None:
    if args.offline:
        recorder.add(CheckId.REVOCATION, Verdict.SKIP, "skip.offline")
        return
    endpoints = [url for c in (leaf, *authorities) for url in revocation_endpoints(c)]
    shown = ", ".join(dict.fromkeys(endpoints)) or recorder.catalogue.text("doctor.revocation.none")
    mode = REVOCATION_MODES[args.revocation]
    if mode is RevocationMode.OFF:
        recorder.add(CheckId.REVOCATION, Verdict.SKIP, "skip.revocation_off")
        return
    validator = ChainValidator(
        build_trust_store(args),
        revocation_mode=mode,
        fetch_timeout=dt.timedelta(seconds=args.timeout),
    )
    try:
        path = validator.validate(leaf, intermediates=authorities)
    except CertificateRevokedError as error:
        status = error.status
        when = "?" if status.revoked_at is None else status.revoked_at.strftime("%Y-%m-%d")
        reason = "?" if status.reason is None else status.reason.value
        recorder.add(
            CheckId.REVOCATION,
            Verdict.FAIL,
            "doctor.revocation.revoked",
            "remedy.revoked",
            reason=reason,
            when=when,
        )
        return
    except RevocationError as error:
        recorder.add(
            CheckId.REVOCATION,
            Verdict.FAIL,
            "doctor.revocation.unreachable",
            "doctor.revocation.unreachable.remedy",
            endpoints=shown,
            detail=str(error),
        )
        return
    except PathValidationError as error:
        recorder.add(
            CheckId.REVOCATION,
            Verdict.FAIL,
            "doctor.chain.failed",
            "remedy.untrusted",
            detail=str(error),
        )
        return
    status = path.leaf_revocation
    recorder.add(
        CheckId.REVOCATION,
        Verdict.OK,
        "doctor.revocation.ok",
        state=recorder.catalogue.text(f"revocation.{status.state.value}"),
        source=recorder.catalogue.text(f"revocation.source.{status.source.value}"),
        endpoints=shown,
    )


def _failed_line(recorder: Recorder, failure: Failure) -> str:
    return recorder.catalogue.text("doctor.failure", summary=failure.summary, detail=failure.detail)
