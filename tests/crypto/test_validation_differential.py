"""Differential: ChainValidator (fast path on and off) against plain pyhanko-certvalidator.

Hypothesis mutates a valid XCA card certificate (tests/certificate_mutations.py)
and the XCA CA signs it again; the three validators see the same leaf, the
same XCA CA certificate and the same test root, revocation off, and must
reach the same verdict (a path, or a refusal). The fast-path validator has
already validated the genuine card, so its cache holds the XCA path and a
mutant under that CA is judged by the fast path whenever it qualifies.

Known and intended differences, listed in ``_KNOWN_DIFFERENCES``:

- none so far. A leaf ``cryptography`` cannot parse is not compared: xcapki
  receives certificates as ``cryptography`` objects, so such a leaf never
  reaches its validator (the CMS and profile layers refuse it first).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import certificate_mutations
import hostile_pki
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, example, given, reject, settings
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.errors import XcapkiError
from xcapki.testing import CardSpec, IssuedCard, TestPki

_KNOWN_DIFFERENCES: dict[str, str] = {}
"""Mutation kind -> why xcapki's verdict differs from certvalidator's, when it does."""


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="差分測試事務所",
        unified_business_number="97531864",
    )
    return test_pki.issue_card(spec)


@pytest.fixture(scope="module")
def store(test_pki: TestPki) -> TrustStore:
    return TrustStore.empty().with_roots(test_pki.root.certificate)


@pytest.fixture(scope="module")
def warm(store: TrustStore, test_pki: TestPki, card: IssuedCard) -> ChainValidator:
    """A fast-path validator whose cache holds root -> XCA from the genuine card."""
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    ca = test_pki.ca(Authority.XCA).certificate
    validator.validate(card.signing.certificate, intermediates=[ca])
    return validator


def _xcapki_accepts(
    validator: ChainValidator, leaf: x509.Certificate, ca: x509.Certificate, moment: dt.datetime
) -> bool:
    try:
        validator.validate(leaf, intermediates=[ca], moment=moment)
    except XcapkiError:
        return False
    return True


def _certvalidator_accepts(
    leaf_der: bytes, ca: x509.Certificate, root: x509.Certificate, moment: dt.datetime
) -> bool:
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(root.public_bytes(hostile_pki.DER))],
        moment=moment,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )
    validator = CertificateValidator(
        asn1_x509.Certificate.load(leaf_der),
        intermediate_certs=[asn1_x509.Certificate.load(ca.public_bytes(hostile_pki.DER))],
        validation_context=context,
    )
    try:
        asyncio.run(validator.async_validate_path())
    except Exception:
        return False
    return True


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=certificate_mutations.mutations())
@example(changes=[("corrupt", 7, b"")])  # subjectDirectoryAttributes emptied: the fast path once
# accepted what asn1crypto, and so certvalidator, cannot read
def test_chain_validator_agrees_with_certvalidator(
    test_pki: TestPki,
    card: IssuedCard,
    store: TrustStore,
    warm: ChainValidator,
    changes: list[certificate_mutations.Mutation],
) -> None:
    ca_key = test_pki.ca(Authority.XCA).key.private_key
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    parts = certificate_mutations.apply(hostile_pki.parts_of(card.signing.certificate), changes)
    der = hostile_pki.rebuild(card.signing.certificate, parts, ca_key)
    try:
        leaf = x509.load_der_x509_certificate(der)
    except ValueError:
        reject()
    ca = test_pki.ca(Authority.XCA).certificate
    moment = dt.datetime.now(dt.UTC)
    cold = ChainValidator(store, revocation_mode=RevocationMode.OFF, fast_path=False)
    verdicts = {
        "fast path": _xcapki_accepts(warm, leaf, ca, moment),
        "certvalidator in xcapki": _xcapki_accepts(cold, leaf, ca, moment),
        "plain certvalidator": _certvalidator_accepts(der, ca, test_pki.root.certificate, moment),
    }
    kinds = {str(change[0]) for change in changes}
    if len(set(verdicts.values())) > 1:
        assert kinds & _KNOWN_DIFFERENCES.keys(), (changes, verdicts)


def test_the_genuine_card_is_accepted_by_all_three(
    test_pki: TestPki, card: IssuedCard, store: TrustStore, warm: ChainValidator
) -> None:
    """The control: no mutation, three acceptances (the fast path's from its cache)."""
    ca = test_pki.ca(Authority.XCA).certificate
    moment = dt.datetime.now(dt.UTC)
    before = warm.statistics().fast_path_hits
    assert _xcapki_accepts(warm, card.signing.certificate, ca, moment)
    assert warm.statistics().fast_path_hits == before + 1
    cold = ChainValidator(store, revocation_mode=RevocationMode.OFF, fast_path=False)
    assert _xcapki_accepts(cold, card.signing.certificate, ca, moment)
    der = card.signing.certificate.public_bytes(hostile_pki.DER)
    assert _certvalidator_accepts(der, ca, test_pki.root.certificate, moment)
