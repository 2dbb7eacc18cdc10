"""The crypto layer's caches: bounded, windowed, counted, and one per concern.

``BoundedCache`` is checked on plain values; the parsed-certificate cache and
the validator's profile cache on the test PKI's certificates, against
``cryptography`` and ``TaiwanCertificate.from_certificate`` called directly.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from xcapki.crypto.authority import Authority
from xcapki.crypto.caches import PARSED_CERTIFICATES, BoundedCache, CacheStatistics, Window
from xcapki.crypto.errors import CertificateError
from xcapki.crypto.profile import TaiwanCertificate, load_certificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.testing import CardSpec, TestPki

NOON = dt.datetime(2030, 6, 1, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_bounded_cache_counts_hits_and_misses_and_evicts_the_least_recently_used() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1
    assert cache.get("c") == 3
    assert cache.statistics() == CacheStatistics(hits=3, misses=1, size=2, capacity=2)


def test_a_windowed_entry_holds_only_inside_its_window_and_goes_after_it() -> None:
    cache: BoundedCache[str, str] = BoundedCache(4)
    cache.put("answer", "good", Window(not_before=NOON - HOUR, not_after=NOON + HOUR))
    assert cache.get("answer", NOON) == "good"
    assert cache.get("answer", NOON - 2 * HOUR) is None
    assert len(cache) == 1
    assert cache.get("answer", NOON + 2 * HOUR) is None
    assert len(cache) == 0
    cache.put("inverted", "never", Window(not_before=NOON + HOUR, not_after=NOON))
    assert len(cache) == 0
    assert cache.statistics().hits == 1
    assert cache.statistics().misses == 2


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> x509.Certificate:
    spec = CardSpec(authority=Authority.XCA, organisation_name="快取測試事務所")
    return test_pki.issue_card(spec).signing.certificate


def test_one_der_certificate_is_parsed_once(card: x509.Certificate) -> None:
    der = card.public_bytes(serialization.Encoding.DER)
    first = load_certificate(der)
    before = PARSED_CERTIFICATES.statistics()
    again = load_certificate(bytearray(der))
    after = PARSED_CERTIFICATES.statistics()
    assert first == card
    assert again is first
    assert after.hits == before.hits + 1
    assert after.misses == before.misses
    assert 1 <= after.size <= after.capacity


def test_pem_and_refusals_of_the_one_loader(card: x509.Certificate) -> None:
    pem = card.public_bytes(serialization.Encoding.PEM)
    assert load_certificate(b"\n" + pem) == card
    for wrong in (b"", b"\x30\x03\x02\x01\x01", b"-----BEGIN CERTIFICATE-----\nAAAA\n"):
        with pytest.raises(CertificateError, match=r"not a readable X\.509 certificate"):
            load_certificate(wrong)
    with pytest.raises(CertificateError, match=r"not a readable X\.509 certificate"):
        load_certificate(pem, pem=False)
    with pytest.raises(CertificateError, match="expected certificate bytes, got str"):
        load_certificate(pem.decode())  # type: ignore[arg-type]


def test_the_validator_reads_each_profile_once(test_pki: TestPki, card: x509.Certificate) -> None:
    trust = TrustStore.empty().with_roots(test_pki.root.certificate)
    trust = trust.with_intermediates(test_pki.ca(Authority.XCA).certificate)
    validator = ChainValidator(trust, revocation_mode=RevocationMode.OFF)
    first = validator.profile(card)
    assert first == TaiwanCertificate.from_certificate(card, trust_store=trust)
    assert validator.profile(card) is first
    profiles = validator.statistics().profiles
    assert (profiles.hits, profiles.misses, profiles.size) == (1, 1, 1)


def test_validator_statistics_report_each_cache(test_pki: TestPki, card: x509.Certificate) -> None:
    trust = TrustStore.empty().with_roots(test_pki.root.certificate)
    validator = ChainValidator(
        trust, revocation_mode=RevocationMode.OFF, cache_capacity=7, clock=lambda: NOON
    )
    moment = card.not_valid_before_utc + HOUR
    helpers = [test_pki.ca(Authority.XCA).certificate]
    for _ in range(3):
        validator.validate(card, intermediates=helpers, moment=moment)
    statistics = validator.statistics()
    assert statistics.paths.size == 1
    assert statistics.paths.capacity == 7
    assert statistics.checked_leaves.size == 1
    assert (statistics.checked_leaves.hits, statistics.checked_leaves.misses) == (1, 2)
    assert statistics.fast_path_hits == 2
    assert statistics.statuses.size == 0
    assert statistics.revocation_lists == CacheStatistics(hits=0, misses=0, size=0, capacity=7)
    assert statistics.profiles.size == 0
