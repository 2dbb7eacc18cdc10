"""Signatures per second through xcapki's TokenSigner and through raw python-pkcs11.

Both sides sign with the same SoftHSM2 key, in the same process, in
alternating batches of 20; the figure kept for each is its best round. RSA-2048 uses
CKM_SHA256_RSA_PKCS on both sides; ECDSA P-256 hashes on the host and uses
CKM_ECDSA on both sides (SoftHSM2 has no CKM_ECDSA_SHA256), xcapki also
DER-encoding the result as its Signer contract requires. The last line is JSON.

    .venv/bin/python bench/token_sign.py [--seconds 1.0] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from xcapki.crypto.algorithms import HashAlgorithm, SignatureScheme
from xcapki.token import TokenSelector, TokenSigner, load_module, login

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "123456"
DATA = b"x" * 256


def _certificate(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xcapki bench")])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


def _init_token(label: str) -> None:
    util = shutil.which("softhsm2-util") or "/usr/bin/softhsm2-util"
    subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--pin", PIN, "--so-pin", "12345678"],
        check=True,
        capture_output=True,
    )


def _provision(label: str, key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> None:
    module = load_module(MODULE)
    token = module.select_token(TokenSelector(label=label))
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    with module._handle.lock:
        session = module._handle.open_session(token.slot_id, read_write=True)
        try:
            session.login(PIN.encode())
            is_ec = isinstance(key, ec.EllipticCurvePrivateKey)
            session.import_private_key(der, key_id=b"SIGN", label="cert1", ec=is_ec)
            session.import_certificate(
                _certificate(key).public_bytes(serialization.Encoding.DER),
                key_id=b"SIGN",
                label="cert1",
            )
        finally:
            session.close()


def _rates(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """Both rates, measured in alternating batches so load from elsewhere hits both alike."""
    spent = [0.0, 0.0]
    count = 0
    while spent[0] + spent[1] < 2 * seconds:
        for index, sign in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(20):
                sign()
            spent[index] += time.perf_counter() - start
        count += 20
    return count / spent[0], count / spent[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="token-bench-") as directory:
        tokens = Path(directory) / "tokens"
        tokens.mkdir()
        conf = Path(directory) / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        _init_token("bench-rsa")
        _init_token("bench-ec")
        _provision("bench-rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
        _provision("bench-ec", ec.generate_private_key(ec.SECP256R1()))
        module = load_module(MODULE)

        raw_lib = pkcs11.lib(os.path.realpath(MODULE))  # the instance xcapki initialised
        results: dict[str, dict[str, float]] = {}
        for name, label, scheme in (
            ("rsa", "bench-rsa", SignatureScheme.RSA_PKCS1V15),
            ("ec", "bench-ec", SignatureScheme.ECDSA),
        ):
            session = login(module, TokenSelector(label=label), pin=PIN)
            signer = session.signer()
            raw_token = raw_lib.get_token(token_label=label)
            raw_session = raw_token.open()  # shares the login made through xcapki
            raw_key = raw_session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=b"SIGN")

            def through_xcapki(
                signer: TokenSigner = signer, scheme: SignatureScheme = scheme
            ) -> object:
                return signer.sign(DATA, hash_algorithm=HashAlgorithm.SHA256, scheme=scheme)

            if name == "rsa":

                def through_raw(key: object = raw_key) -> object:
                    return key.sign(DATA, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS)  # type: ignore[attr-defined]
            else:

                def through_raw(key: object = raw_key) -> object:
                    digest = hashlib.sha256(DATA).digest()
                    return key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA)  # type: ignore[attr-defined]

            through_xcapki()
            through_raw()
            best = {"xcapki": 0.0, "raw": 0.0}
            for _ in range(arguments.rounds):
                xcapki_rate, raw_rate = _rates(through_xcapki, through_raw, arguments.seconds)
                best["xcapki"] = max(best["xcapki"], xcapki_rate)
                best["raw"] = max(best["raw"], raw_rate)
            raw_session.close()
            session.close()
            results[name] = best
            print(
                f"{name:>3}: xcapki {best['xcapki']:8.1f} sig/s   raw python-pkcs11"
                f" {best['raw']:8.1f} sig/s   ratio {best['xcapki'] / best['raw']:.3f}"
            )

    summary = {
        "xcapki_rsa_per_s": round(results["rsa"]["xcapki"], 1),
        "raw_rsa_per_s": round(results["rsa"]["raw"], 1),
        "xcapki_ec_per_s": round(results["ec"]["xcapki"], 1),
        "raw_ec_per_s": round(results["ec"]["raw"], 1),
        "ratio_rsa": round(results["rsa"]["xcapki"] / results["rsa"]["raw"], 3),
        "ratio_ec": round(results["ec"]["xcapki"] / results["ec"]["raw"], 3),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
