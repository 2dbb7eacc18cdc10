"""Interop with pyHanko in both directions: general-purpose CMS over bytes."""

from __future__ import annotations

import asyncio

import pytest
from asn1crypto import cms, keys
from asn1crypto import x509 as asn1_x509
from cms_pki import CmsTestPki
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.cms import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    NO_ATTRIBUTES,
    NoAttributes,
    SignedAttributes,
    sign_cms,
    verify_cms,
)

signers = pytest.importorskip("pyhanko.sign.signers", reason="pyHanko is not installed")
generic_cms = pytest.importorskip("pyhanko.sign.validation.generic_cms")
certvalidator = pytest.importorskip("pyhanko_certvalidator")
registry = pytest.importorskip("pyhanko_certvalidator.registry")
validation_settings = pytest.importorskip("pyhanko.sign.validation.settings")

CONTENT = b"xcapki <-> pyHanko"

# A GPKI card's signing certificate asserts digitalSignature (not pyHanko's
# default nonRepudiation): require what the profile promises.
CARD_SIGNING_USAGE = validation_settings.KeyUsageConstraints(key_usage={"digital_signature"})


def _asn1(certificate: object) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))  # type: ignore[attr-defined]


def _context(cms_pki: CmsTestPki) -> object:
    return certvalidator.ValidationContext(
        trust_roots=[_asn1(cms_pki.root)],
        other_certs=[_asn1(cms_pki.intermediate)],
        allow_fetching=False,
    )


@pytest.mark.parametrize(
    ("name", "scheme"),
    [
        ("rsa2048", SignatureScheme.RSA_PKCS1V15),
        ("rsa2048", SignatureScheme.RSA_PSS),
        ("p256", SignatureScheme.ECDSA),
    ],
)
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize(
    "attributes", [FULL_ATTRIBUTES, HIPKI_ATTRIBUTES, NO_ATTRIBUTES], ids=["full", "hipki", "none"]
)
def test_pyhanko_validates_xcapki(
    cms_pki: CmsTestPki,
    name: str,
    scheme: SignatureScheme,
    detached: bool,
    attributes: SignedAttributes | NoAttributes,
) -> None:
    der = sign_cms(
        CONTENT,
        cms_pki.signer(name),
        scheme=scheme,
        detached=detached,
        attributes=attributes,
        include_chain=(cms_pki.intermediate,),
    )
    signed_data = cms.ContentInfo.load(der)["content"]
    if detached:
        status = asyncio.run(
            generic_cms.async_validate_detached_cms(
                CONTENT,
                signed_data,
                signer_validation_context=_context(cms_pki),
                key_usage_settings=CARD_SIGNING_USAGE,
            )
        )
    else:
        status = asyncio.run(
            generic_cms.async_validate_cms_signature(
                signed_data,
                validation_context=_context(cms_pki),
                key_usage_settings=CARD_SIGNING_USAGE,
            )
        )
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.signing_cert.dump() == _asn1(cms_pki.signer(name).certificate).dump()


def test_pyhanko_notices_xcapki_signature_over_other_content(cms_pki: CmsTestPki) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), detached=True)
    signed_data = cms.ContentInfo.load(der)["content"]
    status = asyncio.run(
        generic_cms.async_validate_detached_cms(
            CONTENT + b"!", signed_data, signer_validation_context=_context(cms_pki)
        )
    )
    assert not status.intact


def _pyhanko_signer(cms_pki: CmsTestPki, name: str, *, prefer_pss: bool) -> object:
    signer = cms_pki.signer(name)
    key_der = signer.private_key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    return signers.SimpleSigner(
        signing_cert=_asn1(signer.certificate),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=registry.SimpleCertificateStore.from_certs([_asn1(cms_pki.intermediate)]),
        prefer_pss=prefer_pss,
    )


@pytest.mark.parametrize(
    ("name", "prefer_pss", "scheme"),
    [
        ("rsa2048", False, SignatureScheme.RSA_PKCS1V15),
        ("rsa2048", True, SignatureScheme.RSA_PSS),
        ("p384", False, SignatureScheme.ECDSA),
    ],
)
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize("use_cades", [False, True])
def test_xcapki_verifies_pyhanko(
    cms_pki: CmsTestPki,
    name: str,
    prefer_pss: bool,
    scheme: SignatureScheme,
    detached: bool,
    use_cades: bool,
) -> None:
    pyhanko_signer = _pyhanko_signer(cms_pki, name, prefer_pss=prefer_pss)
    content_info = asyncio.run(
        pyhanko_signer.async_sign_general_data(  # type: ignore[attr-defined]
            CONTENT, "sha256", detached=detached, use_cades=use_cades
        )
    )
    verified = verify_cms(content_info.dump(), content=CONTENT if detached else None)
    assert verified.intact
    assert verified.signature_scheme is scheme
    assert verified.signer_certificate == cms_pki.signer(name).certificate
    assert verified.attributes is not None
    assert verified.attributes.has_signing_certificate
    assert verified.attributes.has_algorithm_protection is not use_cades
