"""The ``pkcs11info`` slot list, with the certificate fields HiPKI pages read."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from xcapki.crypto.errors import CryptoError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.token.objects import KeyPurpose, TokenCertificate
from xcapki.token.tokens import TokenInfo

__all__ = ["certificate_entry", "empty_slot_entry", "slot_entry"]

_USAGE = {
    KeyPurpose.SIGNING: "digitalSignature",
    KeyPurpose.ENCRYPTION: "keyEncipherment|dataEncipherment",
}


_ATTRIBUTE_NAMES = {NameOID.SERIAL_NUMBER: "serialNumber"}


def _distinguished_name(name: x509.Name) -> str:
    """The DN in certificate order (C first), as HiPKI prints it (``serialNumber=`` by name:
    pages read a MOICA holder's ID digits from it)."""
    return ", ".join(rdn.rfc4514_string(_ATTRIBUTE_NAMES) for rdn in name.rdns)


def _common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def _subject_id(certificate: x509.Certificate) -> str:
    """統一編號 for organisations, the ID number's last four digits for MOICA (from the
    profile's attribute, else the subject's serialNumber, where MOICA cards also carry them)."""
    try:
        profile = TaiwanCertificate.from_certificate(certificate)
    except CryptoError:
        return ""
    found = profile.unified_business_number or profile.moica_id_digits
    if found:
        return found
    serials = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(serials[0].value) if serials else ""


def certificate_entry(found: TokenCertificate) -> dict[str, str | int]:
    """One ``certs`` entry."""
    certificate = found.certificate
    return {
        "certb64": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode(),
        "label": found.label,
        "usage": _USAGE[found.purpose],
        "sn": f"{certificate.serial_number:x}",
        "subjectDN": _distinguished_name(certificate.subject),
        "issuerDN": _distinguished_name(certificate.issuer),
        "subjectCN": _common_name(certificate.subject),
        "subjectID": _subject_id(certificate),
        "notBefore": certificate.not_valid_before_utc.strftime("%Y%m%d%H%M%S"),
        "notAfter": certificate.not_valid_after_utc.strftime("%Y%m%d%H%M%S"),
        "notBeforeT": int(certificate.not_valid_before_utc.timestamp()),
        "notAfterT": int(certificate.not_valid_after_utc.timestamp()),
    }


def empty_slot_entry(reader_name: str) -> dict[str, object]:
    """A reader without a card: pages take a ``token`` that is not an object as no card."""
    return {"slotDescription": reader_name, "token": None}


def slot_entry(
    token: TokenInfo,
    certificates: tuple[TokenCertificate, ...] | None,
    *,
    identified: bool,
) -> dict[str, object]:
    """One ``slots`` entry with a card; ``certs`` only when certificates were asked for.

    Without ``identified`` the card's serial number and label are empty strings: they
    stay the same on every site, so any page could track the user by them. The entry
    keeps its shape, so a page checking for a card still finds one.
    """
    described: dict[str, object] = {
        "serialNumber": token.serial if identified else "",
        "label": token.label if identified else "",
    }
    if certificates is not None:
        described["certs"] = [
            certificate_entry(found) for found in certificates if found.purpose in _USAGE
        ]
    return {"slotDescription": token.reader_name, "token": described}
