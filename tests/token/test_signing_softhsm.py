"""Signing on SoftHSM2 virtual cards with every mechanism, checked by cryptography and openssl."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.signer import Signer
from xcapki.testing import StandardCards, VirtualCard
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
    card: VirtualCard, signature: bytes, hash_algorithm: HashAlgorithm, scheme: SignatureScheme
) -> None:
    public = card.card.signing.certificate.public_key()
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
    card: VirtualCard,
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
        card.card.signing.certificate.public_key().public_bytes(
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
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, p384_card: VirtualCard,
    tmp_path: Path, kind: str, scheme: SignatureScheme, hash_algorithm: HashAlgorithm,
    host_hashing: HostHashing,
) -> None:  # fmt: skip
    card = {"rsa": softhsm_cards.xca, "p256": softhsm_cards.xca_ec, "p384": p384_card}[kind]
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer(KeyPurpose.SIGNING, host_hashing=host_hashing)
        assert isinstance(signer, Signer)
        assert signer.certificate == card.card.signing.certificate
        signature = signer.sign(DATA, hash_algorithm=hash_algorithm, scheme=scheme)
    _verify_with_cryptography(card, signature, hash_algorithm, scheme)
    _verify_with_openssl(card, signature, hash_algorithm, scheme, tmp_path)


def test_host_hash_path_is_chosen_when_the_combined_mechanism_is_missing(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    """SoftHSM2 lacks CKM_ECDSA_SHA256, so ECDSA must hash on the host and use CKM_ECDSA."""
    card = softhsm_cards.xca_ec
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        assert 0x1044 not in session._mechanisms()
        signer = session.signer()
        signer.sign(DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA)
        plan = signer._plans[(HashAlgorithm.SHA256, SignatureScheme.ECDSA)]
        assert plan.host_hash is hashlib.sha256
        assert plan.mechanism.ckm == 0x1041


def test_hicos_module_signs_a_digest_info_with_rsa_pkcs(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
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
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca_ec
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        with pytest.raises(MechanismError, match="cannot sign with rsa-pss"):
            signer.sign(DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PSS)


def test_a_signature_larger_than_the_session_buffer_comes_back_whole(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The buffer fits RSA-8192; a larger signature (shrunk here to 16 bytes, as no test key
    is that large) makes C_Sign answer CKR_BUFFER_TOO_SMALL, and the call is repeated."""
    monkeypatch.setattr("xcapki.token._pkcs11._SIGNATURE_BUFFER", 16)
    card = softhsm_cards.xca
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        for _ in range(2):  # the operation ended: the next signature starts cleanly
            signature = signer.sign(
                DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.RSA_PKCS1V15
            )
            assert len(signature) == 256
            _verify_with_cryptography(
                card, signature, HashAlgorithm.SHA256, SignatureScheme.RSA_PKCS1V15
            )


def test_data_in_any_bytes_like_object_is_signed(
    softhsm_module: Pkcs11Module, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    with login(softhsm_module, TokenSelector(serial=card.serial), pin=card.pin) as session:
        signer = session.signer()
        for data in (bytearray(DATA), memoryview(DATA)):
            signature = signer.sign(
                data,  # type: ignore[arg-type]
                hash_algorithm=HashAlgorithm.SHA256,
                scheme=SignatureScheme.RSA_PKCS1V15,
            )
            _verify_with_cryptography(
                card, signature, HashAlgorithm.SHA256, SignatureScheme.RSA_PKCS1V15
            )
