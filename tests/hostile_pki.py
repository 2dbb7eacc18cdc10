"""Hostile card certificates and signatures, built without the code under test.

A card certificate is taken apart with asn1crypto into its extensions (OID,
critical flag, raw value) and names, changed, and signed again with the
issuing CA's key through ``cryptography``; signatures come from
``cryptography``'s PKCS#7 builder or ``openssl cms -sign``. Nothing here
calls xcapki's certificate reader, CMS code or validator, so a bug there
cannot hide itself in the inputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import enum
import http.server
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path

from asn1crypto import core, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import AuthorityInformationAccessOID

SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
KEY_USAGE = "2.5.29.15"
EXTENDED_KEY_USAGE = "2.5.29.37"
BASIC_CONSTRAINTS = "2.5.29.19"
AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"
AUTHORITY_INFORMATION_ACCESS = "1.3.6.1.5.5.7.1.1"
CRL_DISTRIBUTION_POINTS = "2.5.29.31"
DER = serialization.Encoding.DER


class _Attribute(core.Sequence):  # type: ignore[misc]
    _fields = [("type", core.ObjectIdentifier), ("values", core.SetOf, {"spec": core.Any})]  # noqa: RUF012


class _Attributes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Attribute


@dataclasses.dataclass(frozen=True)
class RawExtension:
    oid: str
    critical: bool
    value: bytes


@dataclasses.dataclass(frozen=True)
class CertificateParts:
    """What a mutation may change: the extensions in order, the two names (DER) and the
    two unique identifiers (BIT STRING contents, first byte the unused-bit count)."""

    extensions: tuple[RawExtension, ...]
    subject: bytes
    issuer: bytes
    issuer_unique_id: bytes | None = None
    subject_unique_id: bytes | None = None


def _tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([length])
    else:
        size = (length.bit_length() + 7) // 8
        header = bytes([0x80 | size]) + length.to_bytes(size, "big")
    return bytes([tag]) + header + content


def encode_extension(extension: RawExtension) -> bytes:
    oid = core.ObjectIdentifier(extension.oid).dump()
    critical = b"\x01\x01\xff" if extension.critical else b""
    return _tlv(0x30, oid + critical + _tlv(0x04, extension.value))


def parts_of(certificate: x509.Certificate) -> CertificateParts:
    """The extensions and names of ``certificate``, as they are encoded."""
    tbs = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))[
        "tbs_certificate"
    ]
    extensions = tuple(
        RawExtension(
            oid=extension["extn_id"].dotted,
            critical=bool(extension["critical"].native),
            value=extension["extn_value"].contents,
        )
        for extension in tbs["extensions"]
    )
    return CertificateParts(
        extensions=extensions, subject=tbs["subject"].dump(), issuer=tbs["issuer"].dump()
    )


def rebuild(
    template: x509.Certificate, parts: CertificateParts, ca_key: rsa.RSAPrivateKey
) -> bytes:
    """``template`` with ``parts`` put in, signed again (SHA-256 with RSA) by ``ca_key``."""
    certificate = asn1_x509.Certificate.load(template.public_bytes(serialization.Encoding.DER))
    tbs = certificate["tbs_certificate"]
    fields = [
        tbs["version"].dump(force=True) if tbs["version"].native != "v1" else b"",
        tbs["serial_number"].dump(),
        _tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.1.11").dump() + b"\x05\x00"),
        parts.issuer,
        tbs["validity"].dump(),
        parts.subject,
        tbs["subject_public_key_info"].dump(),
    ]
    if parts.issuer_unique_id is not None:
        fields.append(_tlv(0x81, parts.issuer_unique_id))
    if parts.subject_unique_id is not None:
        fields.append(_tlv(0x82, parts.subject_unique_id))
    if parts.extensions:
        body = b"".join(encode_extension(e) for e in parts.extensions)
        fields.append(_tlv(0xA3, _tlv(0x30, body)))
    tbs_der = _tlv(0x30, b"".join(fields))
    signature = ca_key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA256())
    algorithm = _tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.1.11").dump() + b"\x05\x00")
    return _tlv(0x30, tbs_der + algorithm + _tlv(0x03, b"\x00" + signature))


def directory_attributes(value: bytes) -> list[tuple[str, list[bytes]]]:
    """The (type, values DER) pairs of a subjectDirectoryAttributes value."""
    return [
        (item["type"].dotted, [v.dump() for v in item["values"]])
        for item in _Attributes.load(value)
    ]


def encode_directory_attributes(entries: Sequence[tuple[str, Sequence[bytes]]]) -> bytes:
    """A subjectDirectoryAttributes value from (type, values DER) pairs, in the order given."""
    body = b"".join(
        _tlv(0x30, core.ObjectIdentifier(oid).dump() + _tlv(0x31, b"".join(values)))
        for oid, values in entries
    )
    return _tlv(0x30, body)


def replace_extension(
    parts: CertificateParts, oid: str, value: bytes | None, *, critical: bool = False
) -> CertificateParts:
    """``parts`` with the extension ``oid`` set to ``value`` (None drops it); added at the end."""
    kept = [e for e in parts.extensions if e.oid != oid]
    if value is not None:
        position = next((i for i, e in enumerate(parts.extensions) if e.oid == oid), len(kept))
        kept.insert(position, RawExtension(oid=oid, critical=critical, value=value))
    return dataclasses.replace(parts, extensions=tuple(kept))


def name_der(name: x509.Name) -> bytes:
    return name.public_bytes()


def sign_attached(
    data: bytes,
    certificate_der: bytes,
    key: rsa.RSAPrivateKey,
    *,
    detached: bool = False,
    extra_certificates: Sequence[bytes] = (),
) -> bytes:
    """A SignedData over ``data`` by ``cryptography``'s PKCS#7 builder (attached by default),
    carrying ``extra_certificates`` beside the signer's."""
    certificate = x509.load_der_x509_certificate(certificate_der)
    options = [pkcs7.PKCS7Options.Binary]
    if detached:
        options.append(pkcs7.PKCS7Options.DetachedSignature)
    builder = (
        pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(certificate, key, hashes.SHA256())
    )
    for extra in extra_certificates:
        builder = builder.add_certificate(x509.load_der_x509_certificate(extra))
    return builder.sign(DER, options)


