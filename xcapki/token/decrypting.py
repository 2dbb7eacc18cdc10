"""Decrypting with a token key: RSA key transport by CKM_RSA_PKCS or CKM_RSA_PKCS_OAEP.

A GPKI card's encryption (KEYX) key unwraps the content key of an envelope
(or a short raw RSA block); the content itself is decrypted on the host.
A ciphertext the card refuses (bad padding, wrong length) raises
``DataError``, whatever code the module used for it.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from cryptography import x509

from xcapki.algorithms import HashAlgorithm
from xcapki.decrypter import KeyTransport, RsaPkcs1v15
from xcapki.token.errors import DataError, MechanismError, TokenError
from xcapki.token.objects import KeyKind, TokenCertificate

__all__ = ["TokenDecrypter"]

log = logging.getLogger("xcapki.token")

CKM_RSA_PKCS: Final = 0x1
CKM_RSA_PKCS_OAEP: Final = 0x9

_CKM_HASH: Final = {
    HashAlgorithm.SHA1: 0x220,
    HashAlgorithm.SHA256: 0x250,
    HashAlgorithm.SHA384: 0x260,
    HashAlgorithm.SHA512: 0x270,
}
_CKG_MGF1: Final = {
    HashAlgorithm.SHA1: 0x1,
    HashAlgorithm.SHA256: 0x2,
    HashAlgorithm.SHA384: 0x3,
    HashAlgorithm.SHA512: 0x4,
}
# Codes modules use for a ciphertext they cannot decrypt: the data and encrypted-data
# codes, ARGUMENTS_BAD, and GENERAL_ERROR / FUNCTION_FAILED, which SoftHSM2 and some cards
# return for any bad padding or length. All become one ``DataError``, so no code reveals
# which check failed (the session still reconnects after the device-error codes).
_CIPHERTEXT_REFUSED: Final = frozenset({0x005, 0x006, 0x007, 0x020, 0x021, 0x040, 0x041})


class _DecryptingSession(Protocol):
    """What a decrypter needs from its session (implemented by ``TokenSession``)."""

    def _mechanisms(self) -> frozenset[int]: ...

    def _decrypt(
        self, key_id: bytes, ckm: int, oaep: tuple[int, int, bytes] | None, data: bytes
    ) -> bytes: ...


class TokenDecrypter:
    """A token's RSA private key with its certificate; implements ``xcapki.Decrypter``.

    Decrypters share their session's lock, like signers.
    """

    __slots__ = ("_key_id", "_session", "token_certificate")

    def __init__(self, session: _DecryptingSession, token_certificate: TokenCertificate) -> None:
        if token_certificate.key_kind is not KeyKind.RSA:
            raise MechanismError(
                f"{token_certificate.describe()} holds a {token_certificate.key_kind.value} key;"
                " only RSA keys decrypt key transport: choose the card's RSA encryption key"
            )
        self._session = session
        self.token_certificate = token_certificate
        self._key_id = token_certificate.key_id

    def __repr__(self) -> str:
        return f"TokenDecrypter({self.token_certificate.describe()})"

    @property
    def certificate(self) -> x509.Certificate:
        """The certificate of the decrypting key."""
        return self.token_certificate.certificate

    def decrypt(self, ciphertext: bytes, *, padding: KeyTransport) -> bytes:
        """Undo the key transport on the token; a refused ciphertext is a ``DataError``."""
        if isinstance(padding, RsaPkcs1v15):
            ckm, oaep = CKM_RSA_PKCS, None
        else:
            ckm = CKM_RSA_PKCS_OAEP
            oaep = (_CKM_HASH[padding.hash_algorithm], _CKG_MGF1[padding.mgf1_hash], padding.label)
        if ckm not in self._session._mechanisms():
            raise MechanismError(
                f"the token does not offer {'RSA-OAEP' if oaep else 'RSA PKCS#1 v1.5'}"
                f" decryption (mechanism {ckm:#x}): ask the sender for the other key transport"
            )
        try:
            return self._session._decrypt(self._key_id, ckm, oaep, ciphertext)
        except TokenError as exc:
            if isinstance(exc, DataError) or exc.ckr in _CIPHERTEXT_REFUSED:
                log.debug("the token refused a ciphertext: %s", exc)
                raise DataError("the token could not decrypt the ciphertext", ckr=exc.ckr) from None
            raise
