"""A time-stamping authority (RFC 3161) for the test PKI, on loopback.

HTTP in front of ``openssl ts -reply``: the tokens come from OpenSSL, not from
the code that requests and checks them. The TSA's certificate is issued by the
test GRCA root (critical extendedKeyUsage timeStamping, OCSP and CRL addresses
of the root), so PAdES B-LT can embed its revocation data like the signer's.
"""

from __future__ import annotations

import datetime as dt
import http.server
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from xcapki.testing._tools import run_tool
from xcapki.testing.errors import TestingError
from xcapki.testing.keys import KeyAlgorithm, read_private_key, write_private_key
from xcapki.testing.pki import LOOPBACK, CaCredentials, IssuedKey, TestPki

__all__ = ["TEST_TSA_POLICY", "TimestampAuthority", "timestamping_key"]

TEST_TSA_POLICY: Final = "1.3.6.1.4.1.4146.99.1"
"""The policy OID the test TSA puts in its tokens (an arc reserved for tests)."""

_MAX_REQUEST: Final = 16 * 1024
_CONFIG: Final = """\
[ tsa ]
default_tsa = xcapki_test_tsa

[ xcapki_test_tsa ]
dir = {directory}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/chain.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def timestamping_key(pki: TestPki) -> IssuedKey:
    """The test TSA's certificate and key under ``pki``, issued on first use."""
    directory = pki.directory / "tsa"
    certificate_path = directory / "tsa.pem"
    key_path = directory / "tsa.key"
    if certificate_path.exists():
        return IssuedKey(
            certificate=x509.load_pem_x509_certificate(certificate_path.read_bytes()),
            private_key=read_private_key(key_path),
            certificate_path=certificate_path,
            private_key_path=key_path,
        )
    directory.mkdir(parents=True, exist_ok=True)
    root = pki.root
    key = KeyAlgorithm.RSA_2048.generate()
    certificate = _tsa_certificate(root, key.public_key())
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    write_private_key(key, key_path)
    (directory / "chain.pem").write_bytes(root.certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "serial").write_text("01\n")
    root.index.add(certificate)
    return IssuedKey(
        certificate=certificate,
        private_key=key,
        certificate_path=certificate_path,
        private_key_path=key_path,
    )


def _tsa_certificate(root: CaCredentials, public_key: object) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "行政院"),
            x509.NameAttribute(NameOID.COMMON_NAME, "xcapki Test Time-Stamping Authority"),
        ]
    )
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    access = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(root.ocsp_url)
            )
        ]
    )
    points = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(root.crl_url)], None, None, None)]
    )
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root.certificate.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(secrets.randbits(63) | (1 << 62))
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365 * 5))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(public_key),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root.key.private_key.public_key()),
            critical=False,
        )
        .add_extension(access, critical=False)
        .add_extension(points, critical=False)
        .sign(root.key.private_key, hashes.SHA256())
    )


class TimestampAuthority:
    """The test PKI's TSA on ``http://127.0.0.1:<port>/``; counts the tokens it issued.

    Requests are answered one at a time (OpenSSL's serial file is not shared
    safely), each by one ``openssl ts -reply`` run.
    """

    def __init__(self, pki: TestPki, *, port: int = 0) -> None:
        self.key = timestamping_key(pki)
        self.directory = self.key.certificate_path.parent
        self._config = self.directory / "openssl-ts.cnf"
        self._config.write_text(_CONFIG.format(directory=self.directory, policy=TEST_TSA_POLICY))
        self._lock = threading.Lock()
        self._issued = 0
        authority = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= _MAX_REQUEST:
                    self.send_error(400, "a time-stamp request of 1 byte to 16 KiB is expected")
                    return
                try:
                    body = authority.reply(self.rfile.read(length))
                except (TestingError, OSError):
                    self.send_error(500, "the time-stamp request could not be answered")
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Requests are counted, not logged."""

        self._server = http.server.ThreadingHTTPServer((LOOPBACK, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def certificate(self) -> x509.Certificate:
        """The TSA's signing certificate."""
        return self.key.certificate

    @property
    def url(self) -> str:
        """Where to POST ``application/timestamp-query`` requests."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/"

    @property
    def issued(self) -> int:
        """How many tokens the TSA issued since it started."""
        with self._lock:
            return self._issued

    def reply(self, request: bytes) -> bytes:
        """The DER TimeStampResp to a DER TimeStampReq, from ``openssl ts -reply``."""
        with self._lock, tempfile.TemporaryDirectory(dir=self.directory) as scratch:
            query = Path(scratch) / "request.tsq"
            answer = Path(scratch) / "response.tsr"
            query.write_bytes(request)
            run_tool(
                "openssl",
                [
                    "ts",
                    "-reply",
                    "-config",
                    str(self._config),
                    "-queryfile",
                    str(query),
                    "-out",
                    str(answer),
                ],
            )
            self._issued += 1
            return answer.read_bytes()

    def start(self) -> TimestampAuthority:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="xcapki-test-tsa", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
