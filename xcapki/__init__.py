"""xcapki: an open smart-card PKI SDK for Taiwan's GPKI certificates.

The names below are the curated public API; each layer's package
(``xcapki.reader``, ``xcapki.token``, ``xcapki.crypto``, ``xcapki.login``)
holds the rest. They load on first use, so ``import xcapki`` stays fast and
works on a portal backend without pyscard or python-pkcs11.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from xcapki.errors import XcapkiError

if TYPE_CHECKING:
    from xcapki.algorithms import HashAlgorithm, SignatureScheme
    from xcapki.crypto.authority import Authority
    from xcapki.crypto.cms import (
        AlgorithmPolicy,
        CmsError,
        CmsSignature,
        ParsedCms,
        VerifiedSignedData,
        encrypt_envelope,
        open_envelope,
        parse_cms,
        sign_cms,
        sign_hipki,
        sign_smartpki,
        verify_cms,
        verify_signed_data,
    )
    from xcapki.crypto.errors import CryptoError, PathValidationError
    from xcapki.crypto.key_decrypter import KeyDecrypter
    from xcapki.crypto.key_signer import KeySigner
    from xcapki.crypto.profile import CertificatePurpose, TaiwanCertificate
    from xcapki.crypto.trust import TrustStore
    from xcapki.crypto.validation import ChainValidator, RevocationMode, ValidatedPath
    from xcapki.decrypter import Decrypter
    from xcapki.login import (
        CPA_FILING_POLICY,
        Challenge,
        ChallengeIssuer,
        LoginError,
        LoginIdentity,
        LoginPolicy,
        LoginResponse,
        LoginVerifier,
        MemoryChallengeStore,
        PortalLogin,
        ResponseFormat,
        VerifiedLogin,
        respond,
    )
    from xcapki.reader import (
        Atr,
        CardConnection,
        CardMonitor,
        CommandApdu,
        ReaderError,
        ResponseApdu,
        card_status,
        identify_card,
        list_readers,
        match_slots_to_readers,
        wait_for_card,
        wait_for_removal,
    )
    from xcapki.service import (
        PinMode,
        ServiceConfig,
        create_app,
        run_service,
    )
    from xcapki.signer import Signer
    from xcapki.token import (
        PROTECTED_AUTH,
        KeyPurpose,
        Pin,
        PinError,
        PinFromEnvironment,
        PinPrompt,
        PinState,
        TokenDecrypter,
        TokenError,
        TokenInfo,
        TokenSelector,
        TokenSession,
        TokenSigner,
        discover_modules,
        find_module,
        load_module,
        login,
    )

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "HashAlgorithm": "xcapki.algorithms",
    "SignatureScheme": "xcapki.algorithms",
    "Authority": "xcapki.crypto.authority",
    "AlgorithmPolicy": "xcapki.crypto.cms",
    "CmsError": "xcapki.crypto.cms",
    "CmsSignature": "xcapki.crypto.cms",
    "ParsedCms": "xcapki.crypto.cms",
    "parse_cms": "xcapki.crypto.cms",
    "VerifiedSignedData": "xcapki.crypto.cms",
    "sign_cms": "xcapki.crypto.cms",
    "sign_hipki": "xcapki.crypto.cms",
    "sign_smartpki": "xcapki.crypto.cms",
    "verify_cms": "xcapki.crypto.cms",
    "verify_signed_data": "xcapki.crypto.cms",
    "encrypt_envelope": "xcapki.crypto.cms",
    "open_envelope": "xcapki.crypto.cms",
    "CryptoError": "xcapki.crypto.errors",
    "PathValidationError": "xcapki.crypto.errors",
    "KeySigner": "xcapki.crypto.key_signer",
    "KeyDecrypter": "xcapki.crypto.key_decrypter",
    "CertificatePurpose": "xcapki.crypto.profile",
    "TaiwanCertificate": "xcapki.crypto.profile",
    "Signer": "xcapki.signer",
    "Decrypter": "xcapki.decrypter",
    "TrustStore": "xcapki.crypto.trust",
    "ChainValidator": "xcapki.crypto.validation",
    "RevocationMode": "xcapki.crypto.validation",
    "ValidatedPath": "xcapki.crypto.validation",
    "CPA_FILING_POLICY": "xcapki.login",
    "Challenge": "xcapki.login",
    "ChallengeIssuer": "xcapki.login",
    "LoginError": "xcapki.login",
    "LoginIdentity": "xcapki.login",
    "LoginPolicy": "xcapki.login",
    "LoginResponse": "xcapki.login",
    "LoginVerifier": "xcapki.login",
    "MemoryChallengeStore": "xcapki.login",
    "PortalLogin": "xcapki.login",
    "ResponseFormat": "xcapki.login",
    "VerifiedLogin": "xcapki.login",
    "respond": "xcapki.login",
    "PinMode": "xcapki.service",
    "ServiceConfig": "xcapki.service",
    "create_app": "xcapki.service",
    "run_service": "xcapki.service",
    "Atr": "xcapki.reader",
    "CardConnection": "xcapki.reader",
    "CardMonitor": "xcapki.reader",
    "CommandApdu": "xcapki.reader",
    "ReaderError": "xcapki.reader",
    "ResponseApdu": "xcapki.reader",
    "card_status": "xcapki.reader",
    "identify_card": "xcapki.reader",
    "list_readers": "xcapki.reader",
    "match_slots_to_readers": "xcapki.reader",
    "wait_for_card": "xcapki.reader",
    "wait_for_removal": "xcapki.reader",
    "PROTECTED_AUTH": "xcapki.token",
    "KeyPurpose": "xcapki.token",
    "Pin": "xcapki.token",
    "PinError": "xcapki.token",
    "PinFromEnvironment": "xcapki.token",
    "PinPrompt": "xcapki.token",
    "PinState": "xcapki.token",
    "TokenError": "xcapki.token",
    "TokenInfo": "xcapki.token",
    "TokenSelector": "xcapki.token",
    "TokenSession": "xcapki.token",
    "TokenSigner": "xcapki.token",
    "TokenDecrypter": "xcapki.token",
    "discover_modules": "xcapki.token",
    "find_module": "xcapki.token",
    "load_module": "xcapki.token",
    "login": "xcapki.token",
}

__all__ = [
    "CPA_FILING_POLICY",
    "PROTECTED_AUTH",
    "AlgorithmPolicy",
    "Atr",
    "Authority",
    "CardConnection",
    "CardMonitor",
    "CertificatePurpose",
    "ChainValidator",
    "Challenge",
    "ChallengeIssuer",
    "CmsError",
    "CmsSignature",
    "CommandApdu",
    "CryptoError",
    "Decrypter",
    "HashAlgorithm",
    "KeyDecrypter",
    "KeyPurpose",
    "KeySigner",
    "LoginError",
    "LoginIdentity",
    "LoginPolicy",
    "LoginResponse",
    "LoginVerifier",
    "MemoryChallengeStore",
    "ParsedCms",
    "PathValidationError",
    "Pin",
    "PinError",
    "PinFromEnvironment",
    "PinMode",
    "PinPrompt",
    "PinState",
    "PortalLogin",
    "ReaderError",
    "ResponseApdu",
    "ResponseFormat",
    "RevocationMode",
    "ServiceConfig",
    "SignatureScheme",
    "Signer",
    "TaiwanCertificate",
    "TokenDecrypter",
    "TokenError",
    "TokenInfo",
    "TokenSelector",
    "TokenSession",
    "TokenSigner",
    "TrustStore",
    "ValidatedPath",
    "VerifiedLogin",
    "VerifiedSignedData",
    "XcapkiError",
    "__version__",
    "card_status",
    "create_app",
    "discover_modules",
    "encrypt_envelope",
    "find_module",
    "identify_card",
    "list_readers",
    "load_module",
    "login",
    "match_slots_to_readers",
    "open_envelope",
    "parse_cms",
    "respond",
    "run_service",
    "sign_cms",
    "sign_hipki",
    "sign_smartpki",
    "verify_cms",
    "verify_signed_data",
    "wait_for_card",
    "wait_for_removal",
]


def __getattr__(name: str) -> object:
    """Load a public name from its layer on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'xcapki' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
