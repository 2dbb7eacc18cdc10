"""``certType`` from the Taiwan profile: every subject class the profile knows, and each
authority's fallback when the certificate names no class."""

from __future__ import annotations

import pytest

from xcapki.crypto import oids
from xcapki.crypto.authority import Authority
from xcapki.crypto.profile import SubjectClass, TaiwanCertificate
from xcapki.nativehost.properties import CertType, cert_type, certificate_properties
from xcapki.testing import CardSpec, TestPki, new_card_serial

ORGANISATION_PAGE = {2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 15}

BY_CLASS = {
    oids.SUBJECT_CLASS_NATURAL_PERSON: (Authority.MOICA, CertType.NATURAL_PERSON),
    oids.SUBJECT_CLASS_COMPANY: (Authority.MOEACA, CertType.COMPANY),
    oids.SUBJECT_CLASS_BRANCH_COMPANY: (Authority.MOEACA, CertType.BRANCH),
    oids.SUBJECT_CLASS_SOLE_PROPRIETORSHIP: (Authority.MOEACA, CertType.BUSINESS),
    oids.SUBJECT_CLASS_GOVERNMENT_AGENCY: (Authority.GCA, CertType.GOVERNMENT_UNIT),
    oids.SUBJECT_CLASS_GOVERNMENT_UNIT: (Authority.GCA, CertType.SUBORDINATE_AGENCY),
    oids.SUBJECT_CLASS_SERVER: (Authority.GCA, CertType.SERVER),
}


def test_the_table_covers_every_known_subject_class() -> None:
    known = {c.value for c in SubjectClass} - {"unrecognised", "absent"}
    assert set(BY_CLASS) == known


def _profile(pki: TestPki, authority: Authority, subject_class: str | None) -> TaiwanCertificate:
    card = pki.issue_card(
        CardSpec(
            authority=authority,
            organisation_name="測試單位",
            unified_business_number=None if authority is Authority.MOICA else "12345678",
            subject_class=subject_class,
            card_serial=new_card_serial(),
        )
    )
    return TaiwanCertificate.from_certificate(card.signing.certificate)


@pytest.mark.parametrize("subject_class", sorted(BY_CLASS))
def test_each_subject_class(test_pki: TestPki, subject_class: str) -> None:
    authority, expected = BY_CLASS[subject_class]
    profile = _profile(test_pki, authority, subject_class)
    assert profile.subject_class.value == subject_class
    assert cert_type(profile) is expected


@pytest.mark.parametrize(
    ("authority", "expected"),
    [
        (Authority.XCA, CertType.OTHER_GROUP),
        (Authority.GCA, CertType.GOVERNMENT_UNIT),
        (Authority.MOEACA, CertType.COMPANY),
    ],
)
def test_authority_fallback_without_a_subject_class(
    test_pki: TestPki, authority: Authority, expected: CertType
) -> None:
    profile = _profile(test_pki, authority, None)
    assert cert_type(profile) is expected
    assert int(expected) in ORGANISATION_PAGE


def test_an_unrecognised_class_falls_back_to_the_authority(test_pki: TestPki) -> None:
    profile = _profile(test_pki, Authority.XCA, "2.16.886.1.100.3.9.9")
    assert cert_type(profile) is CertType.OTHER_GROUP


def test_properties_of_an_organisation_card(test_pki: TestPki) -> None:
    profile = _profile(test_pki, Authority.XCA, None)
    properties = certificate_properties(profile, token_serial="TOKEN")
    assert properties["id"] == "12345678"
    assert properties["cardNumber"] == profile.card_serial
    assert properties["serialNumber"] == f"{profile.serial_number:X}"
    assert properties["notAfter"] == int(profile.not_after.timestamp())
    assert properties["algorithmNid"] == 668
    assert properties["subjectSN"] == ""
