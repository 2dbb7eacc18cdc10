"""CRL downloads are bounded: an oversize or endless CRL is refused with a typed error, no hang.

The CRLs are offered by a real HTTP server on loopback (``http.server``), the
way a misconfigured or hostile distribution point would send them; the card
certificates name it as their CRL distribution point, and an OCSP address
there that answers 404, so the CRL has to decide.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import time
from collections.abc import Iterator

import pytest
from cryptography import x509

from xcapki.crypto.authority import Authority
from xcapki.crypto.defaults import DEFAULT_MAX_CRL_BYTES
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    ChainValidator,
    CrlTooLargeError,
    RevocationMode,
    RevocationSource,
    RevocationState,
    RevocationUnavailableError,
    ValidatorUsageError,
)
from xcapki.testing import CardSpec, PkiServices, TestPki

pytestmark = pytest.mark.ocsp

_CHUNK = b"\x30" * 65536


class _DistributionPoint(http.server.BaseHTTPRequestHandler):
    """Serves /<name>.crl as the test asks: announced oversize, endless, dripping, or real."""

    protocol_version = "HTTP/1.0"
    real_crl = b""
    stop = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/real.crl":
            self._headers(len(self.real_crl))
            self.wfile.write(self.real_crl)
        elif self.path == "/announced.crl":
            size = DEFAULT_MAX_CRL_BYTES + 1
            self._headers(size)
            for _ in range(size // len(_CHUNK)):
                self.wfile.write(_CHUNK)
            self.wfile.write(_CHUNK[: size % len(_CHUNK)])
        elif self.path == "/endless.crl":
            self._headers(None)
            while not self.stop.is_set():
                self.wfile.write(_CHUNK)
        elif self.path == "/drip.crl":
            self._headers(None)
            while not self.stop.is_set():
                self.wfile.write(b"\x30")
                self.wfile.flush()
                time.sleep(0.05)
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        self.send_error(404)

    def _headers(self, length: int | None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/pkix-crl")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture(scope="module")
def distribution_point(test_pki: TestPki) -> Iterator[str]:
    xca = test_pki.ca(Authority.XCA)
    handler = type("Handler", (_DistributionPoint,), {"stop": threading.Event()})
    handler.real_crl = (test_pki.published_directory / f"{xca.name}.crl").read_bytes()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        handler.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _card_pointing_at(test_pki: TestPki, url: str) -> x509.Certificate:
    card = test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="好帳會計師事務所",
            unified_business_number="12345675",
        )
    )
    return test_pki.reissue(
        card.signing.certificate,
        Authority.XCA,
        ocsp_url=f"{url}/ocsp",
        crl_url=url,
        record=True,
    )


def _validator(test_pki: TestPki, **options: object) -> ChainValidator:
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    return ChainValidator(
        store,
        revocation_mode=RevocationMode.HARD_FAIL,
        fetch_timeout=dt.timedelta(seconds=2),
        **options,  # type: ignore[arg-type]
    )


def test_a_crl_within_the_limit_decides(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    leaf = _card_pointing_at(test_pki, f"{distribution_point}/real.crl")
    issuer = test_pki.ca(Authority.XCA).certificate
    path = _validator(test_pki).validate(leaf, intermediates=[issuer])
    assert path.leaf_revocation.state is RevocationState.GOOD
    assert path.leaf_revocation.source is RevocationSource.CRL


def test_a_crl_announced_above_the_default_limit_is_refused(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    url = f"{distribution_point}/announced.crl"
    leaf = _card_pointing_at(test_pki, url)
    issuer = test_pki.ca(Authority.XCA).certificate
    with pytest.raises(CrlTooLargeError) as caught:
        _validator(test_pki).validate(leaf, intermediates=[issuer])
    assert caught.value.limit == DEFAULT_MAX_CRL_BYTES == 10 * 1024 * 1024
    assert caught.value.url == url
    message = str(caught.value)
    assert str(DEFAULT_MAX_CRL_BYTES) in message
    assert "max_crl_bytes" in message
    assert isinstance(caught.value, RevocationUnavailableError)


def test_a_real_crl_above_a_configured_limit_is_refused(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    leaf = _card_pointing_at(test_pki, f"{distribution_point}/real.crl")
    issuer = test_pki.ca(Authority.XCA).certificate
    with pytest.raises(CrlTooLargeError) as caught:
        _validator(test_pki, max_crl_bytes=64).validate(leaf, intermediates=[issuer])
    assert caught.value.limit == 64
    assert "64 bytes" in str(caught.value)


def test_a_crl_that_never_ends_is_cut_at_the_limit(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    leaf = _card_pointing_at(test_pki, f"{distribution_point}/endless.crl")
    issuer = test_pki.ca(Authority.XCA).certificate
    with pytest.raises(CrlTooLargeError) as caught:
        _validator(test_pki, max_crl_bytes=1024 * 1024).validate(leaf, intermediates=[issuer])
    assert caught.value.limit == 1024 * 1024


def test_a_dripping_crl_ends_with_the_fetch_timeout(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    leaf = _card_pointing_at(test_pki, f"{distribution_point}/drip.crl")
    issuer = test_pki.ca(Authority.XCA).certificate
    with pytest.raises(RevocationUnavailableError) as caught:
        _validator(test_pki).validate(leaf, intermediates=[issuer])
    assert not isinstance(caught.value, CrlTooLargeError)


def test_a_dripping_crl_is_unavailable_under_soft_fail(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    leaf = _card_pointing_at(test_pki, f"{distribution_point}/drip.crl")
    issuer = test_pki.ca(Authority.XCA).certificate
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    validator = ChainValidator(
        store, revocation_mode=RevocationMode.SOFT_FAIL, fetch_timeout=dt.timedelta(seconds=1)
    )
    path = validator.validate(leaf, intermediates=[issuer])
    assert path.leaf_revocation.state is RevocationState.UNAVAILABLE


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_byte_is_refused(test_pki: TestPki, limit: int) -> None:
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    with pytest.raises(ValidatorUsageError, match="max_crl_bytes"):
        ChainValidator(store, max_crl_bytes=limit)


def test_one_crl_is_held_once_however_many_verdicts_rest_on_it(
    test_pki: TestPki, pki_services: PkiServices, distribution_point: str
) -> None:
    """Every GOOD verdict a CRL decides carries the CRL's DER as evidence, and a verdict is
    cached per certificate: a CRL of megabytes copied into each would multiply by the cards
    seen, so all verdicts share the one copy the validator keeps."""
    issuer = test_pki.ca(Authority.XCA).certificate
    validator = _validator(test_pki)
    paths = [
        validator.validate(
            _card_pointing_at(test_pki, f"{distribution_point}/real.crl"), intermediates=[issuer]
        )
        for _ in range(3)
    ]
    published = (
        test_pki.published_directory / f"{test_pki.ca(Authority.XCA).name}.crl"
    ).read_bytes()
    evidence = [path.leaf_revocation.data.crls for path in paths]
    assert all(crls == (published,) for crls in evidence)
    assert evidence[1][0] is evidence[0][0]
    assert evidence[2][0] is evidence[0][0]
