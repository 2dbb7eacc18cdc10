"""Read a card's certificates, then sign with its signing key through PKCS#11.

With a real card: set XCAPKI_PKCS11_MODULE to the HiCOS module (or leave it
unset to use the first known module that loads) and XCAPKI_PIN to the PIN.
Without one, a throwaway SoftHSM2 card from xcapki's test PKI is made first
(``demo_card``), so the example runs anywhere SoftHSM2 and OpenSC are installed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.testing import CardSpec, KeyAlgorithm, TestPki, provision_softhsm_card, softhsm_config
from xcapki.token import (
    MODULE_ENVIRONMENT_VARIABLE,
    KeyPurpose,
    PinFromEnvironment,
    find_module,
    login,
)


def demo_card(directory: Path) -> None:
    """A virtual XCA card with EC P-256 keys; sets the variables a real card's user would set."""
    conf = softhsm_config(directory / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # before SoftHSM2 is loaded: it reads it once
    spec = CardSpec(
        authority=Authority.XCA,
        organisation_name="範例會計師事務所",
        unified_business_number="12345678",
        key_algorithm=KeyAlgorithm.EC_P256,
    )
    card = provision_softhsm_card(TestPki.create(directory / "pki"), spec, softhsm_conf=conf)
    os.environ[MODULE_ENVIRONMENT_VARIABLE] = str(card.module_path)
    os.environ["XCAPKI_PIN"] = card.pin


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="token-example-") as directory:
        if MODULE_ENVIRONMENT_VARIABLE not in os.environ:
            demo_card(Path(directory))

        module = find_module()  # explicit path, XCAPKI_PKCS11_MODULE, or a known HiCOS path
        token = module.select_token()  # the only card inserted (blank tokens are ignored)
        print(f"card {token.serial} in {token.reader_name!r}: PIN {token.pin_state.value}")

        for found in module.public_certificates(token):  # no PIN needed, no try spent
            subject = found.certificate.subject.rfc4514_string()
            print(f"  {found.label} ({found.purpose.value}): {subject}")

        with login(module, token, pin=PinFromEnvironment(variable="XCAPKI_PIN")) as session:
            signer = session.signer(KeyPurpose.SIGNING)  # CKA_ID SIGN, never KEYX
            signature = signer.sign(
                b"hello", hash_algorithm=HashAlgorithm.SHA256, scheme=SignatureScheme.ECDSA
            )
            public_key = signer.certificate.public_key()
            assert isinstance(public_key, ec.EllipticCurvePublicKey)
            public_key.verify(signature, b"hello", ec.ECDSA(hashes.SHA256()))
            print(f"signed with {signer.certificate.subject.rfc4514_string()}; signature verified")


if __name__ == "__main__":
    main()
