"""CMS SignedData: signing through a ``Signer``, strict verification; CMS envelopes.

``sign_cms`` / ``sign_hipki`` / ``sign_smartpki`` produce DER; ``parse_cms``
does the strict parse once (a ``ParsedCms``); ``verify_cms`` takes the DER
or the ``ParsedCms`` and returns a frozen ``CmsSignature`` or raises a
``CmsError`` subclass naming the failed check; ``verify_signed_data`` adds
path validation and revocation through a ``ChainValidator`` and keeps
intact, trusted and revocation apart. ``encrypt_envelope`` and
``open_envelope`` make and open EnvelopedData / AuthEnvelopedData through a
``Decrypter``; ``encrypt_envelope_stream`` and ``open_envelope_stream`` do the
same for files too large to hold, in constant memory.
"""

from __future__ import annotations

from xcapki.crypto.cms._attributes import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    NO_ATTRIBUTES,
    CmsAttributes,
    NoAttributes,
    RawAttribute,
    SignedAttributes,
)
from xcapki.crypto.cms._envelope import (
    ContentEncryption,
    DecryptionError,
    EnvelopeUsageError,
    OpenedEnvelope,
    encrypt_envelope,
    open_envelope,
)
from xcapki.crypto.cms._envelope_stream import (
    OpenedEnvelopeStream,
    StreamedEnvelope,
    encrypt_envelope_stream,
    open_envelope_stream,
)
from xcapki.crypto.cms._parse import DEFAULT_MAX_SIZE, ParsedCms, parse_cms
from xcapki.crypto.cms._policy import DEFAULT_POLICY, LEGACY_SHA1_POLICY, AlgorithmPolicy, EcCurve
from xcapki.crypto.cms._sign import SignerIdentifierType, sign_cms, sign_hipki, sign_smartpki
from xcapki.crypto.cms._signed_data import VerifiedSignedData, verify_signed_data
from xcapki.crypto.cms._stream import (
    DEFAULT_CHUNK_SIZE,
    MAX_SKELETON_SIZE,
    StreamedSignature,
    StreamedVerification,
    sign_stream,
    verify_stream,
)
from xcapki.crypto.cms._verify import (
    DEFAULT_CLOCK_SKEW,
    DEFAULT_VERIFY_OPTIONS,
    CmsSignature,
    CmsVerifyOptions,
    inspect_cms,
    verify_cms,
)
from xcapki.crypto.cms.errors import (
    AlgorithmNotAllowedError,
    AlgorithmProtectionMismatchError,
    CmsContentTypeError,
    CmsError,
    CmsMalformedError,
    CmsSignerCountError,
    CmsTooLargeError,
    CmsUsageError,
    ContentMismatchError,
    ContentTypeAttributeError,
    DetachedContentMissingError,
    MessageDigestMismatchError,
    NonceAttributeMismatchError,
    NotCmsError,
    PssParametersError,
    SignatureInvalidError,
    SignedAttributeError,
    SignerCertificateMissingError,
    SigningCertificateMismatchError,
    SigningTimeSkewError,
    UnexpectedSignerError,
    WeakKeyError,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CLOCK_SKEW",
    "DEFAULT_MAX_SIZE",
    "DEFAULT_POLICY",
    "DEFAULT_VERIFY_OPTIONS",
    "FULL_ATTRIBUTES",
    "HIPKI_ATTRIBUTES",
    "LEGACY_SHA1_POLICY",
    "MAX_SKELETON_SIZE",
    "NO_ATTRIBUTES",
    "AlgorithmNotAllowedError",
    "AlgorithmPolicy",
    "AlgorithmProtectionMismatchError",
    "CmsAttributes",
    "CmsContentTypeError",
    "CmsError",
    "CmsMalformedError",
    "CmsSignature",
    "CmsSignerCountError",
    "CmsTooLargeError",
    "CmsUsageError",
    "CmsVerifyOptions",
    "ContentEncryption",
    "ContentMismatchError",
    "ContentTypeAttributeError",
    "DecryptionError",
    "DetachedContentMissingError",
    "EcCurve",
    "EnvelopeUsageError",
    "MessageDigestMismatchError",
    "NoAttributes",
    "NonceAttributeMismatchError",
    "NotCmsError",
    "OpenedEnvelope",
    "OpenedEnvelopeStream",
    "ParsedCms",
    "PssParametersError",
    "RawAttribute",
    "SignatureInvalidError",
    "SignedAttributeError",
    "SignedAttributes",
    "SignerCertificateMissingError",
    "SignerIdentifierType",
    "SigningCertificateMismatchError",
    "SigningTimeSkewError",
    "StreamedEnvelope",
    "StreamedSignature",
    "StreamedVerification",
    "UnexpectedSignerError",
    "VerifiedSignedData",
    "WeakKeyError",
    "encrypt_envelope",
    "encrypt_envelope_stream",
    "inspect_cms",
    "open_envelope",
    "open_envelope_stream",
    "parse_cms",
    "sign_cms",
    "sign_hipki",
    "sign_smartpki",
    "sign_stream",
    "verify_cms",
    "verify_signed_data",
    "verify_stream",
]
