"""CMS SignedData for files too large to hold: the content is hashed while it is read.

Memory stays flat in the content's size. Detached signing and verifying read
the content once, in chunks, and keep only its hash. An attached signature
is written in BER, as RFC 5652 allows and ``openssl cms -stream`` does: the
outer lengths indefinite and the content a constructed OCTET STRING of
chunk-sized segments, so the content is copied out while it is hashed and
the signature follows it. Verifying walks that skeleton (or a DER one) with
a small reader, streams the content through the hash (and to ``out``), and
hands everything else, re-encoded as a detached DER SignedData, to the
strict parse and ``inspect_cms`` with the content's digest: one set of
checks for both paths.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol

from asn1crypto import cms, core
from cryptography import x509

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto import _der
from xcapki.crypto.cms._algorithms import hash_from_oid
from xcapki.crypto.cms._attributes import FULL_ATTRIBUTES, SignedAttributes
from xcapki.crypto.cms._parse import DEFAULT_MAX_SIZE, ID_DATA, SIGNED_DATA, parse_cms
from xcapki.crypto.cms._policy import AlgorithmPolicy
from xcapki.crypto.cms._sign import SignerIdentifierType, sign_digest, signed_data_head
from xcapki.crypto.cms._signed_data import VerifiedSignedData, verify_signed_data
from xcapki.crypto.cms._verify import CmsVerifyOptions, resolve_options
from xcapki.crypto.cms.errors import (
    CmsContentTypeError,
    CmsMalformedError,
    CmsTooLargeError,
    ContentMismatchError,
    DetachedContentMissingError,
    NotCmsError,
)
from xcapki.signer import Signer

if TYPE_CHECKING:
    from xcapki.crypto.validation import ChainValidator

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_SKELETON_SIZE",
    "StreamedSignature",
    "StreamedVerification",
    "sign_stream",
    "verify_stream",
]

DEFAULT_CHUNK_SIZE: Final = 1024 * 1024
"""Bytes read at a time; the output's content segments are at most this long."""

MAX_SKELETON_SIZE: Final = DEFAULT_MAX_SIZE
"""Largest part of a streamed CMS outside its content (certificates, signer info)."""

Progress = Callable[[int], None]
"""Called with the number of content bytes just processed."""

_MAX_DIGEST_ALGORITHMS: Final = 4
_MAX_SEGMENT_DEPTH: Final = 8
_MAX_DEPTH: Final = 48
_CONSTRUCTED_OCTET_STRING: Final = 0x24
_EXPLICIT_0: Final = 0xA0
_SIGNED_DATA_OID: Final = bytes(core.ObjectIdentifier(SIGNED_DATA).dump())
_ID_DATA_OID: Final = bytes(core.ObjectIdentifier(ID_DATA).dump())


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class _Writable(Protocol):
    def write(self, data: bytes, /) -> object: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedSignature:
    """What ``sign_stream`` wrote: ``size`` output bytes over ``content_size`` content bytes."""

    size: int
    content_size: int
    detached: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedVerification:
    """``verify_stream``'s answers (``result``) and how much content it hashed.

    ``result.signature.content`` is empty: the content went through the hash
    (and to ``out``), never into memory.
    """

    result: VerifiedSignedData
    content_size: int
    detached: bool


