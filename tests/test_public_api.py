"""The curated public API: its names, its import cost, and a backend without card libraries."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import xcapki

# The contract, written out on purpose: xcapki/__init__.py lists each public name
# once, and a name added or dropped there must also be changed here, in review.
PINNED_ALL = [
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


def test_all_is_pinned() -> None:
    assert xcapki.__all__ == PINNED_ALL


def test_every_public_name_resolves() -> None:
    for name in xcapki.__all__:
        assert getattr(xcapki, name) is not None, name


def test_error_classes_share_the_root() -> None:
    for name in ("ReaderError", "TokenError", "PinError", "CryptoError", "CmsError", "LoginError"):
        assert issubclass(getattr(xcapki, name), xcapki.XcapkiError), name


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_import_loads_no_heavy_binding() -> None:
    """The import time itself is measured by bench/import_time.py."""
    output = _run(
        """
        import sys
        import xcapki
        heavy = [m for m in ("smartcard", "pkcs11", "pyhanko_certvalidator", "aiohttp")
                 if m in sys.modules]
        print(heavy)
        """
    )
    assert output.strip() == "[]"


def test_import_loads_no_layer_until_a_name_is_used() -> None:
    output = _run(
        """
        import sys
        import xcapki
        layers = ("xcapki.reader", "xcapki.token", "xcapki.crypto", "xcapki.login",
                  "xcapki.service")
        before = [m for m in layers if m in sys.modules]
        names = set(dir(xcapki))
        xcapki.LoginVerifier
        after = [m for m in layers if m in sys.modules]
        print(before, set(xcapki.__all__) <= names, "xcapki.login" in after)
        """
    )
    assert output.split() == ["[]", "True", "True"]


def test_server_side_works_without_pyscard_and_python_pkcs11() -> None:
    output = _run(
        """
        import datetime as dt, importlib.abc, sys

        class NoCardLibraries(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("smartcard", "pkcs11"):
                    raise ModuleNotFoundError(f"No module named {name!r}")
                return None

        sys.meta_path.insert(0, NoCardLibraries())
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        import xcapki

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "backend")])
        now = dt.datetime.now(dt.UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        signer = xcapki.KeySigner(private_key=key, certificate=certificate)
        signature = xcapki.sign_cms(b"challenge", signer)
        verified = xcapki.verify_cms(signature)
        profile = xcapki.TaiwanCertificate.from_certificate(certificate)
        store = xcapki.TrustStore.bundled()
        xcapki.ChainValidator(store)
        print(verified.content == b"challenge", profile.authority.name,
              "smartcard" in sys.modules, "pkcs11" in sys.modules)
        """
    )
    assert output.split() == ["True", "OTHER", "False", "False"]
