"""PKCS#11's raw ECDSA r || s becomes the DER that cryptography and openssl expect."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import given
from hypothesis import strategies as st

from xcapki.token import DataError
from xcapki.token.signing import der_ecdsa_signature


@st.composite
def raw_signatures(draw: st.DrawFn) -> bytes:
    """r || s of one field size (P-256, P-384, P-521 and odd ones), with leading zero bytes
    and high bits set often enough to reach every branch."""
    half = draw(st.sampled_from([1, 2, 32, 48, 66, 70, 130]))
    edge = st.sampled_from([b"\x00" * half, b"\xff" * half, b"\x00" * (half - 1) + b"\x80"])
    r = draw(st.one_of(st.binary(min_size=half, max_size=half), edge))
    s = draw(st.one_of(st.binary(min_size=half, max_size=half), edge))
    return r + s


@given(raw_signatures())
def test_matches_cryptography_encoder(raw: bytes) -> None:
    half = len(raw) // 2
    r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
    encoded = der_ecdsa_signature(raw)
    assert encoded == encode_dss_signature(r, s)
    assert decode_dss_signature(encoded) == (r, s)


@pytest.mark.parametrize("raw", [b"", b"\x01", b"\x01\x02\x03"])
def test_a_raw_signature_without_equal_halves_is_a_typed_error(raw: bytes) -> None:
    with pytest.raises(DataError, match="r \\|\\| s"):
        der_ecdsa_signature(raw)
