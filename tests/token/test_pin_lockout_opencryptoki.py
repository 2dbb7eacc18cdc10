"""PIN safety on opencryptoki's soft token, which locks after 3 wrong PINs like a card."""

from __future__ import annotations

import pytest

from xcapki.testing.errors import TestingError
from xcapki.testing.opencryptoki import (
    OpencryptokiCard,
    opencryptoki_module_path,
    provision_opencryptoki_card,
)
from xcapki.token import (
    FinalTryRefusedError,
    PinFormatError,
    PinIncorrectError,
    PinLockedError,
    PinState,
    Pkcs11Module,
    TokenInfo,
    TokenSelector,
    load_module,
    login,
)

pytestmark = pytest.mark.opencryptoki

WRONG = "000000"


@pytest.fixture
def card(opencryptoki_lock: None) -> tuple[Pkcs11Module, OpencryptokiCard]:
    """A freshly re-initialised soft token (so a lock from an earlier test is gone)."""
    if opencryptoki_module_path() is None:
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    try:
        provisioned = provision_opencryptoki_card(pin="123456")
    except TestingError as exc:
        pytest.skip(f"opencryptoki is not usable here: {exc}")
    return load_module(provisioned.module_path), provisioned


def _token(module: Pkcs11Module, card: OpencryptokiCard) -> TokenInfo:
    return module.select_token(TokenSelector(label=card.label))


def test_three_wrong_pins_walk_through_count_low_final_try_and_locked(
    card: tuple[Pkcs11Module, OpencryptokiCard],
) -> None:
    module, provisioned = card
    assert _token(module, provisioned).pin_state is PinState.OK

    with pytest.raises(PinIncorrectError, match="running low") as first:
        login(module, TokenSelector(label=provisioned.label), pin=WRONG)
    assert first.value.pin_state is PinState.COUNT_LOW
    assert first.value.ckr == 0xA0

    with pytest.raises(PinIncorrectError, match="ONE try is left") as second:
        login(module, TokenSelector(label=provisioned.label), pin=WRONG)
    assert second.value.pin_state is PinState.FINAL_TRY

    before = _token(module, provisioned).flags
    with pytest.raises(FinalTryRefusedError, match="spend_final_try=True") as refused:
        login(module, TokenSelector(label=provisioned.label), pin=WRONG)
    assert refused.value.ckr is None
    assert _token(module, provisioned).flags == before, "the refused try reached the card"

    with pytest.raises(PinIncorrectError, match="locked") as third:
        login(module, TokenSelector(label=provisioned.label), pin=WRONG, spend_final_try=True)
    assert third.value.pin_state is PinState.LOCKED
    assert _token(module, provisioned).pin_state is PinState.LOCKED

    with pytest.raises(PinLockedError, match="issuing CA"):
        login(module, TokenSelector(label=provisioned.label), pin=provisioned.pin)


def test_final_try_with_the_right_pin_logs_in_when_asked(
    card: tuple[Pkcs11Module, OpencryptokiCard],
) -> None:
    module, provisioned = card
    for _ in range(2):
        with pytest.raises(PinIncorrectError):
            login(module, TokenSelector(label=provisioned.label), pin=WRONG)
    with login(
        module, TokenSelector(label=provisioned.label), pin=provisioned.pin, spend_final_try=True
    ) as session:
        assert session.pin_state() is PinState.OK


@pytest.mark.parametrize("bad_pin", ["123", "123456789", "12 345", "１２３４５６"])
def test_malformed_pin_is_refused_before_any_try(
    card: tuple[Pkcs11Module, OpencryptokiCard], bad_pin: str
) -> None:
    module, provisioned = card
    token = _token(module, provisioned)
    assert (token.min_pin_length, token.max_pin_length) == (4, 8)
    with pytest.raises(PinFormatError) as refused:
        login(module, token, pin=bad_pin)
    assert refused.value.ckr is None
    assert bad_pin not in str(refused.value)
    assert _token(module, provisioned).flags == token.flags


def test_change_pin_then_log_in_with_the_new_one(
    card: tuple[Pkcs11Module, OpencryptokiCard],
) -> None:
    module, provisioned = card
    with login(module, TokenSelector(label=provisioned.label), pin=provisioned.pin) as session:
        with pytest.raises(PinFormatError):
            session.change_pin(provisioned.pin, "1")
        session.change_pin(provisioned.pin, "24681357")
    with pytest.raises(PinIncorrectError):
        login(module, TokenSelector(label=provisioned.label), pin=provisioned.pin)
    with login(module, TokenSelector(label=provisioned.label), pin="24681357") as session:
        assert session.pin_state() is PinState.OK
