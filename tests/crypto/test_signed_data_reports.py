"""``verify_signed_data`` reports a certificate the validator cannot process; it does not raise.

The card certificate's keyUsage value is replaced with bytes that are not a
BIT STRING (tests/hostile_pki.py, without xcapki), so the signature still
verifies but no path can be processed.
"""

from __future__ import annotations

import hostile_pki
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import verify_signed_data
from xcapki.crypto.errors import CertificateError
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.testing import CardSpec, TestPki


@pytest.mark.parametrize("fast_path", [True, False])
def test_an_unprocessable_signer_certificate_is_reported(
    test_pki: TestPki, fast_path: bool
) -> None:
    card = test_pki.issue_card(
        CardSpec(
            authority=Authority.XCA,
            organisation_name="報告測試",
            unified_business_number="11223344",
        )
    )
    ca_key = test_pki.ca(Authority.XCA).key.private_key
    key = card.signing.private_key
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    assert isinstance(key, rsa.RSAPrivateKey)
    parts = hostile_pki.replace_extension(
        hostile_pki.parts_of(card.signing.certificate),
        hostile_pki.KEY_USAGE,
        b"\x04\x01\x00",
        critical=True,
    )
    leaf = hostile_pki.rebuild(card.signing.certificate, parts, ca_key)
    ca = test_pki.ca(Authority.XCA).certificate
    cms = hostile_pki.sign_attached(
        b"report me", leaf, key, extra_certificates=[hostile_pki.der(ca)]
    )
    store = TrustStore.empty().with_roots(test_pki.root.certificate)
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF, fast_path=fast_path)
    validator.validate(card.signing.certificate, intermediates=[ca])
    result = verify_signed_data(cms, validator=validator)
    assert result.intact
    assert not result.trusted
    assert isinstance(result.path_failure, CertificateError)
    assert result.failure is result.path_failure
    assert "cannot be processed" in str(result.path_failure)
    with pytest.raises(CertificateError):
        result.require_valid()
