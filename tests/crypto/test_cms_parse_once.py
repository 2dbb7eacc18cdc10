"""Parse once, verify the parsed object: the same answers as from bytes, in the steps' order."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asn1crypto import cms
from cms_mutations import edit_signed_data
from cms_pki import CmsTestPki

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import (
    NO_ATTRIBUTES,
    AlgorithmNotAllowedError,
    CmsMalformedError,
    CmsSignerCountError,
    CmsTooLargeError,
    NonceAttributeMismatchError,
    ParsedCms,
    SignedAttributeError,
    UnexpectedSignerError,
    inspect_cms,
    parse_cms,
    sign_cms,
    sign_hipki,
    verify_cms,
)

CONTENT = b"login challenge for https://portal.example.tw"
NONCE = bytes(range(32))


def test_a_parsed_cms_verifies_as_its_bytes_do(cms_pki: CmsTestPki) -> None:
    der = sign_hipki(
        CONTENT, cms_pki.signer("rsa2048"), nonce=NONCE, card_serial="TP03000012345678"
    )
    parsed = parse_cms(der)
    from_parsed = verify_cms(parsed, content=CONTENT, nonce=NONCE)
    from_bytes = verify_cms(der, content=CONTENT, nonce=NONCE)
    assert from_parsed == from_bytes
    assert parsed.size == len(der)
    assert parsed.content == CONTENT
    assert from_parsed.attributes is not None
    assert from_parsed.attributes.card_serial == "TP03000012345678"


def test_certificates_are_parsed_once_per_distinct_bytes(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("p256")
    first = parse_cms(sign_cms(CONTENT, signer, include_chain=(cms_pki.intermediate,)))
    second = parse_cms(sign_cms(b"another message", signer, include_chain=(cms_pki.intermediate,)))
    assert len(first.certificates) == 2
    assert all(a is b for a, b in zip(first.certificates, second.certificates, strict=True))
    assert first.certificates[0] == signer.certificate


def test_parse_checks_step_1_only(cms_pki: CmsTestPki) -> None:
    """A missing messageDigest is step 6's finding: the parse passes, verification refuses."""
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"))

    def drop_digest(signed_data: cms.SignedData) -> None:
        attrs = signed_data["signer_infos"][0]["signed_attrs"]
        kept = [a for a in attrs if a["type"].native != "message_digest"]
        signed_data["signer_infos"][0]["signed_attrs"] = cms.CMSAttributes(kept)

    edited = edit_signed_data(der, drop_digest)
    assert isinstance(parse_cms(edited), ParsedCms)
    with pytest.raises(SignedAttributeError):
        verify_cms(edited)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda der: der[:-3], CmsMalformedError),
        (lambda der: der + b"\x00", CmsMalformedError),
        (lambda der: der + bytes(8), CmsTooLargeError),
    ],
    ids=["truncated", "trailing byte", "over max_size"],
)
def test_parse_refuses_what_step_1_refuses(
    cms_pki: CmsTestPki, make: Callable[[bytes], bytes], error: type[Exception]
) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"))
    with pytest.raises(error):
        parse_cms(make(der), max_size=len(der) + 1)  # room for one trailing byte


def test_two_signers_fail_the_parse(cms_pki: CmsTestPki) -> None:
    def twice(signed_data: cms.SignedData) -> None:
        info = signed_data["signer_infos"][0]
        signed_data["signer_infos"] = cms.SignerInfos([info, info])

    with pytest.raises(CmsSignerCountError):
        parse_cms(edit_signed_data(sign_cms(CONTENT, cms_pki.signer("rsa2048")), twice))


def test_the_nonce_is_checked_with_the_content_before_the_algorithms(
    cms_pki: CmsTestPki,
) -> None:
    der = sign_hipki(
        CONTENT, cms_pki.signer("rsa2048"), nonce=NONCE, hash_algorithm=HashAlgorithm.SHA1
    )
    with pytest.raises(NonceAttributeMismatchError):
        verify_cms(der, content=CONTENT, nonce=bytes(32))
    with pytest.raises(AlgorithmNotAllowedError):
        verify_cms(der, content=CONTENT, nonce=NONCE)


def test_the_expected_signer_must_be_the_signer(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("rsa2048")
    der = sign_cms(CONTENT, signer)
    assert verify_cms(der, signer_certificate=signer.certificate).intact
    with pytest.raises(UnexpectedSignerError):
        inspect_cms(der, signer_certificate=cms_pki.signer("rsa3072").certificate)


def test_the_expected_signer_completes_a_cms_without_certificates(cms_pki: CmsTestPki) -> None:
    signer = cms_pki.signer("p384")

    def strip(signed_data: cms.SignedData) -> None:
        signed_data["certificates"] = None

    der = edit_signed_data(sign_cms(CONTENT, signer, attributes=NO_ATTRIBUTES), strip)
    signature = verify_cms(parse_cms(der), signer_certificate=signer.certificate)
    assert signature.signer_certificate == signer.certificate
    assert signature.certificates == ()
