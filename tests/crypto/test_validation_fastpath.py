"""The validator's fast path gives the same verdicts as certvalidator, for good and bad leaves.

Every card is validated by two validators with the same trust store and the
same moment: one with the fast path (default), one with ``fast_path=False``,
which sends every validation through pyhanko-certvalidator. Both first see a
good card of the same CA, so both hold the validated path GRCA -> XCA; the fast
path may then serve the card under test, the other validator reuses the same
cached path through certvalidator. Their results must be equal, or their
errors of the same class, and the fast path must have served exactly the
leaves it may serve.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtensionOID
from pyhanko_certvalidator.validate import SUPPORTED_EXTENSIONS

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.crypto.errors import PathValidationError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    ChainValidator,
    InvalidPathError,
    PathBuildingError,
    RevocationMode,
    RevocationSource,
    RevocationState,
    ValidatedPath,
    WeakAlgorithmError,
)
from xcapki.crypto.validation._fast_path import UNDERSTOOD_CRITICAL_EXTENSIONS
from xcapki.testing import CardSpec, KeyAlgorithm, PkiServices, TestPki

pytestmark = pytest.mark.ocsp

Outcome = ValidatedPath | type[PathValidationError]


def _card(pki: TestPki, **changes: object) -> x509.Certificate:
    spec = CardSpec(authority=Authority.XCA, organisation_name="快速路徑測試", **changes)  # type: ignore[arg-type]
    return pki.issue_card(spec).signing.certificate


def _reissued(pki: TestPki, original: x509.Certificate, **changes: Any) -> x509.Certificate:
    """``original`` issued again by the XCA with ``changes``, and recorded in its index."""
    return pki.reissue(original, Authority.XCA, record=True, **changes)


def _tampered(original: x509.Certificate) -> x509.Certificate:
    der = bytearray(original.public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01
    return x509.load_der_x509_certificate(bytes(der))


def _outcome(
    validator: ChainValidator,
    leaf: x509.Certificate,
    helpers: tuple[x509.Certificate, ...],
    moment: dt.datetime,
) -> Outcome:
    try:
        return validator.validate(leaf, intermediates=helpers, moment=moment)
    except PathValidationError as error:
        return type(error)


def _pair(
    test_pki: TestPki, mode: RevocationMode, moment: dt.datetime
) -> tuple[ChainValidator, ChainValidator]:
    """A fast and a certvalidator-only validator, both holding the path GRCA -> XCA."""
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    fast = ChainValidator(store, revocation_mode=mode)
    slow = ChainValidator(store, revocation_mode=mode, fast_path=False)
    warm = _card(test_pki)
    issuer = test_pki.ca(Authority.XCA).certificate
    for validator in (fast, slow):
        validator.validate(warm, intermediates=[issuer], moment=moment)
        assert validator.statistics().cached_paths == 1
    return fast, slow


_NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _good(pki: TestPki) -> x509.Certificate:
    return _card(pki)


def _good_ec(pki: TestPki) -> x509.Certificate:
    return _card(pki, key_algorithm=KeyAlgorithm.EC_P256)


def _good_pss(pki: TestPki) -> x509.Certificate:
    return _reissued(pki, _card(pki), pss=True)


def _expired(pki: TestPki) -> x509.Certificate:
    return _card(
        pki, not_before=_NOW - dt.timedelta(days=400), not_after=_NOW - dt.timedelta(days=1)
    )


def _not_yet_valid(pki: TestPki) -> x509.Certificate:
    return _card(
        pki, not_before=_NOW + dt.timedelta(days=1), not_after=_NOW + dt.timedelta(days=90)
    )


def _wrong_issuer_key(pki: TestPki) -> x509.Certificate:
    return _reissued(pki, _card(pki), signing_key=rsa.generate_private_key(65537, 2048))


def _tampered_signature(pki: TestPki) -> x509.Certificate:
    return _tampered(_card(pki))


def _unknown_critical_extension(pki: TestPki) -> x509.Certificate:
    unknown = x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")
    return _reissued(pki, _card(pki), added_critical=(unknown,))


def _sha1_signed(pki: TestPki) -> x509.Certificate:
    return _card(pki, signature_hash=HashAlgorithm.SHA1)


def _ca_flag_leaf(pki: TestPki) -> x509.Certificate:
    """cA=TRUE in an end entity: unusual, so the fast path leaves it to certvalidator."""
    ca_flag = x509.BasicConstraints(ca=True, path_length=None)
    return _reissued(pki, _card(pki), replaced=(ca_flag,))


# kind -> (make the leaf, expected outcome, may the fast path serve it)
CASES: dict[str, tuple[Callable[[TestPki], x509.Certificate], type | None, bool]] = {
    "good": (_good, None, True),
    "good-ec-leaf": (_good_ec, None, True),
    "good-pss-signed": (_good_pss, None, True),
    "expired": (_expired, CertificateExpiredError, False),
    "not-yet-valid": (_not_yet_valid, CertificateNotYetValidError, False),
    "wrong-issuer-key": (_wrong_issuer_key, InvalidPathError, False),
    "tampered-signature": (_tampered_signature, InvalidPathError, False),
    "unknown-critical-extension": (_unknown_critical_extension, InvalidPathError, False),
    "sha1-signed": (_sha1_signed, WeakAlgorithmError, False),
    "ca-flag-leaf": (_ca_flag_leaf, None, False),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_fast_and_certvalidator_paths_agree(test_pki: TestPki, kind: str) -> None:
    """Twice each: the second time the fast path may reuse its checks of the same leaf."""
    make, expected, served = CASES[kind]
    fast, slow = _pair(test_pki, RevocationMode.OFF, _NOW)
    leaf = make(test_pki)
    issuer = test_pki.ca(Authority.XCA).certificate
    hits = fast.statistics().fast_path_hits
    for _ in range(2):
        from_fast = _outcome(fast, leaf, (issuer,), _NOW)
        from_slow = _outcome(slow, leaf, (issuer,), _NOW)
        assert from_fast == from_slow
        if expected is None:
            assert isinstance(from_fast, ValidatedPath)
            assert from_fast.reused_intermediates
            assert from_fast.chain == (leaf, issuer, test_pki.root.certificate)
        else:
            assert from_fast is expected
    assert fast.statistics().fast_path_hits == hits + (2 if served else 0)
    assert slow.statistics().fast_path_hits == 0


def test_checked_leaf_is_not_reused_after_its_validity(test_pki: TestPki) -> None:
    fast, slow = _pair(test_pki, RevocationMode.OFF, _NOW)
    leaf = _card(test_pki, not_after=_NOW + dt.timedelta(hours=1))
    issuer = test_pki.ca(Authority.XCA).certificate
    fast.validate(leaf, intermediates=[issuer], moment=_NOW)
    later = _NOW + dt.timedelta(hours=2)
    assert _outcome(fast, leaf, (issuer,), later) is CertificateExpiredError
    assert _outcome(slow, leaf, (issuer,), later) is CertificateExpiredError
    assert fast.statistics().fast_path_hits == 1


def test_cached_good_answer_serves_the_second_login(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    fast, slow = _pair(test_pki, RevocationMode.HARD_FAIL, moment)
    leaf = _card(test_pki)
    helpers = (test_pki.ca(Authority.XCA).certificate,)
    first = fast.validate(leaf, intermediates=helpers, moment=moment)
    assert fast.statistics().fast_path_hits == 0
    requests = fast.statistics().ocsp_requests
    second = fast.validate(leaf, intermediates=helpers, moment=moment)
    assert fast.statistics().fast_path_hits == 1
    assert fast.statistics().ocsp_requests == requests
    assert second == first
    assert second.leaf_revocation.state is RevocationState.GOOD
    assert second.leaf_revocation.source is RevocationSource.OCSP
    slow.validate(leaf, intermediates=helpers, moment=moment)
    from_slow = slow.validate(leaf, intermediates=helpers, moment=moment)
    assert from_slow.chain == second.chain
    assert [s.revocation.state for s in from_slow.statuses] == [
        s.revocation.state for s in second.statuses
    ]


def test_revoked_card_is_never_served(test_pki: TestPki, pki_services: PkiServices) -> None:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    fast, slow = _pair(test_pki, RevocationMode.HARD_FAIL, moment)
    leaf = _card(test_pki)
    test_pki.revoke(leaf)
    helpers = (test_pki.ca(Authority.XCA).certificate,)
    for _ in range(2):
        assert _outcome(fast, leaf, helpers, moment) is CertificateRevokedError
        assert _outcome(slow, leaf, helpers, moment) is CertificateRevokedError
    assert fast.statistics().fast_path_hits == 0


def test_card_expiring_while_its_answer_is_cached(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=5)
    fast, slow = _pair(test_pki, RevocationMode.HARD_FAIL, now)
    leaf = _card(
        test_pki, not_before=now - dt.timedelta(days=1), not_after=now + dt.timedelta(minutes=5)
    )
    helpers = (test_pki.ca(Authority.XCA).certificate,)
    for validator in (fast, slow):
        validator.validate(leaf, intermediates=helpers, moment=now)
    later = now + dt.timedelta(minutes=10)
    assert _outcome(fast, leaf, helpers, later) is CertificateExpiredError
    assert _outcome(slow, leaf, helpers, later) is CertificateExpiredError
    assert fast.statistics().fast_path_hits == 0


def test_issuer_neither_supplied_nor_stored_is_not_served(test_pki: TestPki) -> None:
    fast, slow = _pair(test_pki, RevocationMode.OFF, _NOW)
    leaf = _card(test_pki)
    assert _outcome(fast, leaf, (), _NOW) is PathBuildingError
    assert _outcome(slow, leaf, (), _NOW) is PathBuildingError
    assert fast.statistics().fast_path_hits == 0


def test_async_validation_takes_the_fast_path(test_pki: TestPki) -> None:
    fast, _ = _pair(test_pki, RevocationMode.OFF, _NOW)
    leaf = _card(test_pki)
    path = asyncio.run(
        fast.validate_async(
            leaf, intermediates=[test_pki.ca(Authority.XCA).certificate], moment=_NOW
        )
    )
    assert path.certificate == leaf
    assert fast.statistics().fast_path_hits == 1


def test_fast_path_accepts_only_critical_extensions_certvalidator_supports() -> None:
    names = {asn1_x509.ExtensionId.map(oid.dotted_string) for oid in UNDERSTOOD_CRITICAL_EXTENSIONS}
    assert names <= SUPPORTED_EXTENSIONS
    assert ExtensionOID.POLICY_CONSTRAINTS not in UNDERSTOOD_CRITICAL_EXTENSIONS
