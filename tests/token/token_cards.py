"""SoftHSM2 cards shaped like HiCOS cards (SIGN/cert1, KEYX/cert2, CACert) for the token tests."""

from __future__ import annotations

import datetime
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from xcapki.token import Pkcs11Module
from xcapki.token._pkcs11 import ModuleHandle
from xcapki.token.tokens import TokenSelector

SOFTHSM_MODULE = Path("/usr/lib/softhsm/libsofthsm2.so")
SOFTHSM_UTIL = shutil.which("softhsm2-util") or "/usr/bin/softhsm2-util"
HICOS_LABEL = "HiCOS PKI Smart Card"
PIN = "123456"
SO_PIN = "12345678"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """A provisioned SoftHSM2 token with its keys, as the tests need them."""

    serial: str
    label: str
    pin: str = field(repr=False)
    signing_key: PrivateKey
    signing_certificate: x509.Certificate
    encryption_certificate: x509.Certificate
    ca_certificate: x509.Certificate
    directory: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "xcapki test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _certificate(
    subject: str, key: PrivateKey, issuer: str, issuer_key: PrivateKey, usage: str
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    flags = dict.fromkeys(
        (
            "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
            "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
        ),
        False,
    )  # fmt: skip
    if usage == "ca":
        flags.update(key_cert_sign=True, crl_sign=True)
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    elif usage == "sign":
        flags.update(digital_signature=True, content_commitment=True)
    else:
        flags.update(key_encipherment=True, data_encipherment=True)
    builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _generate(kind: str) -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1() if kind == "p384" else ec.SECP256R1())


def _traditional_der(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def provision(module: Pkcs11Module, serial: str, kind: str, root: Path) -> Card:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("xcapki test CA", ca_key, "xcapki test CA", ca_key, "ca")
    signing_key, encryption_key = _generate(kind), _generate(kind)
    signing = _certificate(f"card {serial}", signing_key, "xcapki test CA", ca_key, "sign")
    encryption = _certificate(f"card {serial}", encryption_key, "xcapki test CA", ca_key, "keyx")
    handle: ModuleHandle = module._handle
    token = module.select_token(TokenSelector(serial=serial))
    with handle.lock:
        session = handle.open_session(token.slot_id, read_write=True)
        try:
            session.login(PIN.encode())
            for key_id, label, key, cert in (
                (b"SIGN", "cert1", signing_key, signing),
                (b"KEYX", "cert2", encryption_key, encryption),
            ):
                session.import_private_key(
                    _traditional_der(key),
                    key_id=key_id,
                    label=label,
                    ec=isinstance(key, ec.EllipticCurvePrivateKey),
                )
                session.import_certificate(
                    cert.public_bytes(serialization.Encoding.DER), key_id=key_id, label=label
                )
            session.import_certificate(
                ca.public_bytes(serialization.Encoding.DER), key_id=b"CA", label="CACert"
            )
        finally:
            session.close()
    return Card(
        serial=serial,
        label=HICOS_LABEL,
        pin=PIN,
        signing_key=signing_key,
        signing_certificate=signing,
        encryption_certificate=encryption,
        ca_certificate=ca,
        directory=root,
    )
