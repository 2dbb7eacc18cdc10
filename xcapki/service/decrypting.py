"""DecryptData with the card's encryption (KEYX) key: a CMS envelope, or one raw RSA block.

Every failure caused by the cipher (not addressed to this card, damaged,
bad padding, wrong key length, bad content padding or tag, an algorithm not
read) is the same refusal with the same message and code, so a page learns
nothing from which step failed.
"""

from __future__ import annotations

import base64

from xcapki.crypto.cms import DecryptionError, open_envelope
from xcapki.decrypter import PKCS1V15, Decrypter
from xcapki.service.errors import HipkiCode, HipkiError
from xcapki.service.protocol import CipherType, DecryptRequest
from xcapki.token.errors import DataError

__all__ = ["REFUSED_MESSAGE", "decrypt_cipher", "plain_field"]

REFUSED_MESSAGE = (
    "the cipher cannot be decrypted with the card's encryption key: it is addressed to another"
    " card, damaged or altered, or uses an algorithm xcapki does not read; have the site"
    " encrypt it again to this card's encryption certificate"
)


def decrypt_cipher(decrypter: Decrypter, request: DecryptRequest) -> bytes:
    """The plaintext, or the one ``DECRYPTION_FAILED`` refusal."""
    try:
        if request.cipher_type is CipherType.PKCS7:
            return open_envelope(request.cipher, decrypter).content
        return decrypter.decrypt(request.cipher, padding=PKCS1V15)
    except (DecryptionError, DataError):
        raise HipkiError(REFUSED_MESSAGE, ret_code=HipkiCode.DECRYPTION_FAILED) from None


def plain_field(plain: bytes, *, as_base64: bool) -> str:
    """``plain`` as the answer carries it: base64, or (plainEncoding NONE) UTF-8 text."""
    if as_base64:
        return base64.b64encode(plain).decode()
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise HipkiError(
            "the decrypted data is not UTF-8 text: ask with plainEncoding base64",
            ret_code=HipkiCode.BAD_REQUEST,
        ) from None