def sign_stream(
    source: _Readable,
    output: _Writable,
    signer: Signer,
    *,
    detached: bool = False,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    scheme: SignatureScheme | None = None,
    attributes: SignedAttributes = FULL_ATTRIBUTES,
    include_chain: Sequence[x509.Certificate] = (),
    signing_time: datetime | None = None,
    signer_identifier: SignerIdentifierType = SignerIdentifierType.ISSUER_AND_SERIAL,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
) -> StreamedSignature:
    """Sign everything ``source`` yields into ``output``, reading it once.

    Detached output is DER (as ``sign_cms`` writes it). Attached output is BER
    with indefinite lengths, which OpenSSL and ``verify_stream`` read but the
    strict DER parse of ``parse_cms`` refuses; sign small content for a login
    with ``sign_cms`` instead. The signer signs only the signed attributes.
    """
    hasher = hashlib.new(hash_algorithm.value.lower())
    written = 0

    def write(data: bytes) -> None:
        nonlocal written
        output.write(data)
        written += len(data)

    if detached:
        content_size = _pump(source, chunk_size, hasher.update, progress)
    else:
        write(
            _der.indefinite_header(_der.SEQUENCE)
            + _SIGNED_DATA_OID
            + _der.indefinite_header(_EXPLICIT_0)
            + _der.indefinite_header(_der.SEQUENCE)
            + signed_data_head(hash_algorithm, signer_identifier)
            + _der.indefinite_header(_der.SEQUENCE)
            + _ID_DATA_OID
            + _der.indefinite_header(_EXPLICIT_0)
            + _der.indefinite_header(_CONSTRUCTED_OCTET_STRING)
        )

        def segment(chunk: bytes) -> None:
            hasher.update(chunk)
            write(_der.header(_der.OCTET_STRING, len(chunk)))
            write(chunk)

        content_size = _pump(source, chunk_size, segment, progress)
        write(_der.END_OF_CONTENTS * 3)
    signed = sign_digest(
        hasher.digest(),
        signer,
        hash_algorithm=hash_algorithm,
        scheme=scheme,
        attributes=attributes,
        include_chain=include_chain,
        signing_time=signing_time,
        signer_identifier=signer_identifier,
    )
    if detached:
        write(signed)
    else:
        write(b"".join(_signed_data_fields(signed)[3:]) + _der.END_OF_CONTENTS * 3)
    return StreamedSignature(size=written, content_size=content_size, detached=detached)


def verify_stream(
    signature: _Readable,
    *,
    validator: ChainValidator,
    content: _Readable | None = None,
    out: _Writable | None = None,
    max_size: int | None = None,
    policy: AlgorithmPolicy | None = None,
    now: datetime | None = None,
    max_clock_skew: timedelta | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
    options: CmsVerifyOptions | None = None,
) -> StreamedVerification:
    """Verify a CMS SignedData read from ``signature``, BER or DER, holding no content.

    ``signature`` may be at most ``max_size`` bytes, content included.
    ``content`` is the detached content, or for an attached signature a
    file that must hold the same bytes. ``out`` receives the signed content
    as it is hashed; whether to keep it is the caller's decision, once the
    result says the signature is intact. The checks and options are
    ``verify_signed_data``'s.
    """
    chosen = resolve_options(
        options, policy=policy, max_size=max_size, max_clock_skew=max_clock_skew
    )
    reader = _Reader(signature, limit=chosen.max_size)
    walked = _walk(reader, chunk_size=chunk_size, out=out, progress=progress)
    parsed = parse_cms(walked.detached_der, max_size=len(walked.detached_der))
    hashers = walked.hashers
    content_size = walked.content_size
    if content is not None:
        own = {name: hashlib.new(name) for name in hashers}

        def update(chunk: bytes) -> None:
            for hasher in own.values():
                hasher.update(chunk)
            if walked.detached and out is not None:
                out.write(chunk)

        size = _pump(content, chunk_size, update, progress if walked.detached else None)
        if walked.detached:
            hashers, content_size = own, size
        elif any(own[name].digest() != hashers[name].digest() for name in own):
            raise ContentMismatchError(
                "the attached content differs from the content given beside it; the signer "
                "signed something else"
            )
    elif walked.detached:
        raise DetachedContentMissingError(
            "the signature is detached; give the signed file as the content to verify it"
        )
    algorithm = hash_from_oid(parsed.signer.digest_oid)
    name = None if algorithm is None else algorithm.value.lower()
    content_digest = hashers[name].digest() if name in hashers else b""
    result = verify_signed_data(
        parsed,
        validator=validator,
        content_digest=content_digest,
        now=now,
        options=chosen,
    )
    return StreamedVerification(result=result, content_size=content_size, detached=walked.detached)


def _pump(
    source: _Readable, chunk_size: int, sink: Callable[[bytes], None], progress: Progress | None
) -> int:
    total = 0
    while chunk := source.read(chunk_size):
        sink(chunk)
        total += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return total


