"""An OCSP responder (RFC 6960) for the test PKI, on loopback, in-process.

It answers from the CA's index file on every request, so revocations made by
any process show at once, and it can be told to misbehave the ways real
responders do: stale answers, a signer the CA never authorised, silence.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import http.server
import threading
import urllib.parse
from dataclasses import dataclass

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from xcapki.testing.pki import LOOPBACK, CaCredentials, IssuedKey
from xcapki.testing.revocation_index import RevocationIndex

_MAX_REQUEST = 64 * 1024


class ResponderBehaviour(enum.Enum):
    """How the responder answers; anything but ``CORRECT`` exists to test verifiers."""

    CORRECT = "correct"
    STALE = "stale"
    """thisUpdate and nextUpdate both in the past."""
    UNAUTHORISED_SIGNER = "unauthorised-signer"
    """Signed by a key that holds no OCSPSigning certificate from this CA."""
    TRY_LATER = "try-later"
    """The tryLater error status, no answer."""


@dataclass(slots=True, kw_only=True)
class ResponderSettings:
    """Knobs a test turns while the responder runs."""

    behaviour: ResponderBehaviour = ResponderBehaviour.CORRECT
    validity: dt.timedelta = dt.timedelta(hours=1)
    rogue_signer: IssuedKey | None = None


class OcspResponder:
    """One CA's OCSP responder on ``127.0.0.1:port``; counts the requests it answers."""

    def __init__(self, ca: CaCredentials, port: int) -> None:
        self.ca = ca
        self.port = port
        self.settings = ResponderSettings()
        self._count_lock = threading.Lock()
        self._request_count = 0
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= _MAX_REQUEST:
                    self._reply(_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
                    return
                self._reply(responder.answer(self.rfile.read(length)))

            def do_GET(self) -> None:
                encoded = urllib.parse.unquote(self.path.lstrip("/"))
                try:
                    request = base64.b64decode(encoded, validate=True)
                except ValueError:
                    self._reply(_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
                    return
                self._reply(responder.answer(request))

            def _reply(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Requests are counted, not logged."""

        self._server = http.server.ThreadingHTTPServer((LOOPBACK, port), Handler)
        self._thread: threading.Thread | None = None

    @property
    def request_count(self) -> int:
        """How many requests reached the responder since it started."""
        with self._count_lock:
            return self._request_count

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"xcapki-ocsp-{self.ca.name}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def answer(self, request_der: bytes) -> bytes:
        """The DER OCSP response to ``request_der``."""
        with self._count_lock:
            self._request_count += 1
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return _error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        settings = self.settings
        if settings.behaviour is ResponderBehaviour.TRY_LATER:
            return _error(ocsp.OCSPResponseStatus.TRY_LATER)
        if not self._is_for_this_ca(request):
            return _error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        this_update = now - dt.timedelta(minutes=1)
        next_update = now + settings.validity
        if settings.behaviour is ResponderBehaviour.STALE:
            this_update, next_update = now - dt.timedelta(days=2), now - dt.timedelta(days=1)
        signer = self.ca.ocsp_signer
        if settings.behaviour is ResponderBehaviour.UNAUTHORISED_SIGNER:
            signer = settings.rogue_signer or signer
        status, revoked_at, reason = self._status(request.serial_number)
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=revoked_at,
            revocation_reason=reason,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, signer.certificate)
        builder = builder.certificates([signer.certificate])
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                builder = builder.add_extension(extension.value, critical=False)
        response = builder.sign(signer.private_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def _is_for_this_ca(self, request: ocsp.OCSPRequest) -> bool:
        certificate = self.ca.certificate
        name_hash = hashes.Hash(request.hash_algorithm)
        name_hash.update(certificate.subject.public_bytes())
        key_hash = hashes.Hash(request.hash_algorithm)
        key_hash.update(_subject_public_key_bits(certificate))
        return (
            request.issuer_name_hash == name_hash.finalize()
            and request.issuer_key_hash == key_hash.finalize()
        )

    def _status(
        self, serial: int
    ) -> tuple[ocsp.OCSPCertStatus, dt.datetime | None, x509.ReasonFlags | None]:
        index = RevocationIndex(self.ca.index.path)
        if not index.knows(serial):
            return ocsp.OCSPCertStatus.UNKNOWN, None, None
        for entry in index.revoked():
            if entry.serial == serial:
                reason = entry.reason.crl_reason if entry.reason is not None else None
                return ocsp.OCSPCertStatus.REVOKED, entry.revoked_at, reason
        return ocsp.OCSPCertStatus.GOOD, None, None


def _error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER
    )


def _subject_public_key_bits(certificate: x509.Certificate) -> bytes:
    """The subjectPublicKey BIT STRING's bytes, which RFC 6960's issuerKeyHash covers."""
    spki = keys.PublicKeyInfo.load(
        certificate.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    bits: bytes = spki["public_key"].contents[1:]
    return bits
