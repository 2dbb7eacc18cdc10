"""Interop with OpenSSL in both directions: `openssl cms -verify` and `openssl cms -sign`."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cms_pki import CmsTestPki

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.cms import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    LEGACY_SHA1_POLICY,
    NO_ATTRIBUTES,
    AlgorithmNotAllowedError,
    NoAttributes,
    SignedAttributes,
    SignerIdentifierType,
    sign_cms,
    verify_cms,
)

pytestmark = pytest.mark.openssl

CONTENT = b"xcapki <-> openssl\r\n\x00\xffbinary stays binary"

SIGNERS = [
    ("rsa2048", SignatureScheme.RSA_PKCS1V15),
    ("rsa2048", SignatureScheme.RSA_PSS),
    ("p256", SignatureScheme.ECDSA),
    ("p384", SignatureScheme.ECDSA),
]
SHAPES: list[tuple[str, SignedAttributes | NoAttributes]] = [
    ("full", FULL_ATTRIBUTES),
    ("hipki", HIPKI_ATTRIBUTES),
    ("none", NO_ATTRIBUTES),
]


def _run(openssl: str, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([openssl, *map(str, args)], capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize(("name", "scheme"), SIGNERS)
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize(("shape", "attributes"), SHAPES)
def test_openssl_verifies_xcapki(
    cms_pki: CmsTestPki,
    openssl: str,
    tmp_path: Path,
    name: str,
    scheme: SignatureScheme,
    detached: bool,
    shape: str,
    attributes: SignedAttributes | NoAttributes,
) -> None:
    der = sign_cms(
        CONTENT,
        cms_pki.signer(name),
        detached=detached,
        scheme=scheme,
        attributes=attributes,
        include_chain=(cms_pki.intermediate,),
        nonce=b"n" * 32 if shape == "hipki" else None,
        card_serial="TP03000012345678" if shape == "hipki" else None,
    )
    signature = tmp_path / "signature.der"
    signature.write_bytes(der)
    out = tmp_path / "out.bin"
    args: list[str | Path] = ["cms", "-verify", "-inform", "DER", "-in", signature]
    args += ["-CAfile", cms_pki.pem("root"), "-binary", "-out", out]
    if detached:
        data = tmp_path / "content.bin"
        data.write_bytes(CONTENT)
        args += ["-content", data]
    result = _run(openssl, *args)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Verification successful" in result.stderr
    assert out.read_bytes() == CONTENT


def test_openssl_rejects_xcapki_signature_over_other_content(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path
) -> None:
    """The acceptance above means something: OpenSSL does refuse a wrong pairing."""
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), detached=True)
    (tmp_path / "s.der").write_bytes(der)
    (tmp_path / "c.bin").write_bytes(CONTENT + b"x")
    result = _run(
        openssl, "cms", "-verify", "-inform", "DER", "-in", tmp_path / "s.der",
        "-CAfile", cms_pki.pem("root"), "-certfile", cms_pki.pem("intermediate"),
        "-binary", "-content", tmp_path / "c.bin", "-out", tmp_path / "o.bin",
    )  # fmt: skip
    assert result.returncode != 0


def test_openssl_verifies_subject_key_identifier_sid(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path
) -> None:
    der = sign_cms(
        CONTENT,
        cms_pki.signer("p256"),
        include_chain=(cms_pki.intermediate,),
        signer_identifier=SignerIdentifierType.SUBJECT_KEY_IDENTIFIER,
    )
    (tmp_path / "s.der").write_bytes(der)
    result = _run(
        openssl, "cms", "-verify", "-inform", "DER", "-in", tmp_path / "s.der",
        "-CAfile", cms_pki.pem("root"), "-binary", "-out", tmp_path / "o.bin",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()


OPENSSL_SIGN_OPTIONS = [
    ("rsa2048", ()),
    ("rsa2048", ("-nosmimecap",)),
    ("rsa2048", ("-noattr",)),
    ("rsa2048", ("-cades",)),
    ("rsa2048", ("-keyid",)),
    ("rsa2048", ("-md", "sha384")),
    ("rsa2048", ("-keyopt", "rsa_padding_mode:pss")),
    ("rsa2048", ("-noattr", "-keyopt", "rsa_padding_mode:pss")),
    (
        "rsa3072",
        ("-md", "sha512", "-keyopt", "rsa_padding_mode:pss", "-keyopt", "rsa_pss_saltlen:max"),
    ),
    ("p256", ()),
    ("p256", ("-noattr",)),
    ("p384", ("-md", "sha384")),
]


@pytest.mark.parametrize(("name", "options"), OPENSSL_SIGN_OPTIONS)
@pytest.mark.parametrize("detached", [False, True])
def test_xcapki_verifies_openssl(
    cms_pki: CmsTestPki,
    openssl: str,
    tmp_path: Path,
    name: str,
    options: tuple[str, ...],
    detached: bool,
) -> None:
    data = tmp_path / "content.bin"
    data.write_bytes(CONTENT)
    signature = tmp_path / "signature.der"
    args: list[str | Path] = ["cms", "-sign", "-binary", "-in", data, "-outform", "DER"]
    args += ["-signer", cms_pki.pem(name), "-inkey", cms_pki.key(name)]
    args += ["-certfile", cms_pki.pem("intermediate"), "-out", signature, *options]
    if not detached:
        args.append("-nodetach")
    result = _run(openssl, *args)
    assert result.returncode == 0, result.stderr.decode()
    verified = verify_cms(signature.read_bytes(), content=CONTENT if detached else None)
    assert verified.intact
    assert verified.content == CONTENT
    assert verified.detached is detached
    assert verified.signer_certificate == cms_pki.signer(name).certificate
    assert cms_pki.intermediate in verified.certificates
    expected_hash = {"sha384": HashAlgorithm.SHA384, "sha512": HashAlgorithm.SHA512}
    md = options[options.index("-md") + 1] if "-md" in options else "sha256"
    assert verified.digest_algorithm is expected_hash.get(md, HashAlgorithm.SHA256)
    if "rsa_padding_mode:pss" in options:
        assert verified.signature_scheme is SignatureScheme.RSA_PSS
    if "-noattr" in options:
        assert verified.attributes is None
    else:
        assert verified.attributes is not None
        assert verified.signing_time is not None
        assert verified.attributes.has_signing_certificate is ("-cades" in options)
        smime_capabilities = verified.attributes.get("1.2.840.113549.1.9.15")
        assert (smime_capabilities is None) is ("-nosmimecap" in options)


def test_xcapki_refuses_openssl_sha1_by_default(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path
) -> None:
    data = tmp_path / "content.bin"
    data.write_bytes(CONTENT)
    result = _run(
        openssl, "cms", "-sign", "-binary", "-nodetach", "-in", data, "-outform", "DER",
        "-signer", cms_pki.pem("rsa2048"), "-inkey", cms_pki.key("rsa2048"),
        "-md", "sha1", "-out", tmp_path / "s.der",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    der = (tmp_path / "s.der").read_bytes()
    with pytest.raises(AlgorithmNotAllowedError):
        verify_cms(der)
    assert verify_cms(der, policy=LEGACY_SHA1_POLICY).digest_algorithm is HashAlgorithm.SHA1
