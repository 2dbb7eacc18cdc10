"""Sign with a card's signing key through PKCS#11, the way an integrator would.

With a real card: set XCAPKI_PKCS11_MODULE to the HiCOS module (or leave it
unset to use the first known module that loads) and XCAPKI_PIN to the PIN.
Without one, the example makes a throwaway SoftHSM2 card shaped like a HiCOS
card first (the part under ``demo_card``), so it runs anywhere SoftHSM2 is installed.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.token import (
    MODULE_ENVIRONMENT_VARIABLE,
    KeyPurpose,
    PinFromEnvironment,
    TokenSelector,
    find_module,
    load_module,
    login,
)

SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def demo_card(directory: Path) -> None:
    """A SoftHSM2 token labelled like a HiCOS card, holding a SIGN key and cert1."""
    (directory / "tokens").mkdir()
    (directory / "softhsm2.conf").write_text(f"directories.tokendir = {directory / 'tokens'}\n")
    os.environ["SOFTHSM2_CONF"] = str(directory / "softhsm2.conf")
    os.environ[MODULE_ENVIRONMENT_VARIABLE] = SOFTHSM
    os.environ["XCAPKI_PIN"] = "123456"
    subprocess.run(
        [shutil.which("softhsm2-util") or "softhsm2-util", "--init-token", "--free",
         "--label", "HiCOS PKI Smart Card", "--pin", "123456", "--so-pin", "12345678"],
        check=True, capture_output=True,
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "demo card")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(1)
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                       critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    module = load_module(SOFTHSM)
    token = module.select_token(TokenSelector(label="HiCOS PKI Smart Card"))
    with module._handle.lock:
        session = module._handle.open_session(token.slot_id, read_write=True)
        try:
            session.login(b"123456")
            der = key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption(),
            )
            session.import_private_key(der, key_id=b"SIGN", label="cert1", ec=True)
            session.import_certificate(
                certificate.public_bytes(serialization.Encoding.DER), key_id=b"SIGN", label="cert1"
            )
        finally:
            session.close()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="token-example-") as directory:
        if MODULE_ENVIRONMENT_VARIABLE not in os.environ:
            demo_card(Path(directory))

        module = find_module()  # explicit path, XCAPKI_PKCS11_MODULE, or a known HiCOS path
        token = module.select_token(TokenSelector(label="HiCOS PKI Smart Card"))
        print(f"card {token.serial} in {token.reader_name!r}: PIN {token.pin_state.value}")

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
