"""A card certificate as SmartPKI pages read it: the certificate properties and ``certType``.

``certType`` is derived from the Taiwan profile: the subject class when the
certificate names one, else the issuing authority's usual holder. Pages
refuse a card whose code is not in their list (an organisation-only page
lists 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13 and 15), so a MOICA card (1) is
refused there while every organisation card passes.
"""

from __future__ import annotations

import base64
import enum
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from xcapki.crypto.authority import Authority
from xcapki.crypto.profile import CardRank, SubjectClass, TaiwanCertificate

__all__ = ["CertType", "cert_type", "certificate_properties"]


class CertType(enum.IntEnum):
    """The SmartPKI page library's holder codes."""

    NATURAL_PERSON = 1
    COMPANY = 2
    BRANCH = 3
    GOVERNMENT_UNIT = 4
    SERVER = 5
    BUSINESS = 6
    SCHOOL = 7
    ASSOCIATION = 8
    PROFESSIONAL_OFFICE = 9
    OTHER_GROUP = 10
    SUBORDINATE_AGENCY = 11
    ADMINISTRATIVE_CORPORATION = 12
    FOUNDATION = 13
    MEDICAL_STAFF = 14
    MEDICAL_INSTITUTION = 15
    FOREIGN_RESIDENT = 16
    LIMITED_PARTNERSHIP = 17


_BY_CLASS: Final = {
    SubjectClass.NATURAL_PERSON: CertType.NATURAL_PERSON,
    SubjectClass.COMPANY: CertType.COMPANY,
    SubjectClass.BRANCH_COMPANY: CertType.BRANCH,
    SubjectClass.GOVERNMENT_AGENCY: CertType.GOVERNMENT_UNIT,
    SubjectClass.GOVERNMENT_UNIT: CertType.SUBORDINATE_AGENCY,
    SubjectClass.SERVER: CertType.SERVER,
    SubjectClass.SOLE_PROPRIETORSHIP: CertType.BUSINESS,
}
_BY_AUTHORITY: Final = {
    Authority.MOICA: CertType.NATURAL_PERSON,
    Authority.GCA: CertType.GOVERNMENT_UNIT,
    Authority.MOEACA: CertType.COMPANY,
    Authority.XCA: CertType.OTHER_GROUP,
}
"""When the subject class is absent or unknown: XCA's holders (schools, associations,
professional offices, foundations, ...) are told apart by no attribute the profile
reads, so an XCA card is "other group", which every organisation page admits."""

_SIGNATURE_NIDS: Final = {
    "1.2.840.113549.1.1.5": 65,
    "1.2.840.113549.1.1.11": 668,
    "1.2.840.113549.1.1.12": 669,
    "1.2.840.113549.1.1.13": 670,
    "1.2.840.113549.1.1.10": 912,
    "1.2.840.10045.4.3.2": 794,
    "1.2.840.10045.4.3.3": 795,
    "1.2.840.10045.4.3.4": 796,
}
"""OpenSSL's NIDs of the certificate signature algorithms (``algorithmNid``)."""


def cert_type(profile: TaiwanCertificate) -> CertType:
    """The ``certType`` code of a certificate read through the Taiwan profile."""
    by_class = _BY_CLASS.get(profile.subject_class)
    if by_class is not None:
        return by_class
    return _BY_AUTHORITY.get(profile.authority, CertType.OTHER_GROUP)


def certificate_properties(profile: TaiwanCertificate, *, token_serial: str) -> dict[str, Any]:
    """The fields SmartPKI pages read after ``LoadCertificate`` / ``GetAll``."""
    certificate = profile.certificate
    subject_serial = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    person = cert_type(profile) is CertType.NATURAL_PERSON
    subject_sn = str(subject_serial[0].value) if subject_serial and person else ""
    return {
        "serialNumber": f"{profile.serial_number:X}",
        "isMainCard": 2 if profile.card_rank is CardRank.SECONDARY else 1,
        "certName": profile.common_name or "",
        "certificate": base64.b64encode(
            certificate.public_bytes(serialization.Encoding.DER)
        ).decode("ascii"),
        "id": profile.unified_business_number or subject_sn,
        "certType": int(cert_type(profile)),
        "subjectName": certificate.subject.rfc4514_string(),
        "subjectSN": subject_sn,
        "name": profile.organisation_name or profile.common_name or "",
        "notAfter": int(profile.not_after.timestamp()),
        "cardNumber": profile.card_serial or token_serial,
        "algorithmNid": _SIGNATURE_NIDS.get(certificate.signature_algorithm_oid.dotted_string, 0),
    }
