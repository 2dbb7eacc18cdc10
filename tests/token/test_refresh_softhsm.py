"""Finding tokens made after the module was loaded, and choosing the only card without asking."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    KeyAlgorithm,
    StandardCards,
    TestPki,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.token import Pkcs11Module, TokenSelector, TokenSigner, login

pytestmark = pytest.mark.softhsm


def _sign(signer: TokenSigner, data: bytes) -> bytes:
    return signer.sign(data, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA)


def test_refresh_finds_a_card_made_after_loading_and_sessions_carry_on(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    card = softhsm_cards.xca_ec
    public = card.card.signing.certificate.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        _sign(signer, b"before")
        spec = CardSpec(
            authority=Authority.XCA,
            organisation_name="後插卡測試事務所",
            key_algorithm=KeyAlgorithm.EC_P256,
        )
        late = provision_softhsm_card(test_pki, spec, softhsm_conf=card.softhsm_conf)
        assert late.serial not in {t.serial for t in softhsm_module.tokens()}
        softhsm_module.refresh()
        assert late.serial in {t.serial for t in softhsm_module.tokens()}
        signature = _sign(signer, b"after")  # reconnects and logs in again by itself
        public.verify(signature, b"after", ec.ECDSA(HashAlgorithm.SHA256.new()))
    with login(softhsm_module, TokenSelector(serial=late.serial), pin=late.pin) as added:
        assert added.signer().certificate == late.card.signing.certificate


def test_refresh_never_lets_a_stale_session_close_a_new_one(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """After C_Initialize, session handles are numbered afresh: the first session to
    reconnect may get the number another session held before, which that other session
    must not log out or close when it notices it is stale."""
    first, second = softhsm_cards.xca_ec, softhsm_cards.gca
    with (
        login(softhsm_module, TokenSelector(serial=first.serial), pin=first.pin) as one,
        login(softhsm_module, TokenSelector(serial=second.serial), pin=second.pin) as two,
    ):
        ec_signer, rsa_signer = one.signer(), two.signer()

        def sign_two() -> None:
            rsa_signer.sign(
                b"two", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
            )

        softhsm_module.refresh()
        sign_two()  # reconnects first: the first handle after initialising
        stale = two._raw
        softhsm_module.refresh()
        _sign(ec_signer, b"one")  # reconnects first now, and gets that same number
        assert stale is not None
        assert one._raw is not None
        assert one._raw.handle == stale.handle, "SoftHSM2 numbered sessions differently"
        reconnected = one._raw
        sign_two()  # notices its session is stale and drops it
        _sign(ec_signer, b"one again")
        assert one._raw is reconnected


_ONLY_CARD = """
import json, sys
from xcapki.token import load_module
module = load_module(sys.argv[1])
listed = module.tokens()
chosen = module.select_token()
certificates = module.public_certificates()
print(json.dumps({"listed": len(listed), "blank": sum(not t.initialized for t in listed),
                  "chosen": chosen.serial, "labels": sorted(c.label for c in certificates)}))
"""


def test_the_only_card_is_chosen_without_a_selector(
    test_pki: TestPki, tmp_path: Path, softhsm_cards: StandardCards
) -> None:
    """In a process of its own: SoftHSM2 reads its configuration once per process, and this
    store must hold one card (plus SoftHSM2's blank slot), unlike the session's store."""
    conf = softhsm_config(tmp_path / "one-card")
    spec = CardSpec(authority=Authority.MOICA, organisation_name="林小華", moica_id_digits="1234")
    card = provision_softhsm_card(test_pki, spec, softhsm_conf=conf)
    result = subprocess.run(
        [sys.executable, "-c", _ONLY_CARD, str(card.module_path)],
        env={**os.environ, **card.environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {
        "listed": 2,
        "blank": 1,
        "chosen": card.serial,
        "labels": ["CACert", "ROOTCACert", "cert1", "cert2"],
    }
