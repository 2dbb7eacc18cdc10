"""Token-backed CMS: a SoftHSM2 virtual HiCOS card signs, OpenSSL and xcapki verify.

The card is the session's standard XCA virtual card (xcapki.testing, on the
Taiwan-profile test PKI); signing goes through the token layer's ``Signer``,
as in production.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from xcapki.algorithms import SignatureScheme
from xcapki.crypto.cms import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    NO_ATTRIBUTES,
    NoAttributes,
    SignedAttributes,
    sign_cms,
    verify_cms,
)
from xcapki.testing import StandardCards, TestPki, VirtualCard
from xcapki.token import KeyPurpose, TokenSelector, load_module, login
from xcapki.token.session import TokenSession

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl]

CONTENT = b"token-backed login challenge"


@pytest.fixture
def virtual_card(softhsm_cards: StandardCards) -> VirtualCard:
    return softhsm_cards.xca


@pytest.fixture
def session(virtual_card: VirtualCard) -> Iterator[TokenSession]:
    module = load_module(virtual_card.module_path)
    with login(module, TokenSelector(serial=virtual_card.serial), pin=virtual_card.pin) as opened:
        yield opened


@pytest.mark.parametrize("scheme", [SignatureScheme.RSA_PKCS1V15, SignatureScheme.RSA_PSS])
@pytest.mark.parametrize("detached", [False, True])
@pytest.mark.parametrize(
    "attributes", [FULL_ATTRIBUTES, HIPKI_ATTRIBUTES, NO_ATTRIBUTES], ids=["full", "hipki", "none"]
)
def test_openssl_verifies_card_signature(
    virtual_card: VirtualCard,
    session: TokenSession,
    test_pki: TestPki,
    openssl: str,
    tmp_path: Path,
    scheme: SignatureScheme,
    detached: bool,
    attributes: SignedAttributes | NoAttributes,
) -> None:
    signer = session.signer(KeyPurpose.SIGNING)
    card = virtual_card.card
    hipki = attributes == HIPKI_ATTRIBUTES
    der = sign_cms(
        CONTENT,
        signer,
        scheme=scheme,
        detached=detached,
        attributes=attributes,
        include_chain=(card.issuer,),
        nonce=b"\x5a" * 32 if hipki else None,
        card_serial=virtual_card.serial if hipki else None,
    )
    verified = verify_cms(der, content=CONTENT if detached else None)
    assert verified.intact
    assert verified.signer_certificate == card.signing.certificate
    if hipki:
        assert verified.attributes is not None
        assert verified.attributes.card_serial == virtual_card.serial

    (tmp_path / "s.der").write_bytes(der)
    (tmp_path / "c.bin").write_bytes(CONTENT)
    command = [openssl, "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "s.der")]
    command += ["-CAfile", str(test_pki.root_certificate_path)]
    command += ["-binary", "-out", str(tmp_path / "o.bin")]
    if detached:
        command += ["-content", str(tmp_path / "c.bin")]
    result = subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "o.bin").read_bytes() == CONTENT
