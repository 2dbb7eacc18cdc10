"""Readers, tokens, certificates and verdicts as JSON-ready dicts and as text lines.

The JSON field names are part of the CLI's contract (docs/cli.md); the text
form is for people and is translated.
"""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.x509.oid import NameOID

from xcapki.cli.console import Console
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.validation import RevocationStatus
from xcapki.reader import ReaderStatus
from xcapki.token import TokenCertificate, TokenInfo

__all__ = [
    "certificate_json",
    "days_left",
    "print_certificate",
    "print_token",
    "reader_json",
    "revocation_json",
    "subject_name",
    "token_json",
]


def _time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d")


def days_left(not_after: dt.datetime, now: dt.datetime | None = None) -> int:
    """Whole days from ``now`` until ``not_after`` (negative once expired)."""
    return (not_after - (now or dt.datetime.now(dt.UTC))) // dt.timedelta(days=1)


def subject_name(certificate: x509.Certificate) -> str:
    """The subject's CN, else its O, else the whole DN."""
    for oid in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            value = attribute.value
            return value if isinstance(value, str) else value.decode("utf-8", "replace")
    return certificate.subject.rfc4514_string()


def reader_json(status: ReaderStatus) -> dict[str, object]:
    """One reader with its card presence, ATR and identified card."""
    return {
        "name": status.reader.name,
        "presence": status.presence.name.lower(),
        "card_present": status.has_card,
        "atr": None if status.atr is None else status.atr.hex(),
        "card": None
        if status.card is None
        else {
            "family": status.card.family.value,
            "known": status.card.known,
            "description": status.card.description,
        },
    }


def token_json(token: TokenInfo) -> dict[str, object]:
    """One token as the module describes it (nothing here needs the PIN)."""
    return {
        "label": token.label,
        "serial": token.serial,
        "reader": token.reader_name,
        "manufacturer": token.manufacturer,
        "model": token.model,
        "module": token.module_path,
        "initialised": token.initialized,
        "pin_state": token.pin_state.value,
        "pin_length": {"min": token.min_pin_length, "max": token.max_pin_length},
        "pin_pad": token.protected_authentication_path,
    }


def print_token(console: Console, token: TokenInfo) -> None:
    """One line naming the token, its reader and its PIN state."""
    if not token.initialized:
        console.say("tokens.uninitialised", reader=token.reader_name)
        return
    console.say(
        "tokens.line",
        label=token.label,
        serial=token.serial,
        reader=token.reader_name,
        pin_state=console.text(f"pin_state.{token.pin_state.value}"),
    )


def certificate_json(
    profile: TaiwanCertificate, on_token: TokenCertificate | None = None
) -> dict[str, object]:
    """A certificate with its Taiwan profile: authority, organisation, 統一編號, validity."""
    certificate = profile.certificate
    result: dict[str, object] = {
        "subject": certificate.subject.rfc4514_string(),
        "issuer": certificate.issuer.rfc4514_string(),
        "serial_number": format(profile.serial_number, "x"),
        "not_before": _time(profile.not_before),
        "not_after": _time(profile.not_after),
        "days_left": days_left(profile.not_after),
        "fingerprint_sha256": profile.fingerprint_sha256.hex(),
        "purpose": profile.purpose.value,
        "taiwan": {
            "authority": profile.authority.name,
            "authority_name": profile.authority.value or None,
            "issuer_label": profile.issuer_label,
            "organisation": profile.organisation_name,
            "common_name": profile.common_name,
            "unified_business_number": profile.unified_business_number,
            "organisation_oid": profile.organisation_oid,
            "subject_class": profile.subject_class.name.lower(),
            "subject_class_oid": profile.subject_class_oid,
            "card_rank": profile.card_rank.value,
            "card_serial": profile.card_serial,
            "moica_id_digits": profile.moica_id_digits,
            "policy_oids": list(profile.policy_oids),
        },
    }
    if on_token is not None:
        result["token_object"] = {
            "label": on_token.label,
            "key_id": on_token.key_id.hex(),
            "key_purpose": on_token.purpose.value,
            "key_kind": on_token.key_kind.value,
            "has_private_key": on_token.has_private_key,
        }
    return result


def print_certificate(console: Console, profile: TaiwanCertificate, *, indent: str = "  ") -> None:
    """The certificate's Taiwan profile, one field a line, in the chosen language."""
    authority = profile.authority.name
    if profile.authority.value:
        authority = f"{authority} {profile.authority.value}"
    if profile.issuer_label:
        authority = f"{authority} ({profile.issuer_label})"
    rows: list[tuple[str, str | None]] = [
        ("field.subject", profile.certificate.subject.rfc4514_string()),
        ("field.authority", authority),
        ("field.organisation", profile.organisation_name),
        ("field.ubn", profile.unified_business_number),
        ("field.organisation_oid", profile.organisation_oid),
        ("field.card_serial", profile.card_serial),
        (
            "field.validity",
            console.text(
                "field.validity_value",
                not_before=_day(profile.not_before),
                not_after=_day(profile.not_after),
                days=days_left(profile.not_after),
            ),
        ),
        ("field.purpose", console.text(f"purpose.{profile.purpose.value}")),
        ("field.fingerprint", profile.fingerprint_sha256.hex()),
    ]
    for key, value in rows:
        if value:
            console.field(key, value, indent=indent)


def revocation_json(status: RevocationStatus) -> dict[str, object]:
    """A revocation verdict: state, source, the answer's window and, if revoked, why and when."""
    return {
        "state": status.state.value,
        "source": status.source.value,
        "this_update": _time(status.this_update),
        "next_update": _time(status.next_update),
        "reason": None if status.reason is None else status.reason.value,
        "revoked_at": _time(status.revoked_at),
    }


def token_words(console: Console, token: TokenInfo) -> str:
    """The card as a user recognises it, in the chosen language."""
    return console.text(
        "token.describe", label=token.label, serial=token.serial, reader=token.reader_name
    )
