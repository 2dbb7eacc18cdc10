"""A small X.509 hierarchy for the CMS tests: root -> intermediate -> signers.

Keys are generated with ``cryptography``; PEM files are written for the
OpenSSL and pyHanko interop tests. conftest.py builds it once per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeAlias

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from xcapki.crypto.key_signer import KeySigner

PrivateKey: TypeAlias = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True, kw_only=True)
class CmsTestPki:
    """The hierarchy, its signers by name, and the PEM files for command-line peers."""

    root: x509.Certificate
    intermediate: x509.Certificate
    signers: dict[str, KeySigner]
    directory: Path

    def signer(self, name: str) -> KeySigner:
        return self.signers[name]

    def pem(self, name: str) -> Path:
        """``<name>.pem`` (certificate) and ``<name>.key`` sit in ``directory``."""
        return self.directory / f"{name}.pem"

    def key(self, name: str) -> Path:
        return self.directory / f"{name}.key"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "xcapki CMS tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    *,
    subject: str,
    key: PrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: PrivateKey,
    ca: bool,
    serial: int | None = None,
    hash_algorithm: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return builder.sign(issuer_key, hash_algorithm or hashes.SHA256())


def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _write(directory: Path, name: str, signer_key: PrivateKey, cert: x509.Certificate) -> None:
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{name}.key").write_bytes(
        signer_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def build_cms_pki(directory: Path) -> CmsTestPki:
    """Signers: rsa2048, rsa3072, rsa1024 (weak), p256, p384, p521 (curve not allowed),
    and ``impostor``: same issuer and serial as rsa2048, another key."""
    root_key = _rsa(2048)
    root = _certificate(
        subject="CMS Test Root", key=root_key, issuer=None, issuer_key=root_key, ca=True
    )
    intermediate_key = _rsa(2048)
    intermediate = _certificate(
        subject="CMS Test Intermediate",
        key=intermediate_key,
        issuer=root,
        issuer_key=root_key,
        ca=True,
    )
    _write(directory, "root", root_key, root)
    _write(directory, "intermediate", intermediate_key, intermediate)
    keys: dict[str, PrivateKey] = {
        "rsa2048": _rsa(2048),
        "rsa3072": _rsa(3072),
        "rsa1024": _rsa(1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "impostor": _rsa(2048),
    }
    signers: dict[str, KeySigner] = {}
    for name, key in keys.items():
        if name == "impostor":
            cert = _certificate(
                subject="CMS Test Signer rsa2048",
                key=key,
                issuer=intermediate,
                issuer_key=intermediate_key,
                ca=False,
                serial=signers["rsa2048"].certificate.serial_number,
            )
        else:
            cert = _certificate(
                subject=f"CMS Test Signer {name}",
                key=key,
                issuer=intermediate,
                issuer_key=intermediate_key,
                ca=False,
            )
        signers[name] = KeySigner(private_key=key, certificate=cert)
        _write(directory, name, key, cert)
    return CmsTestPki(root=root, intermediate=intermediate, signers=signers, directory=directory)
