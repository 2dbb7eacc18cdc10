"""How a ``ChainValidator`` validates: its options, each default defined once.

``ChainValidator``, ``LoginVerifier``, ``WebEidValidator`` and ``PortalLogin``
take the same keyword arguments for these; each defaults to None, meaning
the value here, and one ``ValidatorOptions`` goes on to the validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from xcapki.crypto.defaults import (
    DEFAULT_CACHE_CAPACITY,
    DEFAULT_CLOCK_SKEW,
    DEFAULT_FETCH_TIMEOUT,
    DEFAULT_MAX_CRL_BYTES,
)
from xcapki.crypto.validation._status import RevocationMode

__all__ = ["DEFAULT_VALIDATOR_OPTIONS", "ValidatorOptions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidatorOptions:
    """Revocation mode, per-request fetch timeout, clock skew, cache bound, fast path and
    the largest CRL downloaded.

    ``clock_skew`` is tolerated on certificate validity and on revocation
    answers' thisUpdate/nextUpdate; ``cache_capacity`` bounds each of the
    validator's caches; ``fast_path=False`` sends every validation through
    certvalidator.
    """

    revocation_mode: RevocationMode = RevocationMode.HARD_FAIL
    fetch_timeout: timedelta = DEFAULT_FETCH_TIMEOUT
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW
    cache_capacity: int = DEFAULT_CACHE_CAPACITY
    fast_path: bool = True
    max_crl_bytes: int = DEFAULT_MAX_CRL_BYTES


DEFAULT_VALIDATOR_OPTIONS: Final = ValidatorOptions()
