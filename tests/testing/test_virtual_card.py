"""Virtual HiCOS cards on SoftHSM2, as OpenSC's pkcs11-tool sees them."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from xcapki.crypto.authority import Authority
from xcapki.testing import (
    HICOS_CARD_LABEL,
    CardSpec,
    StandardCards,
    TestingError,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
)

pytestmark = [pytest.mark.softhsm, pytest.mark.pkcs11tool]


def _pkcs11_tool(card: VirtualCard, *arguments: str) -> str:
    result = subprocess.run(
        ["pkcs11-tool", "--module", str(card.module_path), *arguments],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **card.environment},
    )
    return result.stdout


def _slot_of(card: VirtualCard) -> str:
    listing = _pkcs11_tool(card, "--list-token-slots")
    for block in listing.split("\nSlot ")[1:]:
        if f"serial num         : {card.serial}" in block:
            return block.split("(", 1)[1].split(")", 1)[0]
    raise AssertionError(f"token {card.serial} not listed:\n{listing}")


def test_token_looks_like_a_hicos_card(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    listing = _pkcs11_tool(card, "--list-token-slots")
    assert f"serial num         : {card.serial}" in listing
    assert listing.count(f"token label        : {HICOS_CARD_LABEL}") >= 8
    assert len(card.serial) == 16


def test_objects_have_the_hicos_layout(softhsm_cards: StandardCards) -> None:
    card = softhsm_cards.xca
    objects = _pkcs11_tool(
        card, "--slot", _slot_of(card), "--login", "--pin", card.pin, "--list-objects"
    )
    blocks = objects.split("\n")
    text = "\n".join(blocks)
    for label, key_id in (("cert1", "5349474e"), ("cert2", "4b455958")):
        assert text.count(f"label:      {label}\n") == 3, text  # certificate, private, public
        assert text.count(f"ID:         {key_id}") == 3
    assert "label:      CACert" in text
    assert "label:      ROOTCACert" in text


def test_signing_certificate_read_back_from_the_token(
    softhsm_cards: StandardCards, tmp_path: Path
) -> None:
    card = softhsm_cards.xca
    output = tmp_path / "cert1.der"
    _pkcs11_tool(
        card, "--slot", _slot_of(card), "--read-object", "--type", "cert",
        "--label", "cert1", "--output-file", str(output),
    )  # fmt: skip
    assert x509.load_der_x509_certificate(output.read_bytes()) == card.card.signing.certificate
    assert card.card.card_serial == card.serial


def test_repr_hides_the_pins(softhsm_cards: StandardCards) -> None:
    text = repr(softhsm_cards.xca)
    assert "pin=" not in text  # neither pin= nor so_pin=


@pytest.mark.parametrize("pin", ["12345", "123456789", "12 456", "一二三四五六"])
def test_pins_outside_the_hicos_form_are_refused(
    test_pki: TestPki, softhsm_cards: StandardCards, pin: str
) -> None:
    with pytest.raises(TestingError, match="6 to 8 letters or digits") as raised:
        provision_softhsm_card(
            test_pki,
            CardSpec(authority=Authority.XCA, organisation_name="PIN"),
            softhsm_conf=softhsm_cards.xca.softhsm_conf,
            pin=pin,
        )
    assert pin not in str(raised.value)


def test_a_preset_card_serial_is_refused(test_pki: TestPki, softhsm_cards: StandardCards) -> None:
    with pytest.raises(TestingError, match=r"leave CardSpec\.card_serial unset"):
        provision_softhsm_card(
            test_pki,
            CardSpec(authority=Authority.XCA, organisation_name="序號", card_serial="X" * 16),
            softhsm_conf=softhsm_cards.xca.softhsm_conf,
        )
