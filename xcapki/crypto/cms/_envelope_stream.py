"""CMS envelopes for files too large to hold: the content is encrypted and decrypted as it is read.

Memory stays flat in the content's size. ``encrypt_envelope_stream`` writes
BER as ``openssl cms -encrypt -stream`` does: the outer lengths indefinite
and the encrypted content a constructed ``[0]`` of segments of at most one
chunk, so nothing needs to be known before the first byte. The GCM tag
follows the content. ``open_envelope_stream`` reads BER or DER with the
small reader of the streamed signatures: the recipient information comes
before the content, so the content key is unwrapped first and the content
is then decrypted segment by segment into ``output``.

The plaintext reaches ``output`` before the last check (the GCM tag, the CBC
padding) can be made: the caller keeps it only once the call returns, and
throws it away on ``DecryptionError``. Opening stays no oracle: every
failure that depends on the envelope is the one ``DecryptionError`` of
``open_envelope``, and a content key that fails to unwrap is replaced by a
random one, so the content is decrypted to the end either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from asn1crypto import cms, core
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.ciphers import (
    AEADDecryptionContext,
    Cipher,
    CipherContext,
    algorithms,
    modes,
)

from xcapki.crypto import _der
from xcapki.crypto.cms._envelope import (
    _GCM_NONCE_SIZE,
    DEFAULT_KEY_TRANSPORT,
    CipherChoice,
    ContentEncryption,
    DecryptionError,
    _cbc_algorithm,
    _key_transport_of,
    _recipient_for,
    _refuse,
    cipher_algorithm_identifier,
    envelope_version,
    read_cipher,
    wrap_content_key,
)
from xcapki.crypto.cms._parse import ID_DATA
from xcapki.crypto.cms._sign import SignerIdentifierType
from xcapki.crypto.cms._stream import (
    DEFAULT_CHUNK_SIZE,
    MAX_SKELETON_SIZE,
    Progress,
    _element,
    _enter,
    _octets,
    _Open,
    _pump,
    _Readable,
    _Reader,
    _Writable,
)
from xcapki.crypto.cms.errors import CmsMalformedError, CmsTooLargeError
from xcapki.decrypter import Decrypter, KeyTransport
from xcapki.token.errors import DataError

__all__ = [
    "OpenedEnvelopeStream",
    "StreamedEnvelope",
    "encrypt_envelope_stream",
    "open_envelope_stream",
]

_ENVELOPED_DATA_OID: Final = bytes(core.ObjectIdentifier("1.2.840.113549.1.7.3").dump())
_AUTH_ENVELOPED_DATA_OID: Final = bytes(core.ObjectIdentifier("1.2.840.113549.1.9.16.1.23").dump())
_ID_DATA_OID: Final = bytes(core.ObjectIdentifier(ID_DATA).dump())
_EXPLICIT_0: Final = 0xA0
_IMPLICIT_0_PRIMITIVE: Final = 0x80
_IMPLICIT_1: Final = 0xA1
_UNLIMITED: Final = 1 << 62


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedEnvelope:
    """What ``encrypt_envelope_stream`` wrote: ``size`` bytes for ``content_size`` bytes."""

    size: int
    content_size: int
    content_encryption: ContentEncryption


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedEnvelopeStream:
    """What ``open_envelope_stream`` wrote to its output, and the algorithms the envelope used."""

    content_size: int
    content_encryption: ContentEncryption
    key_transport: KeyTransport

    @property
    def authenticated(self) -> bool:
        """True when a GCM tag proved the content unchanged since it was encrypted."""
        return self.content_encryption.authenticated


def encrypt_envelope_stream(
    source: _Readable,
    output: _Writable,
    recipient: x509.Certificate,
    *,
    content_encryption: ContentEncryption = ContentEncryption.AES_256_GCM,
    key_transport: KeyTransport = DEFAULT_KEY_TRANSPORT,
    recipient_identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> StreamedEnvelope:
    """Encrypt everything ``source`` yields to ``recipient`` into ``output``, reading it once.

    The options are ``encrypt_envelope``'s; the output is BER with indefinite
    lengths, which OpenSSL, ``open_envelope`` and ``open_envelope_stream`` read.
    """
    content_key = os.urandom(content_encryption.key_size)
    recipient_info = wrap_content_key(content_key, recipient, key_transport, recipient_identifier)
    encrypt: Callable[[bytes], bytes]
    if content_encryption.authenticated:
        parameters = os.urandom(_GCM_NONCE_SIZE)
        sealer = Cipher(algorithms.AES(content_key), modes.GCM(parameters)).encryptor()
        content_type, version = _AUTH_ENVELOPED_DATA_OID, "v0"
        encrypt = sealer.update

        def finish() -> bytes:
            return sealer.finalize()

    else:
        algorithm = _cbc_algorithm(content_encryption, content_key)
        parameters = os.urandom(algorithm.block_size // 8)
        encryptor = Cipher(algorithm, modes.CBC(parameters)).encryptor()
        padder = symmetric_padding.PKCS7(algorithm.block_size).padder()
        content_type, version = _ENVELOPED_DATA_OID, envelope_version(recipient_identifier)

        def encrypt(chunk: bytes) -> bytes:
            return encryptor.update(padder.update(chunk))

        def finish() -> bytes:
            return encryptor.update(padder.finalize()) + encryptor.finalize()

    written = 0

    def write(data: bytes) -> None:
        nonlocal written
        if data:
            output.write(data)
            written += len(data)

    def segment(ciphertext: bytes) -> None:
        if ciphertext:
            write(_der.header(_der.OCTET_STRING, len(ciphertext)) + ciphertext)

    write(
        _der.indefinite_header(_der.SEQUENCE)
        + content_type
        + _der.indefinite_header(_EXPLICIT_0)
        + _der.indefinite_header(_der.SEQUENCE)
        + bytes(core.Integer(int(version[1:])).dump())
        + bytes(cms.RecipientInfos([recipient_info]).dump())
        + _der.indefinite_header(_der.SEQUENCE)
        + _ID_DATA_OID
        + bytes(cipher_algorithm_identifier(content_encryption, parameters).dump())
        + _der.indefinite_header(_EXPLICIT_0)
    )
    content_size = _pump(source, chunk_size, lambda chunk: segment(encrypt(chunk)), progress)
    segment(finish())
    write(_der.END_OF_CONTENTS * 2)
    if content_encryption.authenticated:
        write(_der.tlv(_der.OCTET_STRING, sealer.tag))
    write(_der.END_OF_CONTENTS * 3)
    return StreamedEnvelope(
        size=written, content_size=content_size, content_encryption=content_encryption
    )


def open_envelope_stream(
    source: _Readable,
    output: _Writable,
    decrypter: Decrypter,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> OpenedEnvelopeStream:
    """Decrypt a BER or DER EnvelopedData / AuthEnvelopedData from ``source`` into ``output``.

    Keep what ``output`` received only when this returns: on the one
    ``DecryptionError`` (see the module docstring) it holds content that did
    not pass the tag or padding check. An AuthEnvelopedData whose
    authenticated attributes follow its content cannot be checked in one
    pass and gets that error too; ``open_envelope`` reads it. Errors of the
    decrypter that are not about the ciphertext, and of ``output``, pass through.
    """
    try:
        return _open(_Reader(source, limit=_UNLIMITED), output, decrypter, chunk_size, progress)
    except (CmsMalformedError, CmsTooLargeError):
        raise _refuse("unreadable structure") from None


@dataclass(frozen=True, slots=True)
class _Header:
    """What the envelope says before its content."""

    encrypted_key: bytes
    key_transport: KeyTransport
    choice: CipherChoice


def _header(infos: bytes, algorithm: bytes, certificate: x509.Certificate) -> _Header:
    """The recipient's wrapped key and key transport, and the content cipher."""
    try:
        recipient = _recipient_for(cms.RecipientInfos.load(infos, strict=True), certificate)
        return _Header(
            encrypted_key=recipient["encrypted_key"].native,
            key_transport=_key_transport_of(recipient["key_encryption_algorithm"]),
            choice=read_cipher(cms.EncryptionAlgorithm.load(algorithm, strict=True)),
        )
    except DecryptionError:
        raise
    except Exception as exc:  # asn1crypto raises many types on hostile input
        raise _refuse(f"unreadable recipient or cipher ({type(exc).__name__})") from None


