"""``TestPki.reissue``: a card certificate signed again with only the named changes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID

from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, KeyAlgorithm, TestingError, TestPki


def _template(pki: TestPki, name: str) -> x509.Certificate:
    return pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name=name)
    ).signing.certificate


def _extension(
    certificate: x509.Certificate, oid: x509.ObjectIdentifier
) -> x509.Extension[x509.ExtensionType]:
    return certificate.extensions.get_extension_for_oid(oid)


def test_unchanged_copy_gets_a_new_serial_and_the_index_is_told_only_when_asked(
    test_pki: TestPki,
) -> None:
    template = _template(test_pki, "重發 預設")
    ca = test_pki.ca(Authority.XCA)
    copy = test_pki.reissue(template, Authority.XCA)
    assert copy.serial_number != template.serial_number
    assert (copy.subject, copy.issuer, copy.public_key()) == (
        template.subject,
        template.issuer,
        template.public_key(),
    )
    assert (copy.not_valid_before_utc, copy.not_valid_after_utc) == (
        template.not_valid_before_utc,
        template.not_valid_after_utc,
    )
    assert list(copy.extensions) == list(template.extensions)
    copy.verify_directly_issued_by(ca.certificate)
    assert not ca.index.knows(copy.serial_number)
    recorded = test_pki.reissue(template, Authority.XCA, record=True)
    assert ca.index.knows(recorded.serial_number)


@pytest.mark.openssl
def test_a_copy_for_another_key_chains_with_openssl(test_pki: TestPki, tmp_path: Path) -> None:
    template = _template(test_pki, "重發 換鑰")
    key = KeyAlgorithm.EC_P256.generate()
    copy = test_pki.reissue(template, Authority.XCA, key=key, serial_number=template.serial_number)
    assert copy.serial_number == template.serial_number
    assert copy.public_key() == key.public_key()
    identifier = _extension(copy, ExtensionOID.SUBJECT_KEY_IDENTIFIER).value
    assert identifier == x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    leaf = tmp_path / "leaf.pem"
    leaf.write_bytes(copy.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        test_pki.ca(Authority.XCA).certificate.public_bytes(serialization.Encoding.PEM)
    )
    verified = subprocess.run(
        [
            "openssl",
            "verify",
            "-CAfile",
            str(test_pki.root_certificate_path),
            "-untrusted",
            str(chain),
            str(leaf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr


def test_extensions_and_addresses_are_replaced_or_added(test_pki: TestPki) -> None:
    template = _template(test_pki, "重發 擴充")
    ca_flag = x509.BasicConstraints(ca=True, path_length=None)
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    copy = test_pki.reissue(
        template,
        Authority.XCA,
        replaced=(ca_flag,),
        added_critical=(unknown,),
        ocsp_url="http://127.0.0.1:9/",
        crl_url="http://127.0.0.1:9/xca.crl",
    )
    constraints = _extension(copy, ExtensionOID.BASIC_CONSTRAINTS)
    assert constraints.value == ca_flag
    assert constraints.critical == _extension(template, ExtensionOID.BASIC_CONSTRAINTS).critical
    added = _extension(copy, unknown.oid)
    assert added.critical
    assert added.value == unknown
    access = _extension(copy, ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
    assert isinstance(access, x509.AuthorityInformationAccess)
    ocsp = [
        d.access_location.value
        for d in access
        if d.access_method == AuthorityInformationAccessOID.OCSP
    ]
    assert ocsp == ["http://127.0.0.1:9/"]
    assert any(d.access_method == AuthorityInformationAccessOID.CA_ISSUERS for d in access)
    points = _extension(copy, ExtensionOID.CRL_DISTRIBUTION_POINTS).value
    assert isinstance(points, x509.CRLDistributionPoints)
    assert [n.value for point in points for n in point.full_name or ()] == [
        "http://127.0.0.1:9/xca.crl"
    ]


def test_a_strangers_pss_signature_under_a_look_alike_issuer(test_pki: TestPki) -> None:
    template = _template(test_pki, "重發 冒名")
    stranger = rsa.generate_private_key(65537, 2048)
    look_alike = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the XCA")])
    copy = test_pki.reissue(
        template, Authority.XCA, signing_key=stranger, issuer_name=look_alike, pss=True
    )
    assert copy.issuer == look_alike
    stranger.public_key().verify(
        copy.signature,
        copy.tbs_certificate_bytes,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
        hashes.SHA256(),
    )
    # The stranger's certificate still claims the real CA's key, as forgeries do.
    claimed = _extension(copy, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    assert claimed == _extension(template, ExtensionOID.AUTHORITY_KEY_IDENTIFIER).value
    with pytest.raises(TestingError, match="PSS signature needs an RSA"):
        test_pki.reissue(
            template, Authority.XCA, signing_key=ec.generate_private_key(ec.SECP256R1()), pss=True
        )
