"""The root of every error xcapki raises.

Callers catch one type per layer; no dependency's exception type ever escapes
xcapki. Each layer keeps its own subtree in its ``errors`` module::

    XcapkiError
    ├── ReaderError        xcapki.reader.errors  (PC/SC; keeps ``.sw`` / PC/SC code)
    ├── TokenError         xcapki.token.errors   (PKCS#11; keeps ``.ckr``)
    │   └── PinError
    ├── CryptoError        xcapki.crypto.errors
    │   └── PathValidationError
    ├── LoginError         xcapki.login.errors
    ├── NativeHostError    xcapki.nativehost.errors (the browser extension's host)
    ├── PdfError           xcapki.pdf.errors     (PAdES signing and verification)
    └── TestingError       xcapki.testing        (test PKI and virtual cards)

Messages name the problem and the remedy, and never contain a PIN.
"""

from __future__ import annotations

__all__ = ["XcapkiError"]


class XcapkiError(Exception):
    """Base of every xcapki error; its message names the problem and the remedy."""
