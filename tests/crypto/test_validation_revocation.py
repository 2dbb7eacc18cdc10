"""Path validation and revocation against the test PKI's loopback OCSP responders and CRLs."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    CertificateRevokedError,
    ChainValidator,
    PathBuildingError,
    RevocationMode,
    RevocationReason,
    RevocationSource,
    RevocationState,
    RevocationUnavailableError,
    RevocationUnknownError,
    StaleRevocationError,
    UntrustedRevocationError,
    UntrustedRootError,
    ValidatorUsageError,
)
from xcapki.testing import (
    CardSpec,
    IssuedCard,
    IssuedKey,
    OcspResponder,
    PkiServices,
    ResponderBehaviour,
    TestPki,
)

pytestmark = pytest.mark.ocsp


class Network:
    """The session's responders and CRLs as a test may break them; ``restore`` mends them."""

    def __init__(self, pki: TestPki, services: PkiServices) -> None:
        self.pki = pki
        self.services = services
        self.xca = pki.ca(Authority.XCA)

    def xca_responder(self) -> OcspResponder:
        return self.services.responder(self.xca)

    def misbehave(
        self, behaviour: ResponderBehaviour, *, rogue_signer: IssuedKey | None = None
    ) -> None:
        self.xca_responder().settings.behaviour = behaviour
        self.xca_responder().settings.rogue_signer = rogue_signer

    def stop_xca(self) -> None:
        self.services.stop_responder(self.xca)

    def stop(self) -> None:
        self.stop_xca()
        self.services.stop_responder(self.pki.root)

    def withdraw_crl(self) -> None:
        self.pki.withdraw_crl(self.xca)


@pytest.fixture
def network(test_pki: TestPki, pki_services: PkiServices) -> Iterator[Network]:
    running = Network(test_pki, pki_services)
    try:
        yield running
    finally:
        pki_services.restore()


@pytest.fixture
def store(test_pki: TestPki) -> TrustStore:
    return TrustStore.empty().with_roots(test_pki.root.certificate)


def _card(test_pki: TestPki, **spec: object) -> IssuedCard:
    return test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="好帳會計師事務所",
            unified_business_number="12345675",
            **spec,  # type: ignore[arg-type]
        )
    )


def _validate(
    store: TrustStore,
    card: IssuedCard,
    mode: RevocationMode = RevocationMode.HARD_FAIL,
    **options: object,
):  # type: ignore[no-untyped-def]
    validator = ChainValidator(store, revocation_mode=mode, **options)  # type: ignore[arg-type]
    return validator.validate(card.signing.certificate, intermediates=[card.issuer])