def _signed_data_fields(content_info: bytes) -> list[bytes]:
    """The DER fields of the SignedData inside a DER ContentInfo."""
    outer = _der.read_element(content_info, 0, len(content_info))
    _, explicit = _der.children(content_info, outer)
    (signed_data,) = _der.children(content_info, explicit)
    return [field.encoding(content_info) for field in _der.children(content_info, signed_data)]


class _Reader:
    """BER elements read from a stream, counting bytes against ``limit``."""

    def __init__(self, stream: _Readable, *, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._pushed = b""
        self.position = 0

    def read(self, size: int) -> bytes:
        if self.position + size > self._limit:
            raise CmsTooLargeError(
                f"the signature file is larger than the limit of {self._limit} bytes; "
                "refuse it, or raise the limit if such files are expected"
            )
        data, self._pushed = self._pushed[:size], self._pushed[size:]
        while len(data) < size:
            more = self._stream.read(size - len(data))
            if not more:
                raise CmsMalformedError(
                    f"the signature ends early, at byte {self.position + len(data)}; "
                    "the file was cut short"
                )
            data += more
        self.position += size
        return data

    def next_byte(self) -> int | None:
        """The next byte without consuming it, or None at the end of the stream."""
        if not self._pushed:
            self._pushed = self._stream.read(1)
        return self._pushed[0] if self._pushed else None

    def end_of_contents(self) -> bool:
        """Consume an end-of-contents marker if one is next."""
        marker = self.read(2)
        if marker == _der.END_OF_CONTENTS:
            return True
        self._pushed = marker + self._pushed
        self.position -= 2
        return False

    def header(self) -> tuple[bytes, int | None]:
        """(tag bytes, content length or None for indefinite)."""
        try:
            return _der.read_stream_header(self.read)
        except _der.DerError as exc:
            raise _malformed(exc.reason, self.position) from None


def _not_cms() -> NotCmsError:
    return NotCmsError(
        "the file is not a CMS (PKCS#7) signature; give the .p7s/.p7m file the signer "
        "wrote, not the signed document or a certificate"
    )


def _malformed(what: str, position: int) -> CmsMalformedError:
    return CmsMalformedError(
        f"the CMS is not a SignedData as RFC 5652 defines it ({what} near byte {position}); "
        "the signer must send a CMS SignedData"
    )


class _Open:
    """A constructed element being read: its end, or None until its end-of-contents."""

    def __init__(self, reader: _Reader, length: int | None) -> None:
        self._reader = reader
        self._end = None if length is None else reader.position + length
        self._closed = False

    def more(self) -> bool:
        if self._closed:
            return False
        if self._end is None:
            self._closed = self._reader.end_of_contents()
            return not self._closed
        if self._reader.position > self._end:
            raise _malformed("an element that runs past its container", self._reader.position)
        return self._reader.position < self._end

    def close(self, what: str) -> None:
        if self.more():
            raise _malformed(f"extra fields in {what}", self._reader.position)


def _enter(reader: _Reader, tag: int, what: str) -> _Open:
    found, length = reader.header()
    if found != bytes((tag,)):
        raise _malformed(f"{what} missing or of the wrong type", reader.position)
    return _Open(reader, length)


def _element(reader: _Reader, budget: list[int], depth: int = 0) -> bytes:
    """One whole element, indefinite lengths re-encoded as definite ones."""
    tag, length = reader.header()
    if depth > _MAX_DEPTH:
        raise _malformed("nesting too deep", reader.position)
    if not tag[0] & _der.CONSTRUCTED:
        assert length is not None  # the reader refuses primitive indefinite lengths
        budget[0] -= length
        if budget[0] < 0:
            raise CmsTooLargeError(
                f"the signature's certificates and signer information exceed "
                f"{MAX_SKELETON_SIZE} bytes; this is no signature a card makes"
            )
        body = reader.read(length)
    else:
        inner = _Open(reader, length)
        parts = []
        while inner.more():
            parts.append(_element(reader, budget, depth + 1))
        body = b"".join(parts)
    return tag + _der.encode_length(len(body)) + body


@dataclass(frozen=True, slots=True)
class _Walked:
    detached_der: bytes
    hashers: dict[str, hashlib._Hash]
    content_size: int
    detached: bool


def _walk(
    reader: _Reader, *, chunk_size: int, out: _Writable | None, progress: Progress | None
) -> _Walked:
    """Read the whole CMS once; stream the content, keep the rest as a detached DER."""
    if reader.next_byte() != _der.SEQUENCE:
        raise _not_cms()
    info = _enter(reader, _der.SEQUENCE, "the ContentInfo")
    budget = [MAX_SKELETON_SIZE]
    if not info.more() or reader.next_byte() != _der.OID:
        raise _not_cms()
    content_type = _element(reader, budget)
    if content_type != _SIGNED_DATA_OID:
        raise CmsContentTypeError(
            "the CMS holds no SignedData (it may be encrypted data); only signatures verify"
        )
    explicit = _enter(reader, _EXPLICIT_0, "the ContentInfo's content")
    signed_data = _enter(reader, _der.SEQUENCE, "the SignedData")
    version = _element(reader, budget)
    digest_algorithms = _element(reader, budget)
    hashers = _hashers(digest_algorithms)
    encap = _enter(reader, _der.SEQUENCE, "the encapContentInfo")
    econtent_type = _element(reader, budget)
    if econtent_type != _ID_DATA_OID:
        raise CmsContentTypeError("the signed content type is not id-data, the only one accepted")
    detached = not encap.more()
    content_size = 0
    if not detached:
        wrapper = _enter(reader, _EXPLICIT_0, "the eContent")

        def sink(chunk: bytes) -> None:
            nonlocal content_size
            for hasher in hashers.values():
                hasher.update(chunk)
            if out is not None:
                out.write(chunk)
            content_size += len(chunk)
            if progress is not None:
                progress(len(chunk))

        _octets(reader, chunk_size, sink, depth=0)
        wrapper.close("the eContent")
        encap.close("the encapContentInfo")
    rest = []
    while signed_data.more():
        rest.append(_element(reader, budget))
    explicit.close("the ContentInfo's content")
    info.close("the ContentInfo")
    if reader.next_byte() is not None:
        raise _malformed("bytes after the SignedData", reader.position)
    fields = version + digest_algorithms + _der.tlv(_der.SEQUENCE, econtent_type) + b"".join(rest)
    body = _SIGNED_DATA_OID + _der.tlv(_EXPLICIT_0, _der.tlv(_der.SEQUENCE, fields))
    return _Walked(
        detached_der=_der.tlv(_der.SEQUENCE, body),
        hashers=hashers,
        content_size=content_size,
        detached=detached,
    )


def _hashers(digest_algorithms: bytes) -> dict[str, hashlib._Hash]:
    """A hash for every algorithm SignedData.digestAlgorithms names that xcapki knows."""
    try:
        listed = [item["algorithm"].dotted for item in cms.DigestAlgorithms.load(digest_algorithms)]
    except (ValueError, TypeError, KeyError) as exc:
        raise CmsMalformedError(
            f"SignedData.digestAlgorithms does not parse ({exc}); the SignedData is damaged"
        ) from None
    if len(listed) > _MAX_DIGEST_ALGORITHMS:
        raise CmsMalformedError(
            f"SignedData lists {len(listed)} digest algorithms; a single signer needs one"
        )
    known = [hash_from_oid(oid) for oid in listed]
    return {a.value.lower(): hashlib.new(a.value.lower()) for a in known if a is not None}


def _octets(reader: _Reader, chunk_size: int, sink: Callable[[bytes], None], *, depth: int) -> None:
    """Stream an OCTET STRING's bytes (primitive, or constructed of segments) into ``sink``."""
    tag, length = reader.header()
    if tag == bytes((_der.OCTET_STRING,)):
        assert length is not None  # the reader refuses primitive indefinite lengths
        while length:
            piece = reader.read(min(length, chunk_size))
            sink(piece)
            length -= len(piece)
        return
    if tag != bytes((_CONSTRUCTED_OCTET_STRING,)) or depth >= _MAX_SEGMENT_DEPTH:
        raise _malformed("an eContent that is not an OCTET STRING", reader.position)
    segments = _Open(reader, length)
    while segments.more():
        _octets(reader, chunk_size, sink, depth=depth + 1)