def openssl_sign_detached_noattr(
    openssl: str, data: bytes, certificate_der: bytes, key: rsa.RSAPrivateKey, workdir: Path
) -> bytes:
    """``openssl cms -sign -noattr``: the SmartPKI shape, detached, no signed attributes."""
    cert_path = workdir / "signer.pem"
    key_path = workdir / "signer.key"
    data_path = workdir / "data.bin"
    cert_path.write_bytes(
        x509.load_der_x509_certificate(certificate_der).public_bytes(serialization.Encoding.PEM)
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    data_path.write_bytes(data)
    return subprocess.run(
        [
            openssl,
            "cms",
            "-sign",
            "-binary",
            "-noattr",
            "-md",
            "sha256",
            "-outform",
            "DER",
            "-signer",
            str(cert_path),
            "-inkey",
            str(key_path),
            "-in",
            str(data_path),
        ],
        check=True,
        capture_output=True,
    ).stdout


class OcspAnswer(enum.Enum):
    """What ``HostileOcspResponder`` sends back."""

    GOOD = "good"
    WRONG_NONCE = "wrong-nonce"
    OTHER_SERIAL = "other-serial"
    SHA1_SIGNED = "sha1-signed"
    UNAUTHORIZED = "unauthorized"
    HTML_PAGE = "html-page"
    FOUR_MEGABYTES = "four-megabytes"
    FOUR_MEGABYTES_UNANNOUNCED = "four-megabytes-unannounced"
    """4 MB without a Content-Length: the body ends when the connection closes."""
    HTTP_500 = "http-500"


class HostileOcspResponder:
    """An OCSP responder on loopback answering for one CA the way a test chooses.

    Its answers are built with asn1crypto and signed with the CA's own key
    through ``cryptography`` (the CA answers for itself, RFC 6960 2.6).
    """

    def __init__(self, ca_certificate: x509.Certificate, ca_key: rsa.RSAPrivateKey) -> None:
        self.answer = OcspAnswer.GOOD
        self._ca = asn1_x509.Certificate.load(ca_certificate.public_bytes(DER))
        self._key = ca_key
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status, content_type, body = responder.respond(self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                if responder.answer is not OcspAnswer.FOUR_MEGABYTES_UNANNOUNCED:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # a client that refuses an oversized answer hangs up mid-body, as it should
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def respond(self, request_der: bytes) -> tuple[int, str, bytes]:
        """(HTTP status, content type, body) for ``request_der`` under the current answer."""
        answer = self.answer
        if answer is OcspAnswer.HTTP_500:
            return 500, "text/plain", b"internal error"
        if answer is OcspAnswer.HTML_PAGE:
            page = b"<html><body><h1>Proxy login required</h1></body></html>" * 4
            return 200, "text/html", page
        if answer in (OcspAnswer.FOUR_MEGABYTES, OcspAnswer.FOUR_MEGABYTES_UNANNOUNCED):
            return 200, "application/ocsp-response", b"\x30" + bytes(4 * 1024 * 1024)
        if answer is OcspAnswer.UNAUTHORIZED:
            return (
                200,
                "application/ocsp-response",
                ocsp.OCSPResponse({"response_status": "unauthorized"}).dump(),
            )
        return 200, "application/ocsp-response", self._basic(request_der, answer)

    def _basic(self, request_der: bytes, answer: OcspAnswer) -> bytes:
        request = ocsp.OCSPRequest.load(request_der)
        cert_id = request["tbs_request"]["request_list"][0]["req_cert"]
        if answer is OcspAnswer.OTHER_SERIAL:
            cert_id = ocsp.CertId(
                {
                    "hash_algorithm": cert_id["hash_algorithm"],
                    "issuer_name_hash": cert_id["issuer_name_hash"].native,
                    "issuer_key_hash": cert_id["issuer_key_hash"].native,
                    "serial_number": cert_id["serial_number"].native + 1,
                }
            )
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        extensions = []
        nonce = request.nonce_value
        if nonce is not None:
            value = bytes(16) if answer is OcspAnswer.WRONG_NONCE else nonce.native
            extensions.append({"extn_id": "nonce", "critical": False, "extn_value": value})
        data = ocsp.ResponseData(
            {
                "version": "v1",
                "responder_id": ocsp.ResponderId(name="by_key", value=self._ca.public_key.sha1),
                "produced_at": now,
                "responses": [
                    {
                        "cert_id": cert_id,
                        "cert_status": ocsp.CertStatus(name="good", value=core.Null()),
                        "this_update": now - datetime.timedelta(minutes=1),
                        "next_update": now + datetime.timedelta(hours=1),
                    }
                ],
                "response_extensions": extensions or None,
            }
        )
        sha1 = answer is OcspAnswer.SHA1_SIGNED
        digest = hashes.SHA1() if sha1 else hashes.SHA256()  # noqa: S303 - the weak case on purpose
        signature = self._key.sign(data.dump(), padding.PKCS1v15(), digest)
        basic = ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": data,
                "signature_algorithm": {"algorithm": "sha1_rsa" if sha1 else "sha256_rsa"},
                "signature": signature,
            }
        )
        return ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        ).dump()


def revocation_addresses(
    parts: CertificateParts, *, ocsp_url: str, crl_url: str
) -> CertificateParts:
    """``parts`` naming ``ocsp_url`` as its responder and ``crl_url`` as its CRL."""
    access = x509.AuthorityInformationAccess(
        [
            x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)
            )
        ]
    )
    points = x509.CRLDistributionPoints(
        [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
    )
    parts = replace_extension(parts, AUTHORITY_INFORMATION_ACCESS, access.public_bytes())
    return replace_extension(parts, CRL_DISTRIBUTION_POINTS, points.public_bytes())


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(DER)


def look_alike_ca(subject: x509.Name) -> x509.Certificate:
    """A self-signed CA certificate named ``subject``, with a P-256 key of its own."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