def test_good_card_validates_with_ocsp_for_leaf_and_intermediate(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    path = _validate(store, card)
    assert path.chain == (card.signing.certificate, card.issuer, test_pki.root.certificate)
    assert path.trust_anchor == test_pki.root.certificate
    assert [s.certificate for s in path.statuses] == [card.signing.certificate, card.issuer]
    for status in path.statuses:
        assert status.revocation.state is RevocationState.GOOD
        assert status.revocation.source is RevocationSource.OCSP
        assert status.revocation.next_update is not None
    assert not path.reused_intermediates


def test_revoked_card_is_refused_with_reason_and_time(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    test_pki.revoke(card.signing.certificate, when=when)
    with pytest.raises(CertificateRevokedError) as caught:
        _validate(store, card)
    status = caught.value.status
    assert status.state is RevocationState.REVOKED
    assert status.source is RevocationSource.OCSP
    assert status.reason is RevocationReason.KEY_COMPROMISE
    assert status.revoked_at == when
    assert caught.value.certificate == card.signing.certificate


def test_revoked_card_is_refused_from_the_crl_when_ocsp_is_down(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    test_pki.revoke(card.signing.certificate)
    network.stop_xca()
    with pytest.raises(CertificateRevokedError) as caught:
        _validate(store, card)
    assert caught.value.status.source is RevocationSource.CRL


def _unknown_to_responder(test_pki: TestPki, card: IssuedCard) -> x509.Certificate:
    """A copy of ``card``'s certificate under a new serial the XCA never recorded."""
    return test_pki.reissue(card.signing.certificate, Authority.XCA)


def test_unknown_counts_as_revoked_even_when_the_crl_says_good(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    # certvalidator alone would fall back to the CRL (which does not list the
    # serial) and accept; xcapki refuses.
    stray = _unknown_to_responder(test_pki, _card(test_pki))
    validator = ChainValidator(store)
    with pytest.raises(RevocationUnknownError) as caught:
        validator.validate(stray, intermediates=[test_pki.ca(Authority.XCA).certificate])
    assert caught.value.certificate == stray


def test_unknown_without_crl_is_refused(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    stray = _unknown_to_responder(test_pki, _card(test_pki))
    network.withdraw_crl()
    with pytest.raises(RevocationUnknownError):
        ChainValidator(store).validate(
            stray, intermediates=[test_pki.ca(Authority.XCA).certificate]
        )


def test_responder_down_falls_back_to_the_crl(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    network.stop_xca()
    path = _validate(store, card, RevocationMode.HARD_FAIL)
    assert path.leaf_revocation.state is RevocationState.GOOD
    assert path.leaf_revocation.source is RevocationSource.CRL
    assert path.statuses[1].revocation.source is RevocationSource.OCSP


def test_responder_and_crl_down_soft_fail_accepts_as_unavailable(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    network.stop_xca()
    network.withdraw_crl()
    path = _validate(store, card, RevocationMode.SOFT_FAIL)
    assert path.leaf_revocation.state is RevocationState.UNAVAILABLE
    assert path.leaf_revocation.source is RevocationSource.NONE
    assert path.statuses[1].revocation.state is RevocationState.GOOD


@pytest.mark.parametrize("mode", [RevocationMode.HARD_FAIL, RevocationMode.REQUIRE])
def test_responder_and_crl_down_is_refused_in_strict_modes(
    test_pki: TestPki, network: Network, store: TrustStore, mode: RevocationMode
) -> None:
    card = _card(test_pki)
    network.stop_xca()
    network.withdraw_crl()
    with pytest.raises(RevocationUnavailableError, match="could not be reached"):
        _validate(store, card, mode)


def test_revocation_off_checks_nothing(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    test_pki.revoke(card.signing.certificate)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
    assert {s.revocation.state for s in path.statuses} == {RevocationState.NOT_CHECKED}
    assert validator.statistics().ocsp_requests == 0


def test_silent_responder_times_out(test_pki: TestPki, network: Network, store: TrustStore) -> None:
    """A bare listening socket stands in for the XCA responder: one that accepts and never
    answers is a fault the test responder cannot make (TRY_LATER answers at once)."""
    card = _card(test_pki)
    network.stop_xca()
    network.withdraw_crl()
    with socket.socket() as silent:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", network.xca.ocsp_port))
        silent.listen(8)
        timeout = dt.timedelta(milliseconds=500)
        path = _validate(store, card, RevocationMode.SOFT_FAIL, fetch_timeout=timeout)
        assert path.leaf_revocation.state is RevocationState.UNAVAILABLE
        with pytest.raises(RevocationUnavailableError):
            _validate(store, card, RevocationMode.HARD_FAIL, fetch_timeout=timeout)


def test_try_later_falls_back_to_the_crl_or_is_unavailable(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    network.misbehave(ResponderBehaviour.TRY_LATER)
    assert _validate(store, card).leaf_revocation.source is RevocationSource.CRL
    network.withdraw_crl()
    with pytest.raises(RevocationUnavailableError):
        _validate(store, card)


def _ahead(minutes: int):  # type: ignore[no-untyped-def]
    return lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


def test_stale_ocsp_response_is_not_used(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    network.misbehave(ResponderBehaviour.STALE)
    validator = ChainValidator(store, clock=_ahead(10), clock_skew=dt.timedelta(seconds=5))
    path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
    assert path.leaf_revocation.source is RevocationSource.CRL
    test_pki.publish_crl(network.xca, next_update=dt.timedelta(minutes=2))
    with pytest.raises(StaleRevocationError):
        ChainValidator(store, clock=_ahead(10), clock_skew=dt.timedelta(seconds=5)).validate(
            card.signing.certificate, intermediates=[card.issuer]
        )


def _rogue_signer(test_pki: TestPki, kind: str) -> IssuedKey:
    if kind == "other-ca-responder":
        return test_pki.ca(Authority.GCA).ocsp_signer
    return _card(test_pki).signing


@pytest.mark.parametrize("kind", ["other-ca-responder", "card-without-ocsp-signing"])
def test_response_from_unauthorised_responder_is_rejected(
    test_pki: TestPki, network: Network, store: TrustStore, kind: str
) -> None:
    card = _card(test_pki)
    network.misbehave(
        ResponderBehaviour.UNAUTHORISED_SIGNER, rogue_signer=_rogue_signer(test_pki, kind)
    )
    path = _validate(store, card)
    assert path.leaf_revocation.source is RevocationSource.CRL
    network.withdraw_crl()
    with pytest.raises(UntrustedRevocationError, match="authorised"):
        _validate(store, card)


def test_expired_card(test_pki: TestPki, network: Network, store: TrustStore) -> None:
    now = dt.datetime.now(dt.UTC)
    card = _card(
        test_pki, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1)
    )
    with pytest.raises(CertificateExpiredError) as caught:
        _validate(store, card)
    assert caught.value.expired_at < now


def test_not_yet_valid_card(test_pki: TestPki, network: Network, store: TrustStore) -> None:
    now = dt.datetime.now(dt.UTC)
    card = _card(
        test_pki, not_before=now + dt.timedelta(days=1), not_after=now + dt.timedelta(days=90)
    )
    with pytest.raises(CertificateNotYetValidError):
        _validate(store, card)


def test_untrusted_root(test_pki: TestPki) -> None:
    card = _card(test_pki)
    validator = ChainValidator(TrustStore.bundled(), revocation_mode=RevocationMode.OFF)
    with pytest.raises(UntrustedRootError, match="not a trusted root"):
        validator.validate(card.signing.certificate, intermediates=[card.issuer, card.root])


def test_missing_intermediate(test_pki: TestPki, store: TrustStore) -> None:
    card = _card(test_pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    with pytest.raises(PathBuildingError, match="missing intermediate"):
        validator.validate(card.signing.certificate)


def test_second_validation_of_the_same_card_makes_no_request(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(test_pki)
    validator = ChainValidator(store)
    validator.validate(card.signing.certificate, intermediates=[card.issuer])
    first = validator.statistics()
    assert first.ocsp_requests == 2
    network.stop()  # nothing may be fetched any more
    again = validator.validate(card.signing.certificate, intermediates=[card.issuer])
    after = validator.statistics()
    assert after.ocsp_requests == first.ocsp_requests
    assert after.crl_requests == first.crl_requests
    assert again.reused_intermediates
    assert again.leaf_revocation.state is RevocationState.GOOD
    assert again.leaf_revocation.source is RevocationSource.OCSP
    assert again.chain == (card.signing.certificate, card.issuer, test_pki.root.certificate)


def test_another_card_of_the_same_authority_costs_one_request(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    first, second = _card(test_pki), _card(test_pki)
    validator = ChainValidator(store.with_intermediates(first.issuer))
    validator.validate(first.signing.certificate)
    before = validator.statistics().ocsp_requests
    path = validator.validate(second.signing.certificate)
    assert validator.statistics().ocsp_requests == before + 1
    assert validator.statistics().path_cache_hits == 1
    assert path.reused_intermediates
    assert path.statuses[1].revocation.state is RevocationState.GOOD


def test_cached_crl_is_reused_until_next_update(
    test_pki: TestPki, network: Network, store: TrustStore
) -> None:
    network.stop_xca()
    validator = ChainValidator(store)
    for card in (_card(test_pki), _card(test_pki)):
        path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
        assert path.leaf_revocation.source is RevocationSource.CRL
    assert validator.statistics().crl_requests == 1


def test_cached_path_is_not_used_after_its_window(test_pki: TestPki, store: TrustStore) -> None:
    card = _card(test_pki)
    moments = iter([dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC) + dt.timedelta(days=400 * 20)])
    validator = ChainValidator(
        store, revocation_mode=RevocationMode.OFF, clock=lambda: next(moments)
    )
    assert not validator.validate(
        card.signing.certificate, intermediates=[card.issuer]
    ).reused_intermediates
    with pytest.raises(CertificateExpiredError):
        validator.validate(card.signing.certificate, intermediates=[card.issuer])


def test_sync_validate_inside_an_event_loop_is_refused(
    test_pki: TestPki, store: TrustStore
) -> None:
    card = _card(test_pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)

    async def inside() -> None:
        with pytest.raises(ValidatorUsageError, match="validate_async"):
            validator.validate(card.signing.certificate, intermediates=[card.issuer])
        path = await validator.validate_async(card.signing.certificate, intermediates=[card.issuer])
        assert path.certificate == card.signing.certificate

    asyncio.run(inside())


def test_naive_moment_is_refused(test_pki: TestPki, store: TrustStore) -> None:
    card = _card(test_pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    with pytest.raises(ValidatorUsageError, match="timezone"):
        validator.validate(card.signing.certificate, moment=dt.datetime(2025, 1, 1))


def test_card_pem_round_trip_validates(test_pki: TestPki, store: TrustStore) -> None:
    card = _card(test_pki)
    pem = card.signing.certificate.public_bytes(serialization.Encoding.PEM)
    certificate = x509.load_pem_x509_certificate(pem)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    assert validator.validate(certificate, intermediates=[card.issuer]).certificate == certificate
