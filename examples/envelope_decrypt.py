"""PKCS#7加密範例: a server encrypts to the card's encryption certificate; the card decrypts.

The server side needs no card: it reads the user's encryption (KEYX)
certificate, here from the card without a PIN as a portal would get it from
pkcs11info, and makes a CMS envelope. The user's side opens it with the
card's KEYX key; the content is decrypted on the host. A damaged envelope
gets the one DecryptionError, whatever went wrong. Large files are streamed
with encrypt_envelope_stream / open_envelope_stream.

With a real card: set XCAPKI_PKCS11_MODULE and XCAPKI_PIN. Without one, a
throwaway SoftHSM2 card from xcapki's test PKI is made first.

    .venv/bin/python examples/envelope_decrypt.py
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import (
    ContentEncryption,
    DecryptionError,
    encrypt_envelope,
    encrypt_envelope_stream,
    open_envelope,
    open_envelope_stream,
)
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, softhsm_config
from xcapki.token import (
    MODULE_ENVIRONMENT_VARIABLE,
    KeyPurpose,
    PinFromEnvironment,
    find_module,
    login,
)

MESSAGE = "113 年度查核報告：請於 5 月 31 日前完成申報。".encode()


def demo_card(directory: Path) -> None:
    """A virtual XCA card (RSA-2048); sets the variables a real card's user would set."""
    conf = softhsm_config(directory / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # before SoftHSM2 is loaded: it reads it once
    spec = CardSpec(authority=Authority.XCA, organisation_name="範例會計師事務所")
    card = provision_softhsm_card(TestPki.create(directory / "pki"), spec, softhsm_conf=conf)
    os.environ[MODULE_ENVIRONMENT_VARIABLE] = str(card.module_path)
    os.environ["XCAPKI_PIN"] = card.pin


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="envelope-example-") as directory:
        if MODULE_ENVIRONMENT_VARIABLE not in os.environ:
            demo_card(Path(directory))
        module = find_module()
        token = module.select_token()
        recipient = next(
            found.certificate
            for found in module.public_certificates(token)  # no PIN needed
            if found.purpose is KeyPurpose.ENCRYPTION
        )

        # The server: AES-256-GCM content, the key wrapped with RSA-OAEP (the defaults).
        envelope = encrypt_envelope(MESSAGE, recipient)
        legacy = encrypt_envelope(
            MESSAGE, recipient, content_encryption=ContentEncryption.AES_256_CBC
        )
        print(f"envelope: {len(envelope)} bytes for {recipient.subject.rfc4514_string()}")
        # A large file is streamed in constant memory (BER, as openssl cms -stream writes);
        # here a small one in memory stands for the files being read and written.
        streamed = io.BytesIO()
        encrypt_envelope_stream(io.BytesIO(MESSAGE), streamed, recipient)

        # The user: the card's KEYX key unwraps the content key.
        with login(module, token, pin=PinFromEnvironment(variable="XCAPKI_PIN")) as session:
            decrypter = session.decrypter(KeyPurpose.ENCRYPTION)
            for sample in (envelope, legacy):
                opened = open_envelope(sample, decrypter)
                print(
                    f"{opened.content_encryption.value}: {opened.content.decode()}"
                    f" (authenticated: {opened.authenticated})"
                )
            damaged = envelope[:-1] + bytes([envelope[-1] ^ 1])
            try:
                open_envelope(damaged, decrypter)
            except DecryptionError as refusal:
                print(f"damaged: {type(refusal).__name__}")
            # The streamed content is kept only once the call returns (the tag is checked last).
            plain = io.BytesIO()
            result = open_envelope_stream(io.BytesIO(streamed.getvalue()), plain, decrypter)
            print(f"streamed {result.content_encryption.value}: {plain.getvalue().decode()}")


if __name__ == "__main__":
    main()