def _tag(field: bytes) -> bytes:
    """The GCM tag, an OCTET STRING."""
    try:
        tag = core.OctetString.load(field, strict=True).native
    except Exception as exc:  # asn1crypto raises many types on hostile input
        raise _refuse(f"unreadable tag ({type(exc).__name__})") from None
    if not isinstance(tag, bytes):
        raise _refuse("the tag is no OCTET STRING")
    return tag


class _Content:
    """The content's decryption: the cipher, the CBC unpadder, and the bytes written so far."""

    def __init__(self, choice: CipherChoice, key: bytes, output: _Writable) -> None:
        self.size = 0
        self.failed = False
        self._output = output
        self._ciphertext_size = 0
        self._gcm: AEADDecryptionContext | None = None
        self._unpadder: symmetric_padding.PaddingContext | None = None
        if choice.content_encryption.authenticated:
            mode = modes.GCM(choice.parameters, min_tag_length=choice.tag_size)
            self._gcm = Cipher(algorithms.AES(key), mode).decryptor()
            self._decryptor: CipherContext = self._gcm
            return
        algorithm = _cbc_algorithm(choice.content_encryption, key)
        iv = choice.parameters
        if len(iv) != algorithm.block_size // 8:
            iv = os.urandom(algorithm.block_size // 8)
            self.failed = True
        self._decryptor = Cipher(algorithm, modes.CBC(iv)).decryptor()
        self._unpadder = symmetric_padding.PKCS7(algorithm.block_size).unpadder()

    def update(self, ciphertext: bytes) -> None:
        self._ciphertext_size += len(ciphertext)
        plain = self._decryptor.update(ciphertext)
        if self._unpadder is not None:
            plain = self._unpadder.update(plain)
        self._emit(plain)

    def finish(self, tag: bytes) -> bool:
        """Flush the last bytes; True when the tag or the padding is right."""
        try:
            if self._gcm is not None:
                self._emit(self._gcm.finalize_with_tag(tag))
            elif self._unpadder is not None and self._ciphertext_size:
                last = self._decryptor.finalize()
                self._emit(self._unpadder.update(last) + self._unpadder.finalize())
            else:
                return False
        except (InvalidTag, ValueError):
            return False
        return not self.failed

    def _emit(self, plain: bytes) -> None:
        if plain:
            self._output.write(plain)
            self.size += len(plain)


def _open(
    reader: _Reader,
    output: _Writable,
    decrypter: Decrypter,
    chunk_size: int,
    progress: Progress | None,
) -> OpenedEnvelopeStream:
    budget = [MAX_SKELETON_SIZE]
    info = _enter(reader, _der.SEQUENCE, "the ContentInfo")
    content_type = _element(reader, budget)
    if content_type not in (_ENVELOPED_DATA_OID, _AUTH_ENVELOPED_DATA_OID):
        raise _refuse("the content type is not an envelope")
    authenticated = content_type == _AUTH_ENVELOPED_DATA_OID
    explicit = _enter(reader, _EXPLICIT_0, "the ContentInfo's content")
    body = _enter(reader, _der.SEQUENCE, "the envelope")
    _element(reader, budget)  # the version
    infos = _element(reader, budget)
    if infos[0] == _EXPLICIT_0:  # originatorInfo, of no use to key transport
        infos = _element(reader, budget)
    encrypted = _enter(reader, _der.SEQUENCE, "the EncryptedContentInfo")
    _element(reader, budget)  # the content type of the plaintext
    header = _header(infos, _element(reader, budget), decrypter.certificate)
    choice = header.choice
    if choice.content_encryption.authenticated != authenticated:
        raise _refuse("a cipher that does not fit the content type")
    if not encrypted.more():
        raise _refuse("the encrypted content is detached")
    key_size = choice.content_encryption.key_size
    try:
        content_key = decrypter.decrypt(header.encrypted_key, padding=header.key_transport)
    except (DecryptionError, DataError):
        content_key = b""
    content = _Content(
        choice, content_key if len(content_key) == key_size else os.urandom(key_size), output
    )
    content.failed = content.failed or len(content_key) != key_size

    def sink(ciphertext: bytes) -> None:
        content.update(ciphertext)
        if progress is not None:
            progress(len(ciphertext))

    _encrypted_content(reader, chunk_size, sink)
    encrypted.close("the EncryptedContentInfo")
    tag = b""
    if authenticated:
        field = _element(reader, budget)
        if field[0] == _IMPLICIT_1:
            raise _refuse("authenticated attributes after the content cannot be streamed")
        tag = _tag(field)
        if len(tag) != choice.tag_size:
            raise _refuse("a GCM tag of the wrong size")
    while body.more():
        _element(reader, budget)  # unprotected or unauthenticated attributes
    explicit.close("the ContentInfo's content")
    info.close("the ContentInfo")
    if reader.next_byte() is not None:
        raise _refuse("bytes after the envelope")
    if not content.finish(tag):
        raise _refuse("the content did not decrypt")
    return OpenedEnvelopeStream(
        content_size=content.size,
        content_encryption=choice.content_encryption,
        key_transport=header.key_transport,
    )


def _encrypted_content(reader: _Reader, chunk_size: int, sink: Callable[[bytes], None]) -> None:
    """Stream ``[0] IMPLICIT`` encryptedContent (primitive, or constructed of OCTET STRINGs)."""
    tag, length = reader.header()
    if tag == bytes((_IMPLICIT_0_PRIMITIVE,)):
        assert length is not None  # the reader refuses primitive indefinite lengths
        while length:
            piece = reader.read(min(length, chunk_size))
            sink(piece)
            length -= len(piece)
        return
    if tag != bytes((_EXPLICIT_0,)):
        raise _refuse("the encrypted content is not an OCTET STRING")
    segments = _Open(reader, length)
    while segments.more():
        _octets(reader, chunk_size, sink, depth=1)
