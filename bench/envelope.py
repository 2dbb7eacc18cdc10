"""Opening CMS envelopes: xcapki beside cryptography's PKCS#7, and a card's decryption beside
raw python-pkcs11.

1. ``open_envelope`` with a file key (``KeyDecrypter``) and
   ``cryptography``'s ``pkcs7_decrypt_der`` open the same AES-256-CBC envelope
   (RSA-2048, PKCS#1 v1.5, 1 KiB content, made by cryptography).
2. ``TokenDecrypter.decrypt`` and python-pkcs11's ``key.decrypt`` (key found
   once) undo the same PKCS#1 v1.5 block with the same SoftHSM2 KEYX key.

Both sides alternate in batches of 20, in the same process; the figure kept
for each is its best round. The last line is JSON.

    .venv/bin/python bench/envelope.py [--seconds 1.0] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.serialization import pkcs7

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import open_envelope
from xcapki.crypto.key_decrypter import KeyDecrypter
from xcapki.decrypter import PKCS1V15
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, softhsm_config
from xcapki.token import TokenSelector, load_module, login

CONTENT = b"x" * 1024


def _rates(
    first: Callable[[], object], second: Callable[[], object], seconds: float
) -> tuple[float, float]:
    """Both rates, measured in alternating batches so load from elsewhere hits both alike."""
    spent = [0.0, 0.0]
    count = 0
    while spent[0] + spent[1] < 2 * seconds:
        for index, operation in enumerate((first, second)):
            start = time.perf_counter()
            for _ in range(20):
                operation()
            spent[index] += time.perf_counter() - start
        count += 20
    return count / spent[0], count / spent[1]


def _best(
    first: Callable[[], object], second: Callable[[], object], arguments: argparse.Namespace
) -> tuple[float, float]:
    first()
    second()
    best = [0.0, 0.0]
    for _ in range(arguments.rounds):
        rates = _rates(first, second, arguments.seconds)
        best = [max(best[0], rates[0]), max(best[1], rates[1])]
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one round")
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="envelope-bench-") as folder:
        directory = Path(folder)
        conf = softhsm_config(directory / "softhsm")
        os.environ["SOFTHSM2_CONF"] = str(conf)
        spec = CardSpec(authority=Authority.XCA, organisation_name="效能測試")
        card = provision_softhsm_card(TestPki.create(directory / "pki"), spec, softhsm_conf=conf)
        certificate = card.card.encryption.certificate
        key = card.card.encryption.private_key
        assert isinstance(key, rsa.RSAPrivateKey)

        envelope = (
            pkcs7.PKCS7EnvelopeBuilder()
            .set_data(CONTENT)
            .set_content_encryption_algorithm(algorithms.AES256)
            .add_recipient(certificate)
            .encrypt(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
        )
        decrypter = KeyDecrypter(private_key=key, certificate=certificate)
        opened_xcapki, opened_cryptography = _best(
            lambda: open_envelope(envelope, decrypter),
            lambda: pkcs7.pkcs7_decrypt_der(envelope, certificate, key, []),
            arguments,
        )
        print(
            f"open envelope: xcapki {opened_xcapki:8.1f}/s   cryptography"
            f" {opened_cryptography:8.1f}/s   ratio {opened_xcapki / opened_cryptography:.3f}"
        )

        module = load_module(card.module_path)
        session = login(module, TokenSelector(serial=card.serial), pin=card.pin)
        token_decrypter = session.decrypter()
        block = certificate.public_key().encrypt(b"k" * 32, padding.PKCS1v15())  # type: ignore[union-attr]
        # The same module instance xcapki initialised, so both sides share one login.
        raw_lib = pkcs11.lib(os.path.realpath(card.module_path))
        raw_session = raw_lib.get_token(token_serial=card.serial.encode()).open()
        raw_key = raw_session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=b"KEYX")
        card_xcapki, card_raw = _best(
            lambda: token_decrypter.decrypt(block, padding=PKCS1V15),
            lambda: raw_key.decrypt(block, mechanism=pkcs11.Mechanism.RSA_PKCS),
            arguments,
        )
        raw_session.close()
        session.close()
        overhead_us = (1 / card_xcapki - 1 / card_raw) * 1e6
        print(
            f"card decrypt:  xcapki {card_xcapki:8.1f}/s   raw python-pkcs11 {card_raw:8.1f}/s"
            f"   ratio {card_xcapki / card_raw:.3f}   overhead {overhead_us:.0f} µs"
        )

    print(
        json.dumps(
            {
                "open_xcapki_per_s": round(opened_xcapki, 1),
                "open_cryptography_per_s": round(opened_cryptography, 1),
                "ratio_open": round(opened_xcapki / opened_cryptography, 3),
                "card_xcapki_per_s": round(card_xcapki, 1),
                "card_raw_per_s": round(card_raw, 1),
                "ratio_card": round(card_xcapki / card_raw, 3),
                "card_overhead_us": round(overhead_us),
            }
        )
    )


if __name__ == "__main__":
    main()
