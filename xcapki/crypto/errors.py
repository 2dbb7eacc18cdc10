"""Errors of the crypto layer: CMS structure, signatures, envelopes, certificates, paths.

``CryptoError`` is the layer's root. CMS parsing and signature checks raise
``CmsError`` subclasses (xcapki.crypto.cms); CMS envelopes raise
``EnvelopeError`` subclasses (``DecryptionError``, ``EnvelopeUsageError``);
path building and revocation raise ``PathValidationError`` subclasses
(xcapki.crypto.validation).
"""

from __future__ import annotations

from xcapki.errors import XcapkiError


class CryptoError(XcapkiError):
    """A signature, certificate or trust problem."""


class CmsError(CryptoError):
    """A CMS SignedData that is malformed, tampered with or not allowed."""


class CertificateError(CryptoError):
    """A certificate that cannot be read or does not fit the expected profile."""


class TrustStoreError(CryptoError):
    """A trust anchor that is missing, altered or unreadable."""


class PathValidationError(CryptoError):
    """A certificate that does not chain to a trusted root, or whose status is bad."""


class RevocationError(PathValidationError):
    """A certificate that is revoked, or whose status could not be established."""


class EnvelopeError(CryptoError):
    """A CMS EnvelopedData that cannot be made, or cannot be opened."""
