"""Per-signature overhead of xcapki's TokenSigner over raw python-pkcs11, in microseconds.

Both sides sign with the same key of a virtual HiCOS card (SoftHSM2, made by
xcapki.testing), in the same process and the same login, in alternating batches
of 20. RSA-2048 uses CKM_SHA256_RSA_PKCS on both sides; ECDSA P-256 hashes on
the host and uses CKM_ECDSA on both sides (SoftHSM2 has no CKM_ECDSA_SHA256),
xcapki also DER-encoding the result as its Signer contract requires. Each
round's overhead is xcapki's time per signature minus python-pkcs11's; the
median round is kept. The target is at most 50 us, which no card user can
notice beside a card's hundreds of milliseconds. The last line is JSON.

    .venv/bin/python bench/token_sign.py [--seconds 1.0] [--rounds 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
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


def _seconds_per_signature(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """Both sides' time per signature, measured in alternating batches so load from
    elsewhere hits both alike."""
    spent = [0.0, 0.0]
    count = 0
    while spent[0] + spent[1] < 2 * seconds:
        for index, sign in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(20):
                sign()
            spent[index] += time.perf_counter() - start
        count += 20
    return spent[0] / count, spent[1] / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="token-bench-") as directory:
        cards = _cards(Path(directory))
        module = load_module(cards["rsa"].module_path)

        # The same module instance xcapki initialised, so both sides share one login.
        raw_lib = pkcs11.lib(os.path.realpath(cards["rsa"].module_path))
        results: dict[str, tuple[float, float]] = {}
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
            rounds = [
                _seconds_per_signature(through_xcapki, through_raw, arguments.seconds)
                for _ in range(arguments.rounds)
            ]
            raw_session.close()
            session.close()
            overhead = statistics.median(x - r for x, r in rounds) * 1e6
            per_signature = statistics.median(r for _, r in rounds) * 1e6
            results[name] = (overhead, per_signature)
            print(
                f"{name:>3}: python-pkcs11 {per_signature:8.1f} us/signature   xcapki overhead"
                f" {overhead:6.1f} us (median of {arguments.rounds} rounds)"
            )

    summary = {
        "overhead_us_rsa": round(results["rsa"][0], 1),
        "overhead_us_ec": round(results["ec"][0], 1),
        "raw_us_rsa": round(results["rsa"][1], 1),
        "raw_us_ec": round(results["ec"][1], 1),
        "target_us": 50,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
