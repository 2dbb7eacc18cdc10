"""A minimal PIV card application (NIST SP 800-73-4) for the vpcd virtual card emulator.

OpenSC recognises a card that answers SELECT of the PIV application, so with
this responder a real PKCS#11 module on PC/SC (OpenSC's, through pcscd and
vpcd) sees a token, reads its certificate and signs. It holds one EC P-256 key
in slot 9C (digital signature) with its certificate; it answers SELECT, GET
DATA (the certificate, everything else not found), VERIFY (8-byte PIN padded
with FF; an empty VERIFY asks whether it is verified) and GENERAL AUTHENTICATE
(ECDSA of the hash it is given), with command chaining and 61xx response
chaining. It is a card emulator, not a mock: the PKCS#11 module, pcscd and the
reader driver under test are the real ones.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

PIV_AID_PREFIX = bytes.fromhex("A000000308")
_OK = b"\x90\x00"
_NOT_FOUND = b"\x6a\x82"
_SIGNATURE_CERTIFICATE_TAG = bytes.fromhex("5FC10A")  # key reference 9C
_HASHES = {32: hashes.SHA256(), 48: hashes.SHA384(), 64: hashes.SHA512()}


def _tlv(tag: bytes, value: bytes) -> bytes:
    size = len(value)
    if size < 0x80:
        length = bytes((size,))
    elif size < 0x100:
        length = bytes((0x81, size))
    else:
        length = bytes((0x82, size >> 8, size & 0xFF))
    return tag + length + value


def _tlv_values(data: bytes) -> dict[int, bytes]:
    """One level of single-byte-tag BER-TLV (enough for GENERAL AUTHENTICATE's template)."""
    found: dict[int, bytes] = {}
    index = 0
    while index + 2 <= len(data):
        tag, size = data[index], data[index + 1]
        index += 2
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(data[index : index + count], "big")
            index += count
        found[tag] = data[index : index + size]
        index += size
    return found


class PivApplet:
    """The card's state: PIN, verification, pending response and chained command."""

    def __init__(
        self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, pin: str
    ) -> None:
        self._key = key
        self._certificate_object = _tlv(
            b"\x53",
            _tlv(b"\x70", certificate.public_bytes(serialization.Encoding.DER))
            + b"\x71\x01\x00\xfe\x00",
        )
        self._pin = pin.encode().ljust(8, b"\xff")
        self._verified = False
        self._tries = 3
        self._pending = b""
        self._chained = b""

    def respond(self, apdu: bytes) -> bytes:
        cla, ins, p1, p2 = apdu[:4]
        body, le = self._body(apdu)
        if ins == 0xC0:
            return self._send(b"", le)
        self._pending = b""
        if cla & 0x10:
            self._chained += body
            return _OK
        body, self._chained = self._chained + body, b""
        if ins == 0xA4 and p1 == 0x04:
            return self._select(body, le)
        if ins == 0xCB:
            wanted = _tlv_values(body).get(0x5C, b"")
            if wanted == _SIGNATURE_CERTIFICATE_TAG:
                return self._send(self._certificate_object, le)
            return _NOT_FOUND
        if ins == 0x20 and p2 == 0x80:
            return self._verify(body)
        if ins == 0x87 and p2 == 0x9C:
            return self._authenticate(body, le)
        return b"\x6d\x00"

    @staticmethod
    def _body(apdu: bytes) -> tuple[bytes, int]:
        if len(apdu) <= 4:
            return b"", 0
        if len(apdu) == 5:
            return b"", apdu[4] or 256
        size = apdu[4]
        body = apdu[5 : 5 + size]
        rest = apdu[5 + size :]
        return body, (rest[0] or 256) if rest else 0

    def _send(self, data: bytes, le: int) -> bytes:
        data = data or self._pending
        chunk = data[: le or 256]
        self._pending = data[len(chunk) :]
        if self._pending:
            return chunk + bytes((0x61, len(self._pending) if len(self._pending) < 256 else 0))
        return chunk + _OK

    def _select(self, body: bytes, le: int) -> bytes:
        if not body.startswith(PIV_AID_PREFIX):
            return _NOT_FOUND
        template = _tlv(b"\x4f", bytes.fromhex("000010000100"))
        template += _tlv(b"\x79", _tlv(b"\x4f", PIV_AID_PREFIX))
        return self._send(_tlv(b"\x61", template), le)

    def _verify(self, body: bytes) -> bytes:
        if not body:
            return _OK if self._verified else bytes((0x63, 0xC0 | self._tries))
        if self._tries == 0:
            return b"\x69\x83"
        if body == self._pin:
            self._verified, self._tries = True, 3
            return _OK
        self._verified = False
        self._tries -= 1
        return bytes((0x63, 0xC0 | self._tries)) if self._tries else b"\x69\x83"

    def _authenticate(self, body: bytes, le: int) -> bytes:
        if not self._verified:
            return b"\x69\x82"
        template = _tlv_values(_tlv_values(body).get(0x7C, b""))
        digest = template.get(0x81)
        if digest is None or len(digest) not in _HASHES:
            return b"\x6a\x80"
        signature = self._key.sign(digest, ec.ECDSA(Prehashed(_HASHES[len(digest)])))
        return self._send(_tlv(b"\x7c", _tlv(b"\x82", signature)), le)
