"""xcapki: an open smart-card PKI SDK for Taiwan's GPKI certificates.

Heavy bindings (pyscard, python-pkcs11) load lazily inside their layers, so
``import xcapki`` works on a portal backend without either of them.
"""

from __future__ import annotations

from xcapki.errors import XcapkiError

__version__ = "0.1.0"

__all__ = ["XcapkiError", "__version__"]
