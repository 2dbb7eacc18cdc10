"""Streaming CMS: sign and verify while reading, checked against OpenSSL in both directions.

The content is several chunks long (the tests use a small chunk size) so
every segment boundary, the BER skeleton and the detached path are crossed.
"""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from cms_pki import CmsTestPki

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import (
    CmsContentTypeError,
    CmsMalformedError,
    CmsTooLargeError,
    ContentMismatchError,
    DetachedContentMissingError,
    NotCmsError,
    parse_cms,
    sign_cms,
)
from xcapki.crypto.cms._stream import StreamedVerification, sign_stream, verify_stream
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode

CHUNK = 4096
CONTENT = os.urandom(5 * CHUNK + 123)


def _validator(cms_pki: CmsTestPki) -> ChainValidator:
    store = TrustStore.from_pem_files(
        roots=[cms_pki.pem("root")],
        intermediates=[cms_pki.pem("intermediate")],
        include_bundled=False,
    )
    return ChainValidator(store, revocation_mode=RevocationMode.OFF)


def _sign(cms_pki: CmsTestPki, name: str, *, detached: bool, content: bytes = CONTENT) -> bytes:
    output = io.BytesIO()
    seen: list[int] = []
    result = sign_stream(
        io.BytesIO(content),
        output,
        cms_pki.signer(name),
        detached=detached,
        include_chain=(cms_pki.intermediate,),
        chunk_size=CHUNK,
        progress=seen.append,
    )
    assert result.content_size == len(content) == sum(seen)
    assert result.size == len(output.getvalue())
    return output.getvalue()


def _verify(
    cms_pki: CmsTestPki,
    signature: bytes,
    *,
    content: bytes | None = None,
    out: io.BytesIO | None = None,
    max_size: int = 1 << 30,
) -> StreamedVerification:
    return verify_stream(
        io.BytesIO(signature),
        validator=_validator(cms_pki),
        content=None if content is None else io.BytesIO(content),
        out=out,
        max_size=max_size,
        chunk_size=CHUNK,
    )


@pytest.mark.parametrize("name", ["rsa2048", "p256"])
@pytest.mark.parametrize("detached", [False, True])
def test_streamed_signature_verifies_and_gives_back_the_content(
    cms_pki: CmsTestPki, name: str, detached: bool
) -> None:
    signature = _sign(cms_pki, name, detached=detached)
    out = io.BytesIO()
    verified = _verify(cms_pki, signature, content=CONTENT if detached else None, out=out)
    assert verified.result.intact
    assert verified.result.trusted
    assert verified.detached is detached
    assert verified.content_size == len(CONTENT)
    assert out.getvalue() == CONTENT


def test_attached_output_is_ber_with_chunk_sized_segments(cms_pki: CmsTestPki) -> None:
    signature = _sign(cms_pki, "rsa2048", detached=False)
    # ContentInfo, [0], SignedData open with indefinite lengths; the content follows
    # as a constructed OCTET STRING (0x24 0x80) of primitive segments of CHUNK bytes.
    assert signature[:2] == b"\x30\x80"
    start = signature.index(b"\x24\x80")
    assert signature[start + 2 : start + 6] == b"\x04\x82\x10\x00"
    assert CONTENT[:CHUNK] in signature
    # The strict DER parse refuses it (login signatures must be DER), so it says BER.
    with pytest.raises(CmsMalformedError, match="indefinite"):
        parse_cms(signature, max_size=1 << 30)


def test_detached_output_is_the_der_sign_cms_writes(cms_pki: CmsTestPki) -> None:
    signature = _sign(cms_pki, "rsa2048", detached=True)
    parsed = parse_cms(signature)
    assert parsed.content is None
    assert len(signature) < 4 * CHUNK


def test_altered_content_is_not_intact(cms_pki: CmsTestPki) -> None:
    signature = bytearray(_sign(cms_pki, "rsa2048", detached=False))
    position = signature.index(CONTENT[2 * CHUNK : 2 * CHUNK + 16])
    signature[position] ^= 1
    verified = _verify(cms_pki, bytes(signature))
    assert not verified.result.intact
    detached = _sign(cms_pki, "rsa2048", detached=True)
    other = CONTENT[:-1] + bytes([CONTENT[-1] ^ 1])
    assert not _verify(cms_pki, detached, content=other).result.intact


def test_detached_without_content_and_attached_with_other_content(cms_pki: CmsTestPki) -> None:
    with pytest.raises(DetachedContentMissingError):
        _verify(cms_pki, _sign(cms_pki, "rsa2048", detached=True))
    attached = _sign(cms_pki, "rsa2048", detached=False)
    assert _verify(cms_pki, attached, content=CONTENT).result.intact
    with pytest.raises(ContentMismatchError):
        _verify(cms_pki, attached, content=CONTENT + b"x")


