"""The test TSA answers RFC 3161 requests that OpenSSL makes and verifies, over HTTP."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from xcapki.testing import PkiServices, TestPki
from xcapki.testing.revocation_index import RevocationIndex
from xcapki.testing.tsa import TEST_TSA_POLICY

pytestmark = [pytest.mark.openssl]


def _post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/timestamp-query"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Type"] == "application/timestamp-reply"
        data: bytes = answer.read()
        return data


def test_openssl_verifies_the_token_for_its_own_request(
    tmp_path: Path, test_pki: TestPki, pki_services: PkiServices
) -> None:
    tsa = pki_services.timestamp_authority()
    document = tmp_path / "document.txt"
    document.write_bytes(b"the filing")
    query = tmp_path / "request.tsq"
    subprocess.run(
        ["openssl", "ts", "-query", "-data", str(document), "-sha256", "-cert", "-out", str(query)],
        check=True,
        capture_output=True,
    )
    issued = tsa.issued
    reply = tmp_path / "reply.tsr"
    reply.write_bytes(_post(tsa.url, query.read_bytes()))
    assert tsa.issued == issued + 1
    verified = subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-data",
            str(document),
            "-in",
            str(reply),
            "-CAfile",
            str(test_pki.root_certificate_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "Verification: OK" in verified.stdout
    shown = subprocess.run(
        ["openssl", "ts", "-reply", "-in", str(reply), "-text"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert TEST_TSA_POLICY in shown


def test_the_tsa_certificate_is_for_timestamping_only_and_known_to_the_root_responder(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    certificate = pki_services.timestamp_authority().certificate
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical
    assert list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert certificate.issuer == test_pki.root.certificate.subject
    assert test_pki.root.index.knows(certificate.serial_number)


def test_an_empty_request_is_refused_and_garbage_is_rejected(pki_services: PkiServices) -> None:
    tsa = pki_services.timestamp_authority()
    with pytest.raises(urllib.error.HTTPError) as refused:
        _post(tsa.url, b"")
    assert refused.value.code == 400
    status = tsp.PKIStatusInfo.load(core.Sequence.load(_post(tsa.url, b"not a request"))[0].dump())
    assert status["status"].native == "rejection"


def test_issuing_the_tsa_keeps_the_roots_other_certificates_known(
    test_pki: TestPki, pki_services: PkiServices
) -> None:
    tsa = pki_services.timestamp_authority()
    on_file = RevocationIndex(test_pki.root.index.path)  # what the root's responder reads
    assert on_file.knows(tsa.certificate.serial_number)
    for ca in test_pki.authorities[1:]:
        assert on_file.knows(ca.certificate.serial_number), ca.name
