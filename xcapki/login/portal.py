"""The two calls a portal backend makes, whatever its web framework.

``PortalLogin`` holds one ``ChallengeIssuer`` and one ``LoginVerifier`` that
share the origin, the store and the clock, so they cannot be configured
apart. The framework supplies the browser session id (from its session
cookie) and maps every ``LoginError`` to one generic 401.
"""

from __future__ import annotations

from datetime import timedelta

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.login.challenge import DEFAULT_CHALLENGE_TTL, Challenge, Clock, system_clock
from xcapki.login.issuer import ChallengeIssuer
from xcapki.login.policy import DEFAULT_LOGIN_POLICY, LoginPolicy
from xcapki.login.stores import ChallengeStore, MemoryChallengeStore
from xcapki.login.verifier import LoginVerifier, VerifiedLogin
from xcapki.login.wire import LoginResponse

__all__ = ["PortalLogin"]


class PortalLogin:
    """Card login for one portal: ``issue_challenge`` then ``verify_response``.

    ``store`` defaults to a ``MemoryChallengeStore`` (one machine); give a
    ``RedisChallengeStore`` when several machines serve the portal.
    """

    __slots__ = ("_issuer", "_verifier")

    def __init__(
        self,
        *,
        origin: str,
        trust_store: TrustStore,
        policy: LoginPolicy = DEFAULT_LOGIN_POLICY,
        store: ChallengeStore | None = None,
        revocation_mode: RevocationMode | None = None,
        challenge_ttl: timedelta = DEFAULT_CHALLENGE_TTL,
        clock_skew: timedelta | None = None,
        clock: Clock = system_clock,
    ) -> None:
        shared = store if store is not None else MemoryChallengeStore(clock=clock)
        self._issuer = ChallengeIssuer(origin=origin, store=shared, ttl=challenge_ttl, clock=clock)
        self._verifier = LoginVerifier(
            origin=origin,
            store=shared,
            trust_store=trust_store,
            policy=policy,
            revocation_mode=revocation_mode,
            clock_skew=clock_skew,
            clock=clock,
        )

    @property
    def issuer(self) -> ChallengeIssuer:
        return self._issuer

    @property
    def verifier(self) -> LoginVerifier:
        return self._verifier

    def issue_challenge(self, session_id: str) -> Challenge:
        """A challenge for this browser session; send ``challenge.to_json()`` to the page."""
        return self._issuer.issue(session_id)

    def verify_response(
        self, session_id: str, response: bytes | str | LoginResponse
    ) -> VerifiedLogin:
        """The verified login for this browser session's POSTed response, or a ``LoginError``."""
        return self._verifier.verify(response, session_id=session_id)
