"""xcapki: an open smart-card PKI SDK for Taiwan's GPKI certificates.

The names imported below under ``TYPE_CHECKING`` are the curated public API,
listed once: type checkers read them as imports, and at run time ``__all__``
and the loader are read from that same block, so each name loads from its
layer on first use. ``import xcapki`` stays fast and works on a portal
backend without pyscard or python-pkcs11. Each layer's package
(``xcapki.reader``, ``xcapki.token``, ``xcapki.crypto``, ``xcapki.login``)
holds the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xcapki.algorithms import HashAlgorithm as HashAlgorithm
    from xcapki.algorithms import SignatureScheme as SignatureScheme
    from xcapki.crypto.authority import Authority as Authority
    from xcapki.crypto.cms import AlgorithmPolicy as AlgorithmPolicy
    from xcapki.crypto.cms import CmsError as CmsError
    from xcapki.crypto.cms import CmsSignature as CmsSignature
    from xcapki.crypto.cms import ParsedCms as ParsedCms
    from xcapki.crypto.cms import VerifiedSignedData as VerifiedSignedData
    from xcapki.crypto.cms import encrypt_envelope as encrypt_envelope
    from xcapki.crypto.cms import open_envelope as open_envelope
    from xcapki.crypto.cms import parse_cms as parse_cms
    from xcapki.crypto.cms import sign_cms as sign_cms
    from xcapki.crypto.cms import sign_hipki as sign_hipki
    from xcapki.crypto.cms import sign_smartpki as sign_smartpki
    from xcapki.crypto.cms import verify_cms as verify_cms
    from xcapki.crypto.cms import verify_signed_data as verify_signed_data
    from xcapki.crypto.errors import CryptoError as CryptoError
    from xcapki.crypto.errors import PathValidationError as PathValidationError
    from xcapki.crypto.key_decrypter import KeyDecrypter as KeyDecrypter
    from xcapki.crypto.key_signer import KeySigner as KeySigner
    from xcapki.crypto.profile import CertificatePurpose as CertificatePurpose
    from xcapki.crypto.profile import TaiwanCertificate as TaiwanCertificate
    from xcapki.crypto.trust import TrustStore as TrustStore
    from xcapki.crypto.validation import ChainValidator as ChainValidator
    from xcapki.crypto.validation import RevocationMode as RevocationMode
    from xcapki.crypto.validation import ValidatedPath as ValidatedPath
    from xcapki.decrypter import Decrypter as Decrypter
    from xcapki.errors import XcapkiError as XcapkiError
    from xcapki.login import CPA_FILING_POLICY as CPA_FILING_POLICY
    from xcapki.login import Challenge as Challenge
    from xcapki.login import ChallengeIssuer as ChallengeIssuer
    from xcapki.login import LoginError as LoginError
    from xcapki.login import LoginIdentity as LoginIdentity
    from xcapki.login import LoginPolicy as LoginPolicy
    from xcapki.login import LoginResponse as LoginResponse
    from xcapki.login import LoginVerifier as LoginVerifier
    from xcapki.login import MemoryChallengeStore as MemoryChallengeStore
    from xcapki.login import PortalLogin as PortalLogin
    from xcapki.login import ResponseFormat as ResponseFormat
    from xcapki.login import VerifiedLogin as VerifiedLogin
    from xcapki.login import respond as respond
    from xcapki.reader import Atr as Atr
    from xcapki.reader import CardConnection as CardConnection
    from xcapki.reader import CardMonitor as CardMonitor
    from xcapki.reader import CommandApdu as CommandApdu
    from xcapki.reader import ReaderError as ReaderError
    from xcapki.reader import ResponseApdu as ResponseApdu
    from xcapki.reader import card_status as card_status
    from xcapki.reader import identify_card as identify_card
    from xcapki.reader import list_readers as list_readers
    from xcapki.reader import match_slots_to_readers as match_slots_to_readers
    from xcapki.reader import wait_for_card as wait_for_card
    from xcapki.reader import wait_for_removal as wait_for_removal
    from xcapki.service import PinMode as PinMode
    from xcapki.service import ServiceConfig as ServiceConfig
    from xcapki.service import create_app as create_app
    from xcapki.service import run_service as run_service
    from xcapki.signer import Signer as Signer
    from xcapki.token import PROTECTED_AUTH as PROTECTED_AUTH
    from xcapki.token import KeyPurpose as KeyPurpose
    from xcapki.token import Pin as Pin
    from xcapki.token import PinError as PinError
    from xcapki.token import PinFromEnvironment as PinFromEnvironment
    from xcapki.token import PinPrompt as PinPrompt
    from xcapki.token import PinState as PinState
    from xcapki.token import TokenDecrypter as TokenDecrypter
    from xcapki.token import TokenError as TokenError
    from xcapki.token import TokenInfo as TokenInfo
    from xcapki.token import TokenSelector as TokenSelector
    from xcapki.token import TokenSession as TokenSession
    from xcapki.token import TokenSigner as TokenSigner
    from xcapki.token import discover_modules as discover_modules
    from xcapki.token import find_module as find_module
    from xcapki.token import load_module as load_module
    from xcapki.token import login as login

__version__ = "0.1.0"

_ALWAYS = ("__version__",)


def _public_names() -> dict[str, str]:
    """Each public name and the module it loads from, read from the ``TYPE_CHECKING`` block."""
    import ast
    import pathlib

    tree = ast.parse(pathlib.Path(__file__).read_text(encoding="utf-8"))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    return {
        alias.asname or alias.name: str(node.module)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }


_PUBLIC = _public_names()

__all__ = sorted([*_PUBLIC, *_ALWAYS], key=lambda name: (not name.isupper(), name))


if not TYPE_CHECKING:  # type checkers see the imports above, and no name they lack

    def __getattr__(name: str) -> object:
        """Load a public name from its layer on first use."""
        module = _PUBLIC.get(name)
        if module is None:
            raise AttributeError(f"module 'xcapki' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals()) | set(_PUBLIC))
