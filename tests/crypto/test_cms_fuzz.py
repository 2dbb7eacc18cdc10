"""Fuzzing the parser and verifier: nothing but xcapki's own errors may come out.

Mutations start from valid signatures (so they reach deep into the
structure), plus plain random bytes and DER-looking prefixes.
"""

from __future__ import annotations

import pytest
from cms_pki import CmsTestPki
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.cms import (
    NO_ATTRIBUTES,
    CmsSignature,
    SignerIdentifierType,
    inspect_cms,
    sign_cms,
    sign_hipki,
)
from xcapki.errors import XcapkiError

CONTENT = b"fuzz content"
FUZZ = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def valid_signatures(cms_pki: CmsTestPki) -> list[bytes]:
    rsa = cms_pki.signer("rsa2048")
    return [
        sign_cms(CONTENT, rsa, include_chain=(cms_pki.intermediate,)),
        sign_cms(CONTENT, rsa, scheme=SignatureScheme.RSA_PSS, detached=True),
        sign_cms(CONTENT, cms_pki.signer("p256"), attributes=NO_ATTRIBUTES),
        sign_cms(
            CONTENT,
            cms_pki.signer("p384"),
            signer_identifier=SignerIdentifierType.SUBJECT_KEY_IDENTIFIER,
        ),
        sign_hipki(CONTENT, rsa, nonce=b"\x07" * 32, card_serial="TP03000012345678"),
    ]


def _check(data: bytes) -> None:
    try:
        result = inspect_cms(data, content=CONTENT)
    except XcapkiError:
        return
    assert isinstance(result, CmsSignature)
    assert result.content == CONTENT


edit = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
    st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    st.integers(min_value=0, max_value=255),
)


def _apply(data: bytes, edits: list[tuple[str, float, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, where, value in edits:
        if not buffer:
            break
        at = int(where * len(buffer))
        if kind == "flip":
            buffer[at] ^= 1 << (value % 8)
        elif kind == "set":
            buffer[at] = value
        elif kind == "insert":
            buffer.insert(at, value)
        elif kind == "delete":
            del buffer[at]
        else:
            del buffer[at:]
    return bytes(buffer)


@FUZZ
@given(index=st.integers(min_value=0, max_value=4), edits=st.lists(edit, min_size=1, max_size=6))
def test_mutated_signatures_raise_only_xcapki_errors(
    valid_signatures: list[bytes], index: int, edits: list[tuple[str, float, int]]
) -> None:
    _check(_apply(valid_signatures[index], edits))


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes_raise_only_xcapki_errors(data: bytes) -> None:
    _check(data)


@FUZZ
@given(body=st.binary(max_size=512), tag=st.sampled_from([0x30, 0x31, 0xA0, 0x04, 0x06, 0x24]))
def test_der_looking_input_raises_only_xcapki_errors(body: bytes, tag: int) -> None:
    length = len(body)
    header = (
        bytes((tag, length)) if length < 0x80 else bytes((tag, 0x82)) + length.to_bytes(2, "big")
    )
    _check(header + body)
