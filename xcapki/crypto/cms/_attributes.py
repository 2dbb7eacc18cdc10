"""Signed attributes: which ones a signature carries, and what a verified one held.

``SignedAttributes`` says which attributes ``sign_cms`` writes; the presets
name the shapes of real Taiwan components (taiwan-pki.md, "Signatures that
real components produce"). ``CmsAttributes`` is what ``verify_cms`` read,
with typed accessors and every attribute kept raw.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

__all__ = [
    "FULL_ATTRIBUTES",
    "HIPKI_ATTRIBUTES",
    "NO_ATTRIBUTES",
    "CmsAttributes",
    "NoAttributes",
    "RawAttribute",
    "SignedAttributes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class SignedAttributes:
    """The optional signed attributes to write besides contentType and messageDigest.

    ``signing_certificate`` is ESS signingCertificateV2 (RFC 5035): it binds
    the signer certificate so it cannot be swapped for another with the same
    key. ``algorithm_protection`` is CMSAlgorithmProtection (RFC 6211): it
    binds the algorithms against downgrade.
    """

    signing_time: bool = True
    signing_certificate: bool = True
    algorithm_protection: bool = True


class NoAttributes(enum.Enum):
    """Sentinel type: sign the content directly, with no signed attributes."""

    NO_ATTRIBUTES = "no-attributes"


NO_ATTRIBUTES: Final = NoAttributes.NO_ATTRIBUTES
"""The SmartPKI shape: the signature covers the content itself."""

FULL_ATTRIBUTES: Final = SignedAttributes()
"""Every protective attribute: the default."""

HIPKI_ATTRIBUTES: Final = SignedAttributes(signing_certificate=False, algorithm_protection=False)
"""The HiPKI local server's PKCS7 shape: contentType, messageDigest, signingTime
(plus the nonce and card serial given to ``sign_cms``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawAttribute:
    """One signed attribute as received: its type and the DER of each value."""

    oid: str
    values: tuple[bytes, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CmsAttributes:
    """The signed attributes of a verified SignerInfo.

    ``nonce`` is the HiPKI nonce (1.2.840.113549.1.9.25.3): the octets of an
    OCTET STRING value, or the UTF-8 bytes of a string value. ``card_serial``
    is the HiPKI card serial (2.16.886.1.100.2.204). ``raw`` keeps every
    attribute, known or not, in the order received.
    """

    content_type: str
    message_digest: bytes
    signing_time: datetime | None
    nonce: bytes | None
    card_serial: str | None
    has_signing_certificate: bool
    has_algorithm_protection: bool
    raw: tuple[RawAttribute, ...]

    def get(self, oid: str) -> RawAttribute | None:
        """The attribute of type ``oid``, or None when absent."""
        for attribute in self.raw:
            if attribute.oid == oid:
                return attribute
        return None
