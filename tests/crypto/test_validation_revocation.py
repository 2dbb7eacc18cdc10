"""Path validation and revocation against the test PKI's loopback OCSP responders and CRLs."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from _trust_fixtures import OcspResponder
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

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
from xcapki.testing.pki import CaCredentials, CardSpec, IssuedCard, TestPki
from xcapki.testing.services import PkiServices, serve_pki

pytestmark = [pytest.mark.openssl, pytest.mark.ocsp]

if shutil.which("openssl") is None:
    pytest.skip("the openssl command line tool is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    return TestPki.create(tmp_path_factory.mktemp("trust") / "pki")


@pytest.fixture(scope="module")
def crl_server(pki: TestPki) -> Iterator[PkiServices]:
    with serve_pki(pki) as services:
        # The CRL server is used as is; the OCSP responders are replaced by
        # OcspResponder (see its docstring for why), started per test.
        for ca in pki.authorities:
            services.stop_responder(ca)
        yield services


def _port(ca: CaCredentials) -> int:
    return int(ca.ocsp_url.rsplit(":", 1)[1].strip("/"))


def _responder(
    ca: CaCredentials, *, signer: tuple[Path, Path] | None = None, minutes: int = 60
) -> OcspResponder:
    cert, key = signer or (ca.ocsp_signer.certificate_path, ca.ocsp_signer.private_key_path)
    return OcspResponder(
        index=ca.index.path,
        ca=ca.key.certificate_path,
        signer=cert,
        signer_key=key,
        port=_port(ca),
        validity_minutes=minutes,
    )


class Network:
    """The OCSP responders of the root and the XCA, restartable by a test."""

    def __init__(self, pki: TestPki) -> None:
        self.pki = pki
        self.xca = pki.ca(Authority.XCA)
        self.root = _responder(pki.root)
        self.xca_responder: OcspResponder | None = _responder(self.xca)

    def replace_xca(self, **options: object) -> None:
        self.stop_xca()
        self.xca_responder = _responder(self.xca, **options)  # type: ignore[arg-type]

    def stop_xca(self) -> None:
        if self.xca_responder is not None:
            self.xca_responder.stop()
            self.xca_responder = None

    def stop(self) -> None:
        self.stop_xca()
        self.root.stop()


@pytest.fixture
def network(pki: TestPki, crl_server: PkiServices) -> Iterator[Network]:
    running = Network(pki)
    try:
        yield running
    finally:
        running.stop()
        pki.publish_crl(running.xca)


@pytest.fixture
def store(pki: TestPki) -> TrustStore:
    return TrustStore.empty().with_roots(pki.root.certificate)


_last_index_mtime = [0.0]


def _publish_index(ca: CaCredentials) -> None:
    """Make a running ``openssl ocsp`` see ``ca``'s index change.

    It reloads the index when the file's mtime changes, at one-second
    resolution, so a change within the second of its last load would go unseen.
    Each change gets an mtime at least one second after the previous one.
    """
    stamp = max(ca.index.path.stat().st_mtime, _last_index_mtime[0]) + 1.0
    _last_index_mtime[0] = stamp
    os.utime(ca.index.path, (stamp, stamp))


def _poke(ca: CaCredentials) -> None:
    """Send a throwaway request so a running responder rereads its index.

    ``openssl ocsp`` checks the index for changes after answering a request,
    not before, so the first answer after a change would still be the old one.
    """
    request = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(b"\0" * 20, b"\0" * 20, 1, hashes.SHA1())  # noqa: S303 (CertID)
        .build()
        .public_bytes(serialization.Encoding.DER)
    )
    with contextlib.suppress(OSError):
        http = urllib.request.Request(  # noqa: S310 (loopback URL)
            ca.ocsp_url, data=request, headers={"Content-Type": "application/ocsp-request"}
        )
        with urllib.request.urlopen(http, timeout=5) as answer:  # noqa: S310 (loopback URL)
            answer.read()


def _changed(ca: CaCredentials) -> None:
    _publish_index(ca)
    _poke(ca)


def _revoke(pki: TestPki, certificate: x509.Certificate, **options: object) -> None:
    pki.revoke(certificate, **options)  # type: ignore[arg-type]
    _changed(pki.ca(Authority.XCA))


def _card(pki: TestPki, **spec: object) -> IssuedCard:
    card = _issue(pki, **spec)
    _changed(pki.ca(Authority.XCA))
    return card


def _issue(pki: TestPki, **spec: object) -> IssuedCard:
    return pki.issue_card(
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


def _withdraw_crl(pki: TestPki) -> None:
    (pki.published_directory / "xca.crl").unlink()


def test_good_card_validates_with_ocsp_for_leaf_and_intermediate(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
    path = _validate(store, card)
    assert path.chain == (card.signing.certificate, card.issuer, pki.root.certificate)
    assert path.trust_anchor == pki.root.certificate
    assert [s.certificate for s in path.statuses] == [card.signing.certificate, card.issuer]
    for status in path.statuses:
        assert status.revocation.state is RevocationState.GOOD
        assert status.revocation.source is RevocationSource.OCSP
        assert status.revocation.next_update is not None
    assert not path.reused_intermediates


def test_revoked_card_is_refused_with_reason_and_time(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
    when = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    _revoke(pki, card.signing.certificate, when=when)
    with pytest.raises(CertificateRevokedError) as caught:
        _validate(store, card)
    status = caught.value.status
    assert status.state is RevocationState.REVOKED
    assert status.source is RevocationSource.OCSP
    assert status.reason is RevocationReason.KEY_COMPROMISE
    assert status.revoked_at == when
    assert caught.value.certificate == card.signing.certificate


def test_revoked_card_is_refused_from_the_crl_when_ocsp_is_down(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
    _revoke(pki, card.signing.certificate)
    network.stop_xca()
    with pytest.raises(CertificateRevokedError) as caught:
        _validate(store, card)
    assert caught.value.status.source is RevocationSource.CRL


def _unknown_to_responder(pki: TestPki, card: IssuedCard) -> x509.Certificate:
    """A copy of ``card``'s certificate under a new serial the XCA never recorded."""
    template = card.signing.certificate
    xca = pki.ca(Authority.XCA)
    builder = (
        x509.CertificateBuilder()
        .subject_name(template.subject)
        .issuer_name(template.issuer)
        .public_key(template.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(template.not_valid_before_utc)
        .not_valid_after(template.not_valid_after_utc)
    )
    for extension in template.extensions:
        builder = builder.add_extension(extension.value, extension.critical)
    return builder.sign(xca.key.private_key, hashes.SHA256())  # type: ignore[arg-type]


def test_unknown_counts_as_revoked_even_when_the_crl_says_good(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    # certvalidator alone would fall back to the CRL (which does not list the
    # serial) and accept; xcapki refuses.
    stray = _unknown_to_responder(pki, _card(pki))
    validator = ChainValidator(store)
    with pytest.raises(RevocationUnknownError) as caught:
        validator.validate(stray, intermediates=[pki.ca(Authority.XCA).certificate])
    assert caught.value.certificate == stray


def test_unknown_without_crl_is_refused(pki: TestPki, network: Network, store: TrustStore) -> None:
    stray = _unknown_to_responder(pki, _card(pki))
    _withdraw_crl(pki)
    with pytest.raises(RevocationUnknownError):
        ChainValidator(store).validate(stray, intermediates=[pki.ca(Authority.XCA).certificate])


def test_responder_down_falls_back_to_the_crl(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
    network.stop_xca()
    path = _validate(store, card, RevocationMode.HARD_FAIL)
    assert path.leaf_revocation.state is RevocationState.GOOD
    assert path.leaf_revocation.source is RevocationSource.CRL
    assert path.statuses[1].revocation.source is RevocationSource.OCSP


def test_responder_and_crl_down_soft_fail_accepts_as_unavailable(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
    network.stop_xca()
    _withdraw_crl(pki)
    path = _validate(store, card, RevocationMode.SOFT_FAIL)
    assert path.leaf_revocation.state is RevocationState.UNAVAILABLE
    assert path.leaf_revocation.source is RevocationSource.NONE
    assert path.statuses[1].revocation.state is RevocationState.GOOD


@pytest.mark.parametrize("mode", [RevocationMode.HARD_FAIL, RevocationMode.REQUIRE])
def test_responder_and_crl_down_is_refused_in_strict_modes(
    pki: TestPki, network: Network, store: TrustStore, mode: RevocationMode
) -> None:
    card = _card(pki)
    network.stop_xca()
    _withdraw_crl(pki)
    with pytest.raises(RevocationUnavailableError, match="reachable"):
        _validate(store, card, mode)


def test_revocation_off_checks_nothing(pki: TestPki, network: Network, store: TrustStore) -> None:
    card = _card(pki)
    _revoke(pki, card.signing.certificate)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
    assert {s.revocation.state for s in path.statuses} == {RevocationState.NOT_CHECKED}
    assert validator.statistics().ocsp_requests == 0


def test_silent_responder_times_out(pki: TestPki, network: Network, store: TrustStore) -> None:
    card = _card(pki)
    network.stop_xca()
    _withdraw_crl(pki)
    with socket.socket() as silent:
        silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        silent.bind(("127.0.0.1", _port(network.xca)))
        silent.listen(8)
        timeout = dt.timedelta(milliseconds=500)
        path = _validate(store, card, RevocationMode.SOFT_FAIL, fetch_timeout=timeout)
        assert path.leaf_revocation.state is RevocationState.UNAVAILABLE
        with pytest.raises(RevocationUnavailableError):
            _validate(store, card, RevocationMode.HARD_FAIL, fetch_timeout=timeout)


def _ahead(minutes: int):  # type: ignore[no-untyped-def]
    return lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)


def test_stale_ocsp_response_is_not_used(pki: TestPki, network: Network, store: TrustStore) -> None:
    card = _card(pki)
    network.replace_xca(minutes=1)
    validator = ChainValidator(store, clock=_ahead(10), clock_skew=dt.timedelta(seconds=5))
    path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
    assert path.leaf_revocation.source is RevocationSource.CRL
    pki.publish_crl(network.xca, next_update=dt.timedelta(minutes=2))
    with pytest.raises(StaleRevocationError):
        ChainValidator(store, clock=_ahead(10), clock_skew=dt.timedelta(seconds=5)).validate(
            card.signing.certificate, intermediates=[card.issuer]
        )


def _signer_files(pki: TestPki, kind: str) -> tuple[Path, Path]:
    if kind == "other-ca-responder":
        gca = pki.ca(Authority.GCA).ocsp_signer
        return gca.certificate_path, gca.private_key_path
    holder = _card(pki).signing
    return holder.certificate_path, holder.private_key_path


@pytest.mark.parametrize("kind", ["other-ca-responder", "card-without-ocsp-signing"])
def test_response_from_unauthorised_responder_is_rejected(
    pki: TestPki, network: Network, store: TrustStore, kind: str
) -> None:
    card = _card(pki)
    network.replace_xca(signer=_signer_files(pki, kind))
    path = _validate(store, card)
    assert path.leaf_revocation.source is RevocationSource.CRL
    _withdraw_crl(pki)
    with pytest.raises(UntrustedRevocationError, match="authorised"):
        _validate(store, card)


def test_expired_card(pki: TestPki, network: Network, store: TrustStore) -> None:
    now = dt.datetime.now(dt.UTC)
    card = _card(pki, not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1))
    with pytest.raises(CertificateExpiredError) as caught:
        _validate(store, card)
    assert caught.value.expired_at < now


def test_not_yet_valid_card(pki: TestPki, network: Network, store: TrustStore) -> None:
    now = dt.datetime.now(dt.UTC)
    card = _card(pki, not_before=now + dt.timedelta(days=1), not_after=now + dt.timedelta(days=90))
    with pytest.raises(CertificateNotYetValidError):
        _validate(store, card)


def test_untrusted_root(pki: TestPki) -> None:
    card = _card(pki)
    validator = ChainValidator(TrustStore.bundled(), revocation_mode=RevocationMode.OFF)
    with pytest.raises(UntrustedRootError, match="not a trusted root"):
        validator.validate(card.signing.certificate, intermediates=[card.issuer, card.root])


def test_missing_intermediate(pki: TestPki, store: TrustStore) -> None:
    card = _card(pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    with pytest.raises(PathBuildingError, match="missing intermediate"):
        validator.validate(card.signing.certificate)


def test_second_validation_of_the_same_card_makes_no_request(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    card = _card(pki)
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
    assert again.chain == (card.signing.certificate, card.issuer, pki.root.certificate)


def test_another_card_of_the_same_authority_costs_one_request(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    first, second = _card(pki), _card(pki)
    validator = ChainValidator(store.with_intermediates(first.issuer))
    validator.validate(first.signing.certificate)
    before = validator.statistics().ocsp_requests
    path = validator.validate(second.signing.certificate)
    assert validator.statistics().ocsp_requests == before + 1
    assert validator.statistics().path_cache_hits == 1
    assert path.reused_intermediates
    assert path.statuses[1].revocation.state is RevocationState.GOOD


def test_cached_crl_is_reused_until_next_update(
    pki: TestPki, network: Network, store: TrustStore
) -> None:
    network.stop_xca()
    validator = ChainValidator(store)
    for card in (_card(pki), _card(pki)):
        path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
        assert path.leaf_revocation.source is RevocationSource.CRL
    assert validator.statistics().crl_requests == 1


def test_cached_path_is_not_used_after_its_window(pki: TestPki, store: TrustStore) -> None:
    card = _card(pki)
    moments = iter([dt.datetime.now(dt.UTC), dt.datetime.now(dt.UTC) + dt.timedelta(days=400 * 20)])
    validator = ChainValidator(
        store, revocation_mode=RevocationMode.OFF, clock=lambda: next(moments)
    )
    assert not validator.validate(
        card.signing.certificate, intermediates=[card.issuer]
    ).reused_intermediates
    with pytest.raises(CertificateExpiredError):
        validator.validate(card.signing.certificate, intermediates=[card.issuer])


def test_sync_validate_inside_an_event_loop_is_refused(pki: TestPki, store: TrustStore) -> None:
    card = _card(pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)

    async def inside() -> None:
        with pytest.raises(ValidatorUsageError, match="validate_async"):
            validator.validate(card.signing.certificate, intermediates=[card.issuer])
        path = await validator.validate_async(card.signing.certificate, intermediates=[card.issuer])
        assert path.certificate == card.signing.certificate

    asyncio.run(inside())


def test_naive_moment_is_refused(pki: TestPki, store: TrustStore) -> None:
    card = _card(pki)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    with pytest.raises(ValidatorUsageError, match="timezone"):
        validator.validate(card.signing.certificate, moment=dt.datetime(2025, 1, 1))


def test_card_pem_round_trip_validates(pki: TestPki, store: TrustStore) -> None:
    card = _card(pki)
    pem = card.signing.certificate.public_bytes(serialization.Encoding.PEM)
    certificate = x509.load_pem_x509_certificate(pem)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    assert validator.validate(certificate, intermediates=[card.issuer]).certificate == certificate