@pytest.mark.parametrize(
    "data",
    [b"", b"plain text, not a signature\n", b"%PDF-1.7\n", b"\x30\x03\x02\x01\x01"],
    ids=["empty", "text", "pdf", "sequence-without-oid"],
)
def test_other_files_are_not_cms(cms_pki: CmsTestPki, data: bytes) -> None:
    with pytest.raises(NotCmsError):
        _verify(cms_pki, data)


def test_a_certificate_is_not_cms(cms_pki: CmsTestPki) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    with pytest.raises(NotCmsError):
        _verify(cms_pki, cms_pki.intermediate.public_bytes(Encoding.DER))


def test_size_limit_counts_the_whole_file(cms_pki: CmsTestPki) -> None:
    signature = _sign(cms_pki, "rsa2048", detached=False)
    assert _verify(cms_pki, signature, max_size=len(signature)).result.intact
    with pytest.raises(CmsTooLargeError):
        _verify(cms_pki, signature, max_size=len(signature) - 1)


def test_truncated_and_trailing_bytes_are_malformed(cms_pki: CmsTestPki) -> None:
    signature = _sign(cms_pki, "rsa2048", detached=False)
    for damaged in (signature[:-3], signature[: len(signature) // 2], signature + b"\x00"):
        with pytest.raises(CmsMalformedError):
            _verify(cms_pki, damaged)


def test_small_der_signatures_verify_the_same_way(cms_pki: CmsTestPki) -> None:
    for detached in (False, True):
        der = sign_cms(
            CONTENT,
            cms_pki.signer("rsa2048"),
            detached=detached,
            hash_algorithm=HashAlgorithm.SHA384,
            include_chain=(cms_pki.intermediate,),
        )
        out = io.BytesIO()
        verified = _verify(cms_pki, der, content=CONTENT if detached else None, out=out)
        assert verified.result.intact
        assert verified.result.signature.digest_algorithm is HashAlgorithm.SHA384
        assert out.getvalue() == CONTENT


def test_enveloped_data_is_refused_as_a_content_type(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path
) -> None:
    (tmp_path / "c.bin").write_bytes(b"secret")
    _run(
        openssl, "cms", "-encrypt", "-binary", "-in", tmp_path / "c.bin", "-outform", "DER",
        "-out", tmp_path / "e.der", cms_pki.pem("rsa2048"),
    )  # fmt: skip
    with pytest.raises(CmsContentTypeError):
        _verify(cms_pki, (tmp_path / "e.der").read_bytes())


def _run(openssl: str, *args: str | Path) -> None:
    done = subprocess.run([openssl, *map(str, args)], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()


@pytest.mark.openssl
@pytest.mark.parametrize("detached", [False, True])
def test_openssl_verifies_streamed_output(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path, detached: bool
) -> None:
    signature = tmp_path / "s.p7s"
    signature.write_bytes(_sign(cms_pki, "rsa2048", detached=detached))
    content = tmp_path / "content.bin"
    content.write_bytes(CONTENT)
    out = tmp_path / "out.bin"
    args: list[str | Path] = ["cms", "-verify", "-binary", "-inform", "DER", "-in", signature]
    args += ["-CAfile", cms_pki.pem("root"), "-out", out]
    if detached:
        args += ["-content", content]
    _run(openssl, *args)
    assert out.read_bytes() == CONTENT


@pytest.mark.openssl
@pytest.mark.parametrize("mode", ["stream", "der", "detached"])
def test_streaming_verifies_openssl_output(
    cms_pki: CmsTestPki, openssl: str, tmp_path: Path, mode: str
) -> None:
    content = tmp_path / "content.bin"
    content.write_bytes(CONTENT)
    signature = tmp_path / "s.p7s"
    args: list[str | Path] = ["cms", "-sign", "-binary", "-in", content, "-outform", "DER"]
    args += ["-signer", cms_pki.pem("rsa2048"), "-inkey", cms_pki.key("rsa2048")]
    args += ["-certfile", cms_pki.pem("intermediate"), "-out", signature]
    args += {"stream": ["-stream", "-nodetach"], "der": ["-nodetach"], "detached": []}[mode]
    _run(openssl, *args)
    data = signature.read_bytes()
    assert (data[1] == 0x80) is (mode == "stream")
    out = io.BytesIO()
    verified = _verify(cms_pki, data, content=CONTENT if mode == "detached" else None, out=out)
    assert verified.result.intact
    assert verified.result.trusted
    assert out.getvalue() == CONTENT
