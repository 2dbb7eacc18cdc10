"""PIN lockout through the service, on opencryptoki's soft token (it locks after 3 wrong PINs)."""

from __future__ import annotations

import dataclasses
import json
from urllib.parse import quote

import pytest
from service_helpers import TRUSTED, UserAnswers, client_for
from starlette.testclient import TestClient

from xcapki.service import HipkiCode, PinMode, ServiceConfig
from xcapki.testing import StandardCards
from xcapki.testing.errors import TestingError
from xcapki.testing.opencryptoki import (
    OpencryptokiCard,
    opencryptoki_module_path,
    provision_opencryptoki_card,
)
from xcapki.token import (
    PinIncorrectError,
    PinState,
    TokenSelector,
    load_module,
    login,
    read_pin_state,
)

pytestmark = pytest.mark.opencryptoki

WRONG = "000000"


@pytest.fixture
def soft_card(opencryptoki_lock: None, softhsm_cards: StandardCards) -> OpencryptokiCard:
    """A freshly re-initialised soft token holding the XCA card's signing pair."""
    if opencryptoki_module_path() is None:
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    issued = softhsm_cards.xca.card.signing
    try:
        card = provision_opencryptoki_card(
            pin="123456", signing=(issued.private_key, issued.certificate)
        )
    except TestingError as exc:
        pytest.skip(f"opencryptoki is not usable here (run scripts/opencryptoki-setup.sh): {exc}")
    # The module loaded in this process still lists the objects of the token's previous life
    # until it is initialised again.
    load_module(card.module_path).refresh()
    return card


@pytest.fixture
def opencryptoki_config(config: ServiceConfig, soft_card: OpencryptokiCard) -> ServiceConfig:
    return dataclasses.replace(config, module_path=soft_card.module_path)


def _sign(client: TestClient, card: OpencryptokiCard, pin: str) -> dict[str, object]:
    package = {
        "func": "MakeSignature",
        "signatureType": "PKCS7",
        "tbs": "abc",
        "hashAlgorithm": "SHA256",
        "pin": quote(pin),
    }
    form = {"tbsPackage": json.dumps(package)}
    body: dict[str, object] = client.post("/sign", data=form, headers={"Origin": TRUSTED}).json()
    return body


def _state(card: OpencryptokiCard) -> PinState:
    module = load_module(card.module_path)
    return read_pin_state(module, module.select_token(TokenSelector(label=card.label)))


def test_page_cannot_spend_the_final_try_and_a_locked_card_says_pin_locked(
    opencryptoki_config: ServiceConfig, soft_card: OpencryptokiCard
) -> None:
    with client_for(opencryptoki_config) as client:
        for expected_state in (PinState.COUNT_LOW, PinState.FINAL_TRY):
            body = _sign(client, soft_card, WRONG)
            assert (body["ret_code"], body["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA0)
            assert _state(soft_card) is expected_state

        refused = _sign(client, soft_card, soft_card.pin)
        assert (refused["ret_code"], refused["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA0)
        assert "one PIN try left" in str(refused["message"])
        assert "--pin-mode local" in str(refused["message"])
        assert _state(soft_card) is PinState.FINAL_TRY, "the refused try reached the card"

        module = load_module(soft_card.module_path)
        with pytest.raises(PinIncorrectError):
            login(module, TokenSelector(label=soft_card.label), pin=WRONG, spend_final_try=True)
        assert _state(soft_card) is PinState.LOCKED

        locked = _sign(client, soft_card, soft_card.pin)
        assert (locked["ret_code"], locked["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA4)
        assert "issuing CA" in str(locked["message"])


def test_local_mode_warns_of_the_final_try_and_spends_it_on_the_users_word(
    opencryptoki_config: ServiceConfig, soft_card: OpencryptokiCard, user: UserAnswers
) -> None:
    with client_for(opencryptoki_config) as client:
        for _ in range(2):
            _sign(client, soft_card, WRONG)
    assert _state(soft_card) is PinState.FINAL_TRY
    user.pin = soft_card.pin
    local = dataclasses.replace(opencryptoki_config, pin_mode=PinMode.LOCAL)
    with client_for(local) as client:
        body = _sign(client, soft_card, "ignored")
    assert body["ret_code"] == 0, body["message"]
    assert user.pin_requests[-1].pin_state is PinState.FINAL_TRY
    assert _state(soft_card) is PinState.OK
