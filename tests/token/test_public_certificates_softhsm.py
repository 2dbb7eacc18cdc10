"""Reading a card's certificates without a PIN: no login, same classification as after login."""

from __future__ import annotations

import pytest

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.testing import StandardCards, VirtualCard
from xcapki.token import (
    AmbiguousTokenError,
    KeyKind,
    KeyPurpose,
    Pkcs11Module,
    TokenCertificate,
    TokenSelector,
    login,
)

pytestmark = pytest.mark.softhsm


def _by_label(certificates: tuple[TokenCertificate, ...]) -> dict[str, TokenCertificate]:
    by_label = {c.label: c for c in certificates}
    assert len(by_label) == len(certificates)
    return by_label


def _private_keys_visible_without_login(module: Pkcs11Module, card: VirtualCard) -> int:
    """Private keys a fresh public session sees: any means this process is logged in to
    the token (login state is per process and token, and no public API shows it)."""
    from xcapki.token._pkcs11 import ObjectClass

    token = module.select_token(TokenSelector(serial=card.serial))
    with module.link.lock:
        raw = module.link.open_session(token.slot_id)
        try:
            return len(raw.keys(ObjectClass.PRIVATE_KEY))
        finally:
            raw.close(logout=False)


def test_certificates_are_read_and_classified_without_a_login(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.moica
    selector = TokenSelector(serial=card.serial)
    before = softhsm_module.select_token(selector)
    found = _by_label(softhsm_module.public_certificates(selector))
    after = softhsm_module.select_token(selector)
    assert after.flags == before.flags
    assert _private_keys_visible_without_login(softhsm_module, card) == 0
    assert set(found) == {"cert1", "cert2", "CACert", "ROOTCACert"}
    signing, encryption = found["cert1"], found["cert2"]
    assert signing.purpose is KeyPurpose.SIGNING
    assert signing.key_id == b"SIGN"
    assert signing.certificate == card.card.signing.certificate
    assert signing.key_kind is KeyKind.RSA
    assert signing.has_private_key
    assert encryption.purpose is KeyPurpose.ENCRYPTION
    assert encryption.key_id == b"KEYX"
    assert encryption.certificate == card.card.encryption.certificate
    assert found["CACert"].purpose is KeyPurpose.AUTHORITY
    assert found["CACert"].certificate == card.card.issuer
    assert found["ROOTCACert"].certificate == card.card.root
    assert not found["ROOTCACert"].has_private_key


@pytest.mark.parametrize("which", ["xca", "xca_ec", "gca"])
def test_public_listing_equals_the_logged_in_listing(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, which: str
) -> None:
    card: VirtualCard = getattr(softhsm_cards, which)
    token = softhsm_module.select_token(TokenSelector(serial=card.serial))
    public = _by_label(softhsm_module.public_certificates(token))
    with login(softhsm_module, token, pin=card.pin) as session:
        assert public == _by_label(session.certificates())
    expected_kind = KeyKind.EC if which == "xca_ec" else KeyKind.RSA
    assert public["cert1"].key_kind is expected_kind


def test_reading_public_certificates_keeps_a_session_logged_in(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """The public session closes without C_Logout, which would end the process's login."""
    card = softhsm_cards.xca_ec
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        signer.sign(b"before", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA)
        public = _by_label(softhsm_module.public_certificates(session.token))
        assert public["cert1"].has_private_key
        assert _private_keys_visible_without_login(softhsm_module, card) > 0
        signer.sign(b"after", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA)
    assert _private_keys_visible_without_login(softhsm_module, card) == 0


def test_the_token_is_chosen_like_a_login_chooses_it(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    with pytest.raises(AmbiguousTokenError, match="tokens match any token"):
        softhsm_module.public_certificates()
    by_serial = softhsm_module.public_certificates(
        TokenSelector(serial=softhsm_cards.moeaca.serial)
    )
    signing = next(c for c in by_serial if c.purpose is KeyPurpose.SIGNING)
    assert signing.certificate == softhsm_cards.moeaca.card.signing.certificate
