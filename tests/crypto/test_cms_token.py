"""Token-backed CMS: a SoftHSM2 virtual HiCOS card signs, OpenSSL and xcapki verify.

The card is provisioned by xcapki.testing from the Taiwan-profile test PKI;
signing goes through the token layer's ``Signer``, as in production.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.crypto.algorithms import SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    FULL_ATTRIBUTES,
    HIPKI_ATTRIBUTES,
    NO_ATTRIBUTES,
    NoAttributes,
    SignedAttributes,
    sign_cms,
    verify_cms,
)
from xcapki.testing import CardSpec, TestPki, VirtualCard, provision_softhsm_card, softhsm_config
from xcapki.testing.errors import TestingError
from xcapki.token import KeyPurpose, TokenSelector, load_module, login
from xcapki.token.session import TokenSession

pytestmark = [pytest.mark.softhsm, pytest.mark.openssl]

CONTENT = b"token-backed login challenge"


@pytest.fixture(scope="module")
def virtual_card(tmp_path_factory: pytest.TempPathFactory) -> VirtualCard:
    if shutil.which("softhsm2-util") is None:
        pytest.skip("SoftHSM2 is not installed (Debian package softhsm2)")
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line tool is not installed (Debian package openssl)")
    existing = os.environ.get("SOFTHSM2_CONF")
    if existing and Path(existing).is_file():
        conf = Path(existing)
    else:
        conf = softhsm_config(tmp_path_factory.mktemp("cms-softhsm"))
        os.environ["SOFTHSM2_CONF"] = str(conf)
    pki = TestPki.create(tmp_path_factory.mktemp("cms-token") / "pki")
    try:
        return provision_softhsm_card(
            pki,
            CardSpec(authority=Authority.XCA, organisation_name="虛擬卡會計師事務所"),
            softhsm_conf=conf,
        )
    except TestingError as exc:
        pytest.skip(f"SoftHSM2 card could not be provisioned: {exc}")


@pytest.fixture
def session(virtual_card: VirtualCard) -> Iterator[TokenSession]:
    module = load_module(virtual_card.module_path)
    # SoftHSM2 sees tokens created by another process (softhsm2-util) only after
    # a re-initialisation; the token layer's own tests do the same.
    module._handle.reinitialize()
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
    command = ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(tmp_path / "s.der")]
    command += ["-CAfile", str(_root(tmp_path, card.root))]
    command += ["-binary", "-out", str(tmp_path / "o.bin")]
    if detached:
        command += ["-content", str(tmp_path / "c.bin")]
    result = subprocess.run(command, capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert (tmp_path / "o.bin").read_bytes() == CONTENT


def _root(tmp_path: Path, root: x509.Certificate) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(root.public_bytes(Encoding.PEM))
    return path
