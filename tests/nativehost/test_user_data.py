"""Which data object ReadUserData gives: the attribute certificate whose holder is this card."""

from __future__ import annotations

from xcapki.crypto.authority import Authority
from xcapki.nativehost.userdata import attribute_certificate
from xcapki.testing import CardSpec, TestPki
from xcapki.testing.attribute_certificate import issue_attribute_certificate

SECONDARY = CardSpec(
    authority=Authority.MOEACA,
    organisation_name="測試科技股份有限公司",
    unified_business_number="24681357",
    card_rank="附卡",
)


def test_the_holders_attribute_certificate_among_other_objects(test_pki: TestPki) -> None:
    authority = test_pki.ca(Authority.MOEACA)
    mine = test_pki.issue_card(SECONDARY).signing.certificate
    other = test_pki.issue_card(SECONDARY).signing.certificate
    for_mine = issue_attribute_certificate(authority, mine)
    for_other = issue_attribute_certificate(authority, other)
    objects = [
        ("junk", b"\x30\x03\x02\x01\x01"),
        ("empty", b""),
        ("certificate", mine.tbs_certificate_bytes),
        ("other", for_other),
        ("mine", for_mine),
    ]
    assert attribute_certificate(objects, mine) == for_mine
    assert attribute_certificate(objects, other) == for_other
    assert attribute_certificate(objects[:4], mine) is None
    assert attribute_certificate([], mine) is None
