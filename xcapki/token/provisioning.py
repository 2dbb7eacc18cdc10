"""Writing keys and certificates to a token: how the test components fill a card.

Real cards come from their CA with keys and certificates on them, so xcapki never
writes to a card in use; this module exists for the testing package (the
opencryptoki lockout card) and is not part of the public API. It is the one
module besides ``_pkcs11`` that uses python-pkcs11, for its attribute templates.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

from xcapki.token.modules import Pkcs11Module
from xcapki.token.tokens import TokenInfo

__all__ = ["store_key_pair"]


def store_key_pair(
    module: Pkcs11Module,
    token: TokenInfo,
    *,
    pin: str,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    key_id: bytes,
    label: str,
) -> None:
    """Log in to ``token`` and store ``key`` (sensitive, may sign) and ``certificate``
    (public) under the same CKA_ID and label, as a card's issuer does."""
    traditional = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    decode = decode_ec_private_key if isinstance(key, ec.EllipticCurvePrivateKey) else None
    private = dict((decode or decode_rsa_private_key)(traditional))
    private.update({
        Attribute.TOKEN: True, Attribute.PRIVATE: True, Attribute.SENSITIVE: True,
        Attribute.SIGN: True, Attribute.ID: key_id, Attribute.LABEL: label,
    })  # fmt: skip
    public = dict(decode_x509_certificate(certificate.public_bytes(serialization.Encoding.DER)))
    public.update({
        Attribute.TOKEN: True, Attribute.PRIVATE: False,
        Attribute.ID: key_id, Attribute.LABEL: label,
    })  # fmt: skip
    link = module.link
    with link.lock:
        session = link.open_session(link.reread(token).slot_id, read_write=True)
        try:
            session.login(pin.encode())
            session.create_object(private)
            session.create_object(public)
        finally:
            session.close()
