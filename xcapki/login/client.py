"""The client side: sign a portal's challenge with the card and shape the response.

A local signing component (xcapki's HiPKI-compatible service, a CLI, a
desktop app) calls ``respond`` with the challenge the portal sent and the
card: a logged-in ``TokenSession`` (its signing key, ``SIGN``, is used,
never ``KEYX``) or any ``Signer``. ``origin`` is the origin of the page that
asked; a signing service passes the origin it saw, so a challenge relayed
through another site is signed for that site and the portal refuses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.cms import FULL_ATTRIBUTES, sign_cms, sign_hipki, sign_smartpki
from xcapki.crypto.errors import CmsError
from xcapki.login.challenge import Challenge, login_message
from xcapki.login.errors import LoginConfigurationError
from xcapki.login.wire import LoginResponse, ResponseFormat
from xcapki.signer import Signer

if TYPE_CHECKING:
    from xcapki.token import TokenSession

__all__ = ["respond"]


def respond(
    challenge: Challenge,
    card: TokenSession | Signer,
    *,
    response_format: ResponseFormat = ResponseFormat.XCAPKI,
    origin: str | None = None,
    card_serial: str | None = None,
    hash_algorithm: HashAlgorithm = HashAlgorithm.SHA256,
    signing_time: datetime | None = None,
    include_chain: Sequence[x509.Certificate] = (),
) -> LoginResponse:
    """Sign ``challenge`` for ``origin`` (default: the challenge's own) in ``response_format``.

    With a ``TokenSession`` the card's signing key signs and ``card_serial``
    defaults to the token's serial. Token errors (wrong PIN, card removed)
    propagate as the token layer's ``TokenError``s.
    """
    signer, serial = _signer(card)
    serial = card_serial or serial
    message = login_message(challenge, origin or challenge.origin)
    certificate = signer.certificate.public_bytes(Encoding.DER)
    try:
        if response_format is ResponseFormat.XCAPKI:
            cms = sign_cms(
                message,
                signer,
                hash_algorithm=hash_algorithm,
                attributes=FULL_ATTRIBUTES,
                include_chain=include_chain,
                signing_time=signing_time,
                nonce=challenge.nonce,
                card_serial=serial,
            )
            return LoginResponse(
                format=response_format, challenge_id=challenge.challenge_id, cms=cms
            )
        if response_format is ResponseFormat.HIPKI:
            cms = sign_hipki(
                message,
                signer,
                nonce=challenge.nonce,
                card_serial=serial,
                signing_time=signing_time,
                hash_algorithm=hash_algorithm,
                include_chain=include_chain,
            )
            return LoginResponse(
                format=response_format,
                challenge_id=challenge.challenge_id,
                cms=cms,
                certificate=certificate,
                card_serial=serial,
            )
        cms = sign_smartpki(
            message, signer, hash_algorithm=hash_algorithm, include_chain=include_chain
        )
    except CmsError as exc:
        raise LoginConfigurationError(f"the challenge cannot be signed this way: {exc}") from exc
    return LoginResponse(
        format=response_format,
        challenge_id=challenge.challenge_id,
        cms=cms,
        certificate=certificate,
    )


def _signer(card: TokenSession | Signer) -> tuple[Signer, str | None]:
    if isinstance(card, Signer):
        return card, None
    from xcapki.token import KeyPurpose, TokenSession

    if isinstance(card, TokenSession):
        return card.signer(KeyPurpose.SIGNING), card.token.serial
    raise LoginConfigurationError(
        f"respond() signs with a TokenSession or a Signer, not a {type(card).__name__}"
    )
