"""Signatures per second through xcapki's TokenSigner and through raw python-pkcs11.

Both sides sign with the same key of a virtual HiCOS card (SoftHSM2, made by
xcapki.testing), in the same process, in alternating batches of 20; the figure
kept for each is its best round. RSA-2048 uses CKM_SHA256_RSA_PKCS on both
sides; ECDSA P-256 hashes on the host and uses CKM_ECDSA on both sides
(SoftHSM2 has no CKM_ECDSA_SHA256), xcapki also DER-encoding the result as its
Signer contract requires. xcapki can come out ahead: it calls C_SignInit and
C_Sign with a mechanism built once per plan, where python-pkcs11 rebuilds it and
an 8 KiB buffer per signature. The last line is JSON.

    .venv/bin/python bench/token_sign.py [--seconds 1.0] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pkcs11

from xcapki.algorithms import HashAlgorithm, SignatureScheme
from xcapki.crypto.authority import Authority
from xcapki.testing import (
    CardSpec,
    KeyAlgorithm,
    TestPki,
    VirtualCard,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.token import TokenSelector, TokenSigner, load_module, login

DATA = b"x" * 256


def _cards(directory: Path) -> dict[str, VirtualCard]:
    """An RSA-2048 and an EC P-256 virtual HiCOS card, made before SoftHSM2 is loaded."""
    conf = softhsm_config(directory / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pki = TestPki.create(directory / "pki")
    return {
        name: provision_softhsm_card(
            pki,
            CardSpec(authority=Authority.XCA, organisation_name="效能測試", key_algorithm=key),
            softhsm_conf=conf,
        )
        for name, key in (("rsa", KeyAlgorithm.RSA_2048), ("ec", KeyAlgorithm.EC_P256))
    }


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
        cards = _cards(Path(directory))
        module = load_module(cards["rsa"].module_path)

        # The same module instance xcapki initialised, so both sides share one login.
        raw_lib = pkcs11.lib(os.path.realpath(cards["rsa"].module_path))
        results: dict[str, dict[str, float]] = {}
        for name, scheme in (("rsa", SignatureScheme.RSA_PKCS1V15), ("ec", SignatureScheme.ECDSA)):
            card = cards[name]
            session = login(module, TokenSelector(serial=card.serial), pin=card.pin)
            signer = session.signer()
            raw_token = raw_lib.get_token(token_serial=card.serial.encode())
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
