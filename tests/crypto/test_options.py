"""Frozen options carry the verification defaults; keyword arguments given win over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cms_pki import CmsTestPki

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import (
    DEFAULT_VERIFY_OPTIONS,
    LEGACY_SHA1_POLICY,
    AlgorithmNotAllowedError,
    CmsTooLargeError,
    CmsUsageError,
    CmsVerifyOptions,
    SigningTimeSkewError,
    inspect_cms,
    sign_cms,
    verify_cms,
)
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    DEFAULT_VALIDATOR_OPTIONS,
    ChainValidator,
    RevocationMode,
    ValidatorOptions,
    ValidatorUsageError,
)

CONTENT = b"options test content"
SIGNED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_default_options_are_the_documented_defaults() -> None:
    assert DEFAULT_VERIFY_OPTIONS.max_size == 1024 * 1024
    assert DEFAULT_VERIFY_OPTIONS.max_clock_skew == timedelta(minutes=5)
    assert DEFAULT_VALIDATOR_OPTIONS.revocation_mode is RevocationMode.HARD_FAIL
    assert DEFAULT_VALIDATOR_OPTIONS.fetch_timeout == timedelta(seconds=5)
    assert DEFAULT_VALIDATOR_OPTIONS.clock_skew == timedelta(minutes=5)
    assert DEFAULT_VALIDATOR_OPTIONS.cache_capacity == 10_000
    assert DEFAULT_VALIDATOR_OPTIONS.fast_path is True


def test_cms_options_apply_and_keywords_override_them(cms_pki: CmsTestPki) -> None:
    der = sign_cms(
        CONTENT,
        cms_pki.signer("rsa2048"),
        hash_algorithm=HashAlgorithm.SHA1,
        signing_time=SIGNED_AT,
    )
    legacy = CmsVerifyOptions(policy=LEGACY_SHA1_POLICY, max_clock_skew=timedelta(minutes=1))
    assert verify_cms(der, options=legacy).digest_algorithm is HashAlgorithm.SHA1
    with pytest.raises(AlgorithmNotAllowedError):
        verify_cms(der)
    later = SIGNED_AT + timedelta(minutes=3)
    with pytest.raises(SigningTimeSkewError):
        verify_cms(der, now=later, options=legacy)
    assert verify_cms(der, now=later, options=legacy, max_clock_skew=timedelta(minutes=4)).intact
    with pytest.raises(CmsTooLargeError):
        inspect_cms(der, options=CmsVerifyOptions(max_size=len(der) - 1))
    with pytest.raises(CmsUsageError, match="CmsVerifyOptions"):
        verify_cms(der, options=object())  # type: ignore[arg-type]


def test_validator_options_apply_and_keywords_override_them(cms_pki: CmsTestPki) -> None:
    trust = TrustStore.empty().with_roots(cms_pki.root)
    chosen = ValidatorOptions(revocation_mode=RevocationMode.OFF, cache_capacity=3)
    validator = ChainValidator(trust, options=chosen, clock_skew=timedelta(seconds=10))
    assert validator.options == ValidatorOptions(
        revocation_mode=RevocationMode.OFF, cache_capacity=3, clock_skew=timedelta(seconds=10)
    )
    assert validator.revocation_mode is RevocationMode.OFF
    assert validator.clock_skew == timedelta(seconds=10)
    assert validator.statistics().paths.capacity == 3
    assert ChainValidator(trust).options == DEFAULT_VALIDATOR_OPTIONS
    with pytest.raises(ValidatorUsageError, match="cache_capacity"):
        ChainValidator(trust, options=ValidatorOptions(cache_capacity=0))
    with pytest.raises(ValidatorUsageError, match="ValidatorOptions"):
        ChainValidator(trust, options=chosen.revocation_mode)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "field",
    ["fetch_timeout", "clock_skew", "cache_capacity", "fast_path", "max_crl_bytes"],
)
def test_validator_options_holding_none_are_refused_not_read_as_another_value(
    cms_pki: CmsTestPki, field: str
) -> None:
    """None is "the default" only as a keyword argument; inside ``ValidatorOptions`` it
    names no value, so it is refused by name instead of turning the fast path off or
    failing in a comparison."""
    trust = TrustStore.empty().with_roots(cms_pki.root)
    with pytest.raises(ValidatorUsageError, match=field):
        ChainValidator(trust, options=ValidatorOptions(**{field: None}))


def test_validator_options_keep_their_falsy_values(cms_pki: CmsTestPki) -> None:
    trust = TrustStore.empty().with_roots(cms_pki.root)
    chosen = ValidatorOptions(fast_path=False, clock_skew=timedelta(0))
    validator = ChainValidator(trust, options=chosen, revocation_mode=RevocationMode.OFF)
    assert validator.options.fast_path is False
    assert validator.clock_skew == timedelta(0)
    assert validator.revocation_mode is RevocationMode.OFF
    leaf = cms_pki.signer("rsa2048").certificate
    for _ in range(3):
        validator.validate(leaf, intermediates=[cms_pki.intermediate])
    assert validator.statistics().fast_path_hits == 0


@pytest.mark.parametrize("field", ["policy", "max_size", "max_clock_skew"])
def test_cms_options_holding_none_are_refused(cms_pki: CmsTestPki, field: str) -> None:
    der = sign_cms(CONTENT, cms_pki.signer("rsa2048"), signing_time=SIGNED_AT)
    with pytest.raises(CmsUsageError, match=field):
        verify_cms(der, now=SIGNED_AT, options=CmsVerifyOptions(**{field: None}))
