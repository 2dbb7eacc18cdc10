"""Reading a token's public certificates without logging in.

``pkcs11info?withcert=true`` lists the certificates before any PIN is given,
as HiPKI does; the token layer reads objects only inside a logged-in
``TokenSession``, so this one reader opens a public session through the token
layer's module handle. The session is closed without C_Logout: logging out
would end a login the service holds on the same token.
"""

from __future__ import annotations

from cryptography import x509

from xcapki.token.modules import Pkcs11Module
from xcapki.token.objects import KeyPurpose, classify_certificate
from xcapki.token.tokens import TokenInfo

__all__ = ["PublicCertificate", "public_certificates"]

PublicCertificate = tuple[str, KeyPurpose, x509.Certificate]
"""(label, purpose, certificate)"""


def public_certificates(module: Pkcs11Module, token: TokenInfo) -> tuple[PublicCertificate, ...]:
    """The readable certificates on ``token`` with their labels and purposes."""
    handle = module._handle
    with handle.lock:
        raw = handle.open_session(token.slot_id)
        try:
            objects = raw.objects()
        finally:
            raw.close(logout=False)
    found: list[PublicCertificate] = []
    for obj in objects:
        if obj.object_class != "certificate":
            continue
        try:
            certificate = x509.load_der_x509_certificate(obj.value)
        except ValueError:
            continue
        found.append((obj.label, classify_certificate(certificate, obj.key_id), certificate))
    return tuple(found)
