"""Property: a mutated card certificate gives a verified login or an xcapki error, nothing else.

Hypothesis mutates a valid XCA card certificate (tests/certificate_mutations.py),
the XCA CA signs it again, ``cryptography``'s PKCS#7 builder signs the
portal's challenge with the card's key, and the answer goes through
``PortalLogin`` and ``verify_signed_data``. Any exception that is not an
``XcapkiError`` fails the test, and a login that is admitted must hold a
certificate that the purpose rule and the strict identity reading allow,
checked here with ``cryptography`` directly.
"""

from __future__ import annotations

import contextlib

import certificate_mutations
import hostile_pki
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from login_helpers import SESSION

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import verify_signed_data
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.errors import XcapkiError
from xcapki.login import LoginResponse, PortalLogin, ResponseFormat, VerifiedLogin
from xcapki.login.policy import CLIENT_AUTH, OCSP_SIGNING
from xcapki.testing import CardSpec, IssuedCard, TestPki

_SIGNING_EKUS = frozenset(
    {
        CLIENT_AUTH,
        "1.3.6.1.5.5.7.3.4",
        "1.3.6.1.5.5.7.3.36",
        "1.3.6.1.4.1.311.20.2.2",
        "2.5.29.37.0",
    }
)


@pytest.fixture(scope="module")
def card(test_pki: TestPki) -> IssuedCard:
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="變異測試事務所",
        unified_business_number="13572468",
    )
    return test_pki.issue_card(spec)


@pytest.fixture(scope="module")
def portal(test_pki: TestPki, portal_trust: object) -> PortalLogin:
    """One portal for every example, so its caches and fast path meet the mutants too."""
    return PortalLogin(
        origin="https://portal.example.tw",
        trust_store=portal_trust,  # type: ignore[arg-type]
        revocation_mode=RevocationMode.OFF,
    )


def _mutant(
    test_pki: TestPki, card: IssuedCard, changes: list[certificate_mutations.Mutation]
) -> bytes:
    ca_key = test_pki.ca(Authority.XCA).key.private_key
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    parts = certificate_mutations.apply(hostile_pki.parts_of(card.signing.certificate), changes)
    return hostile_pki.rebuild(card.signing.certificate, parts, ca_key)


def _signed(challenge_message: bytes, der: bytes, card: IssuedCard) -> bytes:
    key = card.signing.private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    try:
        return hostile_pki.sign_attached(challenge_message, der, key)
    except ValueError:
        reject()  # cryptography itself cannot sign with this certificate: nothing to send
        raise


def _holds_login_purpose(login: VerifiedLogin) -> None:
    """What an admitted certificate must say, read with ``cryptography`` alone."""
    extensions = login.certificate.certificate.extensions
    usage = extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    with contextlib.suppress(x509.ExtensionNotFound):
        assert not extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    try:
        ekus = {
            u.dotted_string for u in extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        }
    except x509.ExtensionNotFound:
        ekus = None
    if ekus is not None:
        assert ekus & _SIGNING_EKUS
        assert OCSP_SIGNING not in ekus
    number = login.identity.unified_business_number
    assert number is None or (len(number) == 8 and number.isascii() and number.isdigit())
    serial = login.identity.card_serial
    assert serial is None or (serial.isascii() and serial.isalnum())


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=certificate_mutations.mutations(),
    response_format=st.sampled_from([ResponseFormat.XCAPKI, ResponseFormat.HIPKI]),
)
def test_mutated_card_certificates_log_in_or_raise_xcapki_errors(
    test_pki: TestPki,
    card: IssuedCard,
    portal: PortalLogin,
    portal_trust: object,
    changes: list[certificate_mutations.Mutation],
    response_format: ResponseFormat,
) -> None:
    """The HiPKI shape also sends the mutant in its certb64 field."""
    der = _mutant(test_pki, card, changes)
    challenge = portal.issue_challenge(SESSION)
    cms = _signed(challenge.message, der, card)
    response = LoginResponse(
        format=response_format,
        challenge_id=challenge.challenge_id,
        cms=cms,
        certificate=der if response_format is ResponseFormat.HIPKI else None,
    )
    try:
        login = portal.verify_response(SESSION, response.to_json())
    except XcapkiError:
        pass
    else:
        _holds_login_purpose(login)
    validator = ChainValidator(portal_trust, revocation_mode=RevocationMode.OFF)  # type: ignore[arg-type]
    with contextlib.suppress(XcapkiError):
        verify_signed_data(cms, validator=validator, content=challenge.message)


def test_the_unmutated_card_logs_in(
    test_pki: TestPki, card: IssuedCard, portal: PortalLogin
) -> None:
    """The control: with no mutation the same pipeline admits the card."""
    der = _mutant(test_pki, card, [])
    challenge = portal.issue_challenge(SESSION)
    cms = _signed(challenge.message, der, card)
    response = LoginResponse(
        format=ResponseFormat.XCAPKI, challenge_id=challenge.challenge_id, cms=cms
    )
    login = portal.verify_response(SESSION, response.to_json())
    _holds_login_purpose(login)
    assert login.identity.unified_business_number == "13572468"
