"""Certificates on a token, paired with their private keys and classified by purpose.

A GPKI card holds a signing pair (CKA_ID ``SIGN``, key usage
digitalSignature) and an encryption pair (``KEYX``, keyEncipherment), and may
hold CA certificates. Login and signing must use the signing pair, never KEYX.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cryptography import x509

from xcapki.token.errors import AmbiguousObjectError, ObjectNotFoundError

if TYPE_CHECKING:
    from xcapki.token._pkcs11 import RawObject

__all__ = [
    "KeyKind",
    "KeyPurpose",
    "TokenCertificate",
    "choose_certificate",
    "classify_certificate",
    "pair_certificates",
]

log = logging.getLogger("xcapki.token")

SIGN_ID = b"SIGN"
KEYX_ID = b"KEYX"


class KeyPurpose(enum.Enum):
    """What a certificate's key is for."""

    SIGNING = "signing"
    ENCRYPTION = "encryption"
    AUTHORITY = "authority"
    OTHER = "other"


class KeyKind(enum.Enum):
    """The private key's algorithm family."""

    RSA = "rsa"
    EC = "ec"
    OTHER = "other"


@dataclass(frozen=True, slots=True, kw_only=True)
class TokenCertificate:
    """A certificate on the token; ``has_private_key`` when a key pair shares its CKA_ID.

    After login the private key itself is seen. A listing read without login
    (``Pkcs11Module.public_certificates``) cannot see private keys, so there the
    public key object with the same CKA_ID stands for the pair, as GPKI cards
    store both halves; ``key_kind`` is that key's algorithm either way.
    """

    label: str
    key_id: bytes
    certificate: x509.Certificate
    purpose: KeyPurpose
    key_kind: KeyKind
    has_private_key: bool

    def describe(self) -> str:
        """Label, id and purpose, for messages."""
        return f"{self.label!r} (id {self.key_id.hex()}, {self.purpose.value})"


def classify_certificate(certificate: x509.Certificate, key_id: bytes) -> KeyPurpose:
    """Classify by key usage; the card's CKA_ID convention decides only when usage is absent."""
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        if constraints.value.ca:
            return KeyPurpose.AUTHORITY
    except x509.ExtensionNotFound:
        pass
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return {SIGN_ID: KeyPurpose.SIGNING, KEYX_ID: KeyPurpose.ENCRYPTION}.get(
            key_id, KeyPurpose.OTHER
        )
    if usage.digital_signature or usage.content_commitment:
        return KeyPurpose.SIGNING
    if usage.key_encipherment or usage.data_encipherment or usage.key_agreement:
        return KeyPurpose.ENCRYPTION
    return KeyPurpose.OTHER


def pair_certificates(
    certificates: Iterable[RawObject], keys: Iterable[RawObject], *, token_serial: str
) -> tuple[TokenCertificate, ...]:
    """Certificates paired by CKA_ID with the first of ``keys`` that shares it, and classified.

    Unreadable certificates are skipped with a warning rather than failing the listing.
    """
    by_id: dict[bytes, RawObject] = {}
    for key in keys:
        by_id.setdefault(key.key_id, key)
    result = []
    for obj in certificates:
        try:
            certificate = x509.load_der_x509_certificate(obj.value)
        except ValueError:
            log.warning("skipping unreadable certificate %r on %s", obj.label, token_serial)
            continue
        pair = by_id.get(obj.key_id)
        result.append(
            TokenCertificate(
                label=obj.label,
                key_id=obj.key_id,
                certificate=certificate,
                purpose=classify_certificate(certificate, obj.key_id),
                key_kind=KeyKind(pair.key_type) if pair is not None else KeyKind.OTHER,
                has_private_key=pair is not None,
            )
        )
    return tuple(result)


def choose_certificate(
    certificates: Sequence[TokenCertificate],
    *,
    purpose: KeyPurpose | None = KeyPurpose.SIGNING,
    label: str | None = None,
    key_id: bytes | None = None,
) -> TokenCertificate:
    """The one certificate with a private key that matches every given criterion."""
    matching = [
        c
        for c in certificates
        if c.has_private_key
        and (purpose is None or c.purpose is purpose)
        and (label is None or c.label == label)
        and (key_id is None or c.key_id == key_id)
    ]
    wanted = ", ".join(
        text
        for text, given in (
            (f"purpose {purpose.value}" if purpose else "", purpose),
            (f"label {label!r}", label),
            (f"id {key_id.hex() if key_id else ''}", key_id),
        )
        if given is not None
    )
    if len(matching) == 1:
        return matching[0]
    present = "; ".join(c.describe() for c in certificates) or "none"
    if not matching:
        raise ObjectNotFoundError(
            f"no certificate with a private key matches {wanted or 'anything'} (on the token:"
            f" {present}): check the card or choose by label or id"
        )
    raise AmbiguousObjectError(
        f"{len(matching)} certificates match {wanted or 'anything'}: "
        f"{'; '.join(c.describe() for c in matching)}. Choose one by label or id"
    )
