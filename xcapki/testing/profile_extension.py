"""The subjectDirectoryAttributes extension that carries a card's identity."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import core
from cryptography import x509

from xcapki.crypto import oids
from xcapki.crypto.directory_attributes import encode_directory_attributes


@dataclass(frozen=True, slots=True, kw_only=True)
class CardIdentity:
    """What the GPKI profile puts in subjectDirectoryAttributes; ``None`` leaves a field out."""

    subject_class: str | None = None
    card_rank: str | None = None
    unified_business_number: str | None = None
    organisation_oid: str | None = None
    moica_id_digits: str | None = None
    card_serial: str | None = None


def subject_directory_attributes(identity: CardIdentity) -> x509.UnrecognizedExtension:
    """Encode ``identity`` as the (non-critical) subjectDirectoryAttributes extension."""
    entries: list[tuple[str, core.Asn1Value]] = []
    if identity.subject_class is not None:
        entries.append((oids.SUBJECT_CLASS, core.ObjectIdentifier(identity.subject_class)))
    if identity.card_rank is not None:
        entries.append((oids.CARD_RANK, core.UTF8String(identity.card_rank)))
    if identity.unified_business_number is not None:
        entries.append(
            (oids.UNIFIED_BUSINESS_NUMBER, core.PrintableString(identity.unified_business_number))
        )
    if identity.organisation_oid is not None:
        entries.append((oids.ORGANISATION_OID, core.ObjectIdentifier(identity.organisation_oid)))
    if identity.moica_id_digits is not None:
        entries.append((oids.MOICA_ID_DIGITS, core.PrintableString(identity.moica_id_digits)))
    if identity.card_serial is not None:
        entries.append((oids.CARD_SERIAL, core.PrintableString(identity.card_serial)))
    return x509.UnrecognizedExtension(
        x509.ObjectIdentifier(oids.SUBJECT_DIRECTORY_ATTRIBUTES),
        encode_directory_attributes(entries),
    )
