"""Signing on SoftHSM2 cards with every mechanism, checked by cryptography and openssl."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from token_cards import Card

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.signer import Signer
from xcapki.token import (
    HostHashing,
    KeyPurpose,
    MechanismError,
    Pkcs11Module,
    TokenSelector,
    login,
)

pytestmark = pytest.mark.softhsm

HASHES = (HashAlgorithm.SHA256, HashAlgorithm.SHA384, HashAlgorithm.SHA512)
DATA = "憑證登入 challenge 0123456789".encode() * 40


def _verify_with_cryptography(
    card: Card, signature: bytes, hash_algorithm: HashAlgorithm, scheme: SignatureScheme
) -> None:
    public = card.signing_certificate.public_key()
    if scheme is SignatureScheme.ECDSA:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, DATA, ec.ECDSA(hash_algorithm.new()))
    elif scheme is SignatureScheme.RSA_PSS:
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(
            signature,
            DATA,
            padding.PSS(padding.MGF1(hash_algorithm.new()), hash_algorithm.digest_size),
            hash_algorithm.new(),
        )
    else:
        assert isinstance(public, rsa.RSAPublicKey)
        public.verify(signature, DATA, padding.PKCS1v15(), hash_algorithm.new())


def _verify_with_openssl(
    card: Card,
    signature: bytes,
    hash_algorithm: HashAlgorithm,
    scheme: SignatureScheme,
    tmp_path: Path,
) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    pub = tmp_path / "pub.pem"
    pub.write_bytes(
        card.signing_certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    (tmp_path / "data").write_bytes(DATA)
    (tmp_path / "sig").write_bytes(signature)
    digest = hash_algorithm.value.lower()
    options = ["-digest", digest]
    if scheme is SignatureScheme.RSA_PSS:
        options += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"]
    result = subprocess.run(
        [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin",
         "-in", str(tmp_path / "data"), "-sigfile", str(tmp_path / "sig"), *options],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Signature Verified Successfully" in result.stdout


CASES = [
    *((kind, scheme, h) for kind in ("rsa",) for scheme in
      (SignatureScheme.RSA_PKCS1V15, SignatureScheme.RSA_PSS) for h in HASHES),
    *((kind, SignatureScheme.ECDSA, h) for kind in ("p256", "p384") for h in HASHES),
]  # fmt: skip


@pytest.mark.openssl
@pytest.mark.parametrize("host_hashing", [HostHashing.AUTO, HostHashing.ALWAYS])
@pytest.mark.parametrize(("kind", "scheme", "hash_algorithm"), CASES)
def test_signature_verifies_with_cryptography_and_openssl(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card], tmp_path: Path,
    kind: str, scheme: SignatureScheme, hash_algorithm: HashAlgorithm, host_hashing: HostHashing,
) -> None:  # fmt: skip
    card = hsm_cards[kind]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer(KeyPurpose.SIGNING, host_hashing=host_hashing)
        assert isinstance(signer, Signer)
        assert signer.certificate == card.signing_certificate
        signature = signer.sign(DATA, hash_algorithm=hash_algorithm, scheme=scheme)
    _verify_with_cryptography(card, signature, hash_algorithm, scheme)
    _verify_with_openssl(card, signature, hash_algorithm, scheme, tmp_path)


def test_host_hash_path_is_chosen_when_the_combined_mechanism_is_missing(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    """SoftHSM2 lacks CKM_ECDSA_SHA256, so ECDSA must hash on the host and use CKM_ECDSA."""
    card = hsm_cards["p256"]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        assert 0x1044 not in session._mechanisms()
        signer = session.signer()
        signer.sign(DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA)
        plan = signer._plans[(HashAlgorithm.SHA256, SignatureScheme.ECDSA)]
        assert plan.host_hash is hashlib.sha256
        assert plan.mechanism.ckm == 0x1041


def test_hicos_module_signs_a_digest_info_with_rsa_pkcs(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["rsa"]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        session._host_hash = True  # what a Chunghwa Telecom (HiCOS) token sets at login
        signer = session.signer()
        signature = signer.sign(
            DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
        )
        plan = signer._plans[(HashAlgorithm.SHA256, SignatureScheme.RSA_PKCS1V15)]
        assert plan.mechanism.ckm == 0x1
        assert plan.prefix.hex().startswith("3031300d0609608648016503040201")
    _verify_with_cryptography(card, signature, HashAlgorithm.SHA256, SignatureScheme.RSA_PKCS1V15)


def test_scheme_that_does_not_fit_the_key_is_a_typed_error(
    hsm_module: Pkcs11Module, hsm_cards: dict[str, Card]
) -> None:
    card = hsm_cards["p256"]
    with login(hsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        with pytest.raises(MechanismError, match="cannot sign with rsa-pss"):
            signer.sign(DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PSS)
