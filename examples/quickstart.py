"""The README's example: sign a challenge on the card, verify it, read who signed.

Run it with a card in the reader (or a virtual card: ``xcapki virtual-card create``
prints the SOFTHSM2_CONF and module to use)::

    XCAPKI_PKCS11_MODULE=/usr/lib/softhsm/libsofthsm2.so python examples/quickstart.py

The PIN comes from $XCAPKI_PIN when set, else from a prompt.
"""

from __future__ import annotations

import os

import xcapki


def main() -> None:
    module = xcapki.find_module()
    token = module.select_token(xcapki.TokenSelector(label="HiCOS PKI Smart Card"))
    pin: xcapki.PinFromEnvironment | xcapki.PinPrompt = (
        xcapki.PinFromEnvironment() if "XCAPKI_PIN" in os.environ else xcapki.PinPrompt()
    )
    with xcapki.login(module, token, pin=pin) as session:
        signature = xcapki.sign_hipki(b"challenge", session.signer(xcapki.KeyPurpose.SIGNING))

    verified = xcapki.verify_cms(signature)
    identity = xcapki.TaiwanCertificate.from_certificate(verified.signer_certificate)
    print(identity.authority.name, identity.organisation_name, identity.unified_business_number)


if __name__ == "__main__":
    try:
        main()
    except xcapki.XcapkiError as error:  # no card, several cards, a wrong PIN: say what to do
        raise SystemExit(f"quickstart: {error}") from None
