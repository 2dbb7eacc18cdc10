"""A corpus of malformed and tampered CMS, each refused with exactly its own error.

Every entry starts from a valid signature made in this session and breaks
one thing. The identity edit is checked first, so a failure below is the
mutation's doing, not the tooling's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from asn1crypto import cms, core
from asn1crypto import x509 as asn1_x509
from cms_mutations import (
    ENCAP,
    SIGNED_DATA,
    SIGNER_INFOS,
    Tlv,
    edit_signed_data,
    edit_tlv,
    parse_tlv,
)
from cms_pki import CmsTestPki
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.cms import (
    NO_ATTRIBUTES,
    AlgorithmNotAllowedError,
    AlgorithmProtectionMismatchError,
    CmsContentTypeError,
    CmsError,
    CmsMalformedError,
    CmsSignerCountError,
    CmsTooLargeError,
    ContentMismatchError,
    ContentTypeAttributeError,
    DetachedContentMissingError,
    MessageDigestMismatchError,
    PssParametersError,
    SignatureInvalidError,
    SignedAttributeError,
    SignerCertificateMissingError,
    SignerIdentifierType,
    SigningCertificateMismatchError,
    SigningTimeSkewError,
    WeakKeyError,
    sign_cms,
    sign_hipki,
    verify_cms,
)

CONTENT = b"corpus content: the portal's challenge bytes"
SIGNING_TIME = datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Bases:
    """Valid signatures to break, and the certificates to swap in."""

    full: bytes
    no_attributes: bytes
    hipki: bytes
    pss: bytes
    p256_no_attributes: bytes
    key_id: bytes
    detached: bytes
    sha1: bytes
    rsa1024: bytes
    p521: bytes
    signer_der: bytes
    impostor_der: bytes
    intermediate: asn1_x509.Certificate


@pytest.fixture(scope="module")
def bases(cms_pki: CmsTestPki) -> Bases:
    rsa = cms_pki.signer("rsa2048")
    chain = (cms_pki.intermediate,)

    def sign(**options: Any) -> bytes:
        signer = cms_pki.signer(options.pop("name", "rsa2048"))
        return sign_cms(CONTENT, signer, include_chain=chain, signing_time=SIGNING_TIME, **options)

    def bare(**options: Any) -> bytes:
        signer = cms_pki.signer(options.pop("name", "rsa2048"))
        return sign_cms(CONTENT, signer, include_chain=chain, attributes=NO_ATTRIBUTES, **options)

    inter = cms_pki.intermediate
    return Bases(
        full=sign(),
        no_attributes=bare(),
        hipki=sign_hipki(
            CONTENT,
            rsa,
            nonce=b"\x01" * 32,
            card_serial="TP03000012345678",
            signing_time=SIGNING_TIME,
        ),
        pss=sign(scheme=SignatureScheme.RSA_PSS),
        p256_no_attributes=bare(name="p256"),
        key_id=sign(signer_identifier=SignerIdentifierType.SUBJECT_KEY_IDENTIFIER),
        detached=sign(detached=True),
        sha1=sign(hash_algorithm=HashAlgorithm.SHA1),
        rsa1024=sign(name="rsa1024"),
        p521=sign(name="p521"),
        signer_der=rsa.certificate.public_bytes(Encoding.DER),
        impostor_der=cms_pki.signer("impostor").certificate.public_bytes(Encoding.DER),
        intermediate=asn1_x509.Certificate.load(inter.public_bytes(Encoding.DER)),
    )


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).contents)


def _signer_info(tree: Tlv) -> Tlv:
    return tree.at(*SIGNER_INFOS, 0)


def _signed_attrs(tree: Tlv) -> Tlv:
    return next(child for child in _signer_info(tree).children if child.tag == 0xA0)


def _attribute(tree: Tlv, dotted: str) -> Tlv:
    oid = _oid(dotted)
    return next(a for a in _signed_attrs(tree).children if a.children[0].content == oid)


def _attribute_value(tree: Tlv, dotted: str) -> Tlv:
    return _attribute(tree, dotted).children[1].children[0]


def _flip_last(node: Tlv) -> None:
    node.content = node.content[:-1] + bytes((node.content[-1] ^ 0x01,))


def _signature_algorithm(tree: Tlv) -> Tlv:
    info = _signer_info(tree)
    return info.children[-2] if info.children[-1].tag == 0x04 else info.children[-3]


def _digest_algorithm(tree: Tlv) -> Tlv:
    return _signer_info(tree).children[2]


def _certificates(tree: Tlv) -> Tlv:
    return next(child for child in tree.at(*SIGNED_DATA).children if child.tag == 0xA0)


def _swap_certificate(base: bytes, old: bytes, new: bytes) -> bytes:
    def change(tree: Tlv) -> None:
        certs = _certificates(tree)
        certs.children = [parse_tlv(new) if c.encode() == old else c for c in certs.children]

    return edit_tlv(base, change)


def _tlv(base: Callable[[Bases], bytes], change: Callable[[Tlv], None]) -> Callable[[Bases], bytes]:
    return lambda b: edit_tlv(base(b), change)


def _set(attr_path: Callable[[Tlv], Tlv], **fields: Any) -> Callable[[Tlv], None]:
    def change(tree: Tlv) -> None:
        node = attr_path(tree)
        for name, value in fields.items():
            setattr(node, name, value)

    return change


SHA256 = "2.16.840.1.101.3.4.2.1"
SHA384 = "2.16.840.1.101.3.4.2.2"
CONTENT_TYPE = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
SIGNING_TIME_OID = "1.2.840.113549.1.9.5"
PROTECTION = "1.2.840.113549.1.9.52"
NONCE = "1.2.840.113549.1.9.25.3"


def _replace_oid(locate: Callable[[Tlv], Tlv], dotted: str) -> Callable[[Tlv], None]:
    def change(tree: Tlv) -> None:
        locate(tree).children[0].content = _oid(dotted)

    return change


def _replace_digest(dotted: str) -> Callable[[Tlv], None]:
    def change(tree: Tlv) -> None:
        _digest_algorithm(tree).children[0].content = _oid(dotted)
        tree.at(*SIGNED_DATA, 1, 0, 0).content = _oid(dotted)

    return change


def _pss_params(tree: Tlv) -> Tlv:
    return _signature_algorithm(tree).children[1]


def _retarget_pss_hash(tree: Tlv) -> None:
    _pss_params(tree).at(0, 0, 0).content = _oid(SHA384)


def _retarget_pss_mgf(tree: Tlv) -> None:
    _pss_params(tree).at(1, 0, 1, 0).content = _oid(SHA384)


def _drop_pss_params(tree: Tlv) -> None:
    _signature_algorithm(tree).children = _signature_algorithm(tree).children[:1]


def _duplicate_signer(tree: Tlv) -> None:
    infos = tree.at(*SIGNER_INFOS)
    infos.children = [infos.children[0], infos.children[0]]


def _drop_signers(tree: Tlv) -> None:
    tree.at(*SIGNER_INFOS).children = []


def _drop_certificates(tree: Tlv) -> None:
    signed_data = tree.at(*SIGNED_DATA)
    signed_data.children = [c for c in signed_data.children if c.tag != 0xA0]


def _constructed_econtent(tree: Tlv) -> None:
    octets = tree.at(*ENCAP, 1, 0)
    octets.children = [Tlv(tag=0x04, content=octets.content)]
    octets.tag = 0x24


def _garbage_certificate(tree: Tlv) -> None:
    _certificates(tree).children[0] = Tlv(tag=0x30, content=b"", children=[Tlv(0x02, b"\x01")])


def _duplicate_attribute(tree: Tlv) -> None:
    attrs = _signed_attrs(tree)
    time = _attribute(tree, SIGNING_TIME_OID)
    index = attrs.children.index(time)
    attrs.children.insert(index, time)


def _drop_message_digest(tree: Tlv) -> None:
    attrs = _signed_attrs(tree)
    attrs.children.remove(_attribute(tree, MESSAGE_DIGEST))


def _two_digests(tree: Tlv) -> None:
    values = _attribute(tree, MESSAGE_DIGEST).children[1]
    values.children.append(Tlv(tag=0x04, content=b"\x00" * 32))


def _reverse_attributes(tree: Tlv) -> None:
    _signed_attrs(tree).children.reverse()


def _time_as_integer(tree: Tlv) -> None:
    _attribute_value(tree, SIGNING_TIME_OID).tag = 0x02


def _change_content(tree: Tlv) -> None:
    _flip_last(tree.at(*ENCAP, 1, 0))


def _flip_signature(tree: Tlv) -> None:
    _flip_last(_signer_info(tree).children[-1])


def _flip_time(tree: Tlv) -> None:
    value = _attribute_value(tree, SIGNING_TIME_OID)
    assert value.content.endswith(b"01Z")
    value.content = value.content[:-3] + b"02Z"


def _time_without_zone(tree: Tlv) -> None:
    value = _attribute_value(tree, SIGNING_TIME_OID)
    value.tag = 0x18
    value.content = SIGNING_TIME.strftime("%Y%m%d%H%M%S").encode()


def _sid_to(serial_offset: int, *, use_intermediate: bool) -> Callable[[Bases], bytes]:
    def make(b: Bases) -> bytes:
        def change(signed_data: cms.SignedData) -> None:
            info = signed_data["signer_infos"][0]
            current = info["sid"].chosen
            issuer = b.intermediate.issuer if use_intermediate else current["issuer"]
            serial = (
                b.intermediate.serial_number
                if use_intermediate
                else current["serial_number"].native + serial_offset
            )
            info["sid"] = cms.SignerIdentifier(
                {"issuer_and_serial_number": {"issuer": issuer, "serial_number": serial}}
            )

        return edit_signed_data(b.no_attributes, change)

    return make


def _unknown_key_id(b: Bases) -> bytes:
    def change(signed_data: cms.SignedData) -> None:
        signed_data["signer_infos"][0]["sid"] = cms.SignerIdentifier(
            {"subject_key_identifier": b"\x42" * 20}
        )

    return edit_signed_data(b.key_id, change)


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Bases], Any]
    expected: type[CmsError]
    options: dict[str, Any] | None = None


CASES = [
    Case("empty input", lambda b: b"", CmsMalformedError),
    Case("not bytes", lambda b: b.full.hex(), CmsMalformedError),
    Case("random bytes", lambda b: bytes(range(256)) * 4, CmsMalformedError),
    Case("only a tag", lambda b: b"\x30", CmsMalformedError),
    Case("truncated to half", lambda b: b.full[: len(b.full) // 2], CmsMalformedError),
    Case("truncated by one byte", lambda b: b.full[:-1], CmsMalformedError),
    Case("trailing garbage", lambda b: b.full + b"\x00", CmsMalformedError),
    Case("two ContentInfos back to back", lambda b: b.full + b.full, CmsMalformedError),
    Case("SET instead of SEQUENCE", lambda b: b"\x31" + b.full[1:], CmsMalformedError),
    Case(
        "non-minimal length",
        lambda b: b"\x30\x83\x00" + b.full[2:4] + b.full[4:],
        CmsMalformedError,
    ),
    Case(
        "BER indefinite length outside",
        _tlv(lambda b: b.full, _set(lambda t: t, indefinite=True)),
        CmsMalformedError,
    ),
    Case(
        "BER indefinite length inside",
        _tlv(lambda b: b.full, _set(lambda t: t.at(*SIGNER_INFOS), indefinite=True)),
        CmsMalformedError,
    ),
    Case(
        "constructed eContent OCTET STRING",
        _tlv(lambda b: b.full, _constructed_econtent),
        CmsMalformedError,
    ),
    Case(
        "version is not an INTEGER",
        _tlv(lambda b: b.full, _set(lambda t: t.at(*SIGNED_DATA, 0), tag=0x04)),
        CmsMalformedError,
    ),
    Case(
        "digest algorithm missing from digestAlgorithms",
        _tlv(lambda b: b.no_attributes, _replace_oid(_digest_algorithm, SHA384)),
        CmsMalformedError,
    ),
    Case(
        "SignerInfo version 3 with issuerAndSerialNumber",
        _tlv(lambda b: b.full, _set(lambda t: _signer_info(t).at(0), content=b"\x03")),
        CmsMalformedError,
    ),
    Case(
        "SignedData version 2",
        _tlv(lambda b: b.full, _set(lambda t: t.at(*SIGNED_DATA, 0), content=b"\x02")),
        CmsMalformedError,
    ),
    Case(
        "garbage certificate",
        _tlv(lambda b: b.full, _garbage_certificate),
        CmsMalformedError,
    ),
    Case(
        "signed attributes not in DER order",
        _tlv(lambda b: b.full, _reverse_attributes),
        CmsMalformedError,
    ),
    Case(
        "signingTime is an INTEGER",
        _tlv(lambda b: b.full, _time_as_integer),
        CmsMalformedError,
    ),
    Case(
        "ContentInfo holds envelopedData",
        _tlv(lambda b: b.full, _set(lambda t: t.at(0), content=_oid("1.2.840.113549.1.7.3"))),
        CmsContentTypeError,
    ),
    Case(
        "ContentInfo holds data",
        _tlv(lambda b: b.full, _set(lambda t: t.at(0), content=_oid("1.2.840.113549.1.7.1"))),
        CmsContentTypeError,
    ),
    Case(
        "signed content is TSTInfo, not id-data",
        _tlv(
            lambda b: b.full,
            _set(lambda t: t.at(*ENCAP, 0), content=_oid("1.2.840.113549.1.9.16.1.4")),
        ),
        CmsContentTypeError,
    ),
    Case("zero signers", _tlv(lambda b: b.full, _drop_signers), CmsSignerCountError),
    Case("two signers", _tlv(lambda b: b.full, _duplicate_signer), CmsSignerCountError),
    Case(
        "contentType attribute says signedData",
        _tlv(
            lambda b: b.full,
            _set(lambda t: _attribute_value(t, CONTENT_TYPE), content=_oid("1.2.840.113549.1.7.2")),
        ),
        ContentTypeAttributeError,
    ),
    Case(
        "signingTime repeated",
        _tlv(lambda b: b.full, _duplicate_attribute),
        SignedAttributeError,
    ),
    Case(
        "messageDigest missing",
        _tlv(lambda b: b.full, _drop_message_digest),
        SignedAttributeError,
    ),
    Case(
        "messageDigest with two values",
        _tlv(lambda b: b.full, _two_digests),
        SignedAttributeError,
    ),
    Case(
        "messageDigest altered",
        _tlv(lambda b: b.full, lambda t: _flip_last(_attribute_value(t, MESSAGE_DIGEST))),
        MessageDigestMismatchError,
    ),
    Case(
        "attached content altered",
        _tlv(lambda b: b.full, _change_content),
        MessageDigestMismatchError,
    ),
    Case(
        "detached content altered",
        lambda b: b.detached,
        MessageDigestMismatchError,
        {"content": CONTENT[:-1] + b"?"},
    ),
    Case(
        "content altered, no signed attributes",
        _tlv(lambda b: b.no_attributes, _change_content),
        SignatureInvalidError,
    ),
    Case("signature altered", _tlv(lambda b: b.full, _flip_signature), SignatureInvalidError),
    Case(
        "signature altered, ECDSA",
        _tlv(lambda b: b.p256_no_attributes, _flip_signature),
        SignatureInvalidError,
    ),
    Case(
        "signature altered, PSS",
        _tlv(lambda b: b.pss, _flip_signature),
        SignatureInvalidError,
    ),
    Case("signingTime altered", _tlv(lambda b: b.full, _flip_time), SignatureInvalidError),
    Case(
        "HiPKI nonce altered",
        _tlv(lambda b: b.hipki, lambda t: _flip_last(_attribute_value(t, NONCE))),
        SignatureInvalidError,
    ),
    Case("SHA-1 when not allowed", lambda b: b.sha1, AlgorithmNotAllowedError),
    Case(
        "MD5 digest algorithm",
        _tlv(lambda b: b.no_attributes, _replace_digest("1.2.840.113549.2.5")),
        AlgorithmNotAllowedError,
    ),
    Case(
        "md5WithRSAEncryption signature algorithm",
        _tlv(
            lambda b: b.no_attributes,
            _replace_oid(_signature_algorithm, "1.2.840.113549.1.1.4"),
        ),
        AlgorithmNotAllowedError,
    ),
    Case(
        "unknown digest algorithm",
        _tlv(lambda b: b.no_attributes, _replace_digest("1.2.3.4")),
        AlgorithmNotAllowedError,
    ),
    Case(
        "unknown signature algorithm",
        _tlv(lambda b: b.no_attributes, _replace_oid(_signature_algorithm, "1.2.3.4")),
        AlgorithmNotAllowedError,
    ),
    Case(
        "ecdsa-with-SHA384 over a SHA-256 digest",
        _tlv(
            lambda b: b.p256_no_attributes,
            _replace_oid(_signature_algorithm, "1.2.840.10045.4.3.3"),
        ),
        AlgorithmNotAllowedError,
    ),
    Case(
        "RSA signature algorithm with an EC certificate",
        _tlv(
            lambda b: b.p256_no_attributes,
            _replace_oid(_signature_algorithm, "1.2.840.113549.1.1.11"),
        ),
        AlgorithmNotAllowedError,
    ),
    Case("RSA-1024 signer", lambda b: b.rsa1024, WeakKeyError),
    Case("P-521 signer", lambda b: b.p521, AlgorithmNotAllowedError),
    Case(
        "PSS hash differs from digest",
        _tlv(lambda b: b.pss, _retarget_pss_hash),
        PssParametersError,
    ),
    Case("PSS MGF1 hash differs", _tlv(lambda b: b.pss, _retarget_pss_mgf), PssParametersError),
    Case("PSS parameters absent", _tlv(lambda b: b.pss, _drop_pss_params), PssParametersError),
    Case(
        "CMSAlgorithmProtection names another digest",
        _tlv(
            lambda b: b.full,
            lambda t: setattr(_attribute_value(t, PROTECTION).at(0, 0), "content", _oid(SHA384)),
        ),
        AlgorithmProtectionMismatchError,
    ),
    Case(
        "signature algorithm swapped after signing",
        _tlv(lambda b: b.full, _replace_oid(_signature_algorithm, "1.2.840.113549.1.1.11")),
        AlgorithmProtectionMismatchError,
    ),
    Case(
        "signer certificate missing",
        _tlv(lambda b: b.full, _drop_certificates),
        SignerCertificateMissingError,
    ),
    Case(
        "signer certificate substituted (attributes)",
        lambda b: _swap_certificate(b.full, b.signer_der, b.impostor_der),
        SigningCertificateMismatchError,
    ),
    Case(
        "signer certificate substituted (no attributes)",
        lambda b: _swap_certificate(b.no_attributes, b.signer_der, b.impostor_der),
        SignatureInvalidError,
    ),
    Case("sid names the intermediate", _sid_to(0, use_intermediate=True), SignatureInvalidError),
    Case(
        "sid names no carried certificate",
        _sid_to(1, use_intermediate=False),
        SignerCertificateMissingError,
    ),
    Case("sid key identifier unknown", _unknown_key_id, SignerCertificateMissingError),
    Case("larger than max_size", lambda b: b.full, CmsTooLargeError, {"max_size": 1000}),
    Case("two megabytes", lambda b: b"\x30" * (2 * 1024 * 1024), CmsTooLargeError),
    Case("detached without content", lambda b: b.detached, DetachedContentMissingError),
    Case(
        "attached content differs from expected",
        lambda b: b.full,
        ContentMismatchError,
        {"content": b"the challenge the server stored"},
    ),
    Case(
        "signingTime a GeneralizedTime without a time zone",
        _tlv(lambda b: b.full, _time_without_zone),
        SignedAttributeError,
        {"now": SIGNING_TIME},
    ),
    Case(
        "signingTime a day off",
        lambda b: b.full,
        SigningTimeSkewError,
        {"now": SIGNING_TIME + timedelta(days=1)},
    ),
]


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("base", ["full", "no_attributes", "pss", "key_id", "hipki"])
def test_tooling_identity_edit_keeps_signatures_valid(bases: Bases, base: str) -> None:
    der = getattr(bases, base)
    assert edit_tlv(der, lambda tree: None) == der
    assert verify_cms(edit_signed_data(der, lambda sd: None)).intact


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_entry_is_refused_with_its_error(bases: Bases, case: Case) -> None:
    data = case.make(bases)
    with pytest.raises(CmsError) as caught:
        verify_cms(data, **(case.options or {}))
    assert type(caught.value) is case.expected, caught.value
    assert str(caught.value)
