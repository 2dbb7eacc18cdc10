"""Challenges: randomness, lifetime, origin form, session binding and the bytes to sign."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from login_helpers import ORIGIN, SESSION, SettableClock

from xcapki.login import (
    DEFAULT_CHALLENGE_TTL,
    MIN_NONCE_BYTES,
    Challenge,
    ChallengeIssuer,
    LoginConfigurationError,
    MemoryChallengeStore,
    login_message,
)
from xcapki.login.challenge import CHALLENGE_ID_PATTERN, normalise_origin


def test_challenges_are_random_stored_and_bound_to_the_session() -> None:
    clock = SettableClock()
    store = MemoryChallengeStore()
    issuer = ChallengeIssuer(origin=ORIGIN, store=store, clock=clock)
    issued = [issuer.issue(SESSION) for _ in range(50)]
    assert len({c.nonce for c in issued}) == len({c.challenge_id for c in issued}) == 50
    for challenge in issued:
        assert len(challenge.nonce) >= MIN_NONCE_BYTES
        assert CHALLENGE_ID_PATTERN.fullmatch(challenge.challenge_id)
        assert challenge.origin == ORIGIN
        assert challenge.expires_at - challenge.issued_at == DEFAULT_CHALLENGE_TTL
        assert abs(challenge.issued_at - clock.now) < dt.timedelta(seconds=1)
    record = store.take(issued[0].challenge_id)
    assert record is not None
    assert record.challenge == issued[0]
    assert record.belongs_to(SESSION)
    assert not record.belongs_to(SESSION + "x")
    assert not record.belongs_to("")
    assert SESSION.encode() not in record.to_bytes()
    assert SESSION.encode() not in repr(record).encode()


def test_the_signed_bytes_are_the_documented_canonical_text() -> None:
    challenge = Challenge(
        challenge_id="AAAAAAAAAAAAAAAAAAAAAAAA",
        nonce=bytes(range(32)),
        origin=ORIGIN,
        issued_at=dt.datetime(2025, 6, 1, 8, 0, tzinfo=dt.UTC),
        expires_at=dt.datetime(2025, 6, 1, 8, 5, tzinfo=dt.UTC),
    )
    assert challenge.message == (
        b"xcapki login challenge v1\n"
        b"origin: https://portal.example.tw\n"
        b"challenge: AAAAAAAAAAAAAAAAAAAAAAAA\n"
        b"nonce: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n"
        b"issued: 2025-06-01T08:00:00Z\n"
        b"expires: 2025-06-01T08:05:00Z"
    )
    assert login_message(challenge, "HTTPS://Portal.Example.TW:443/") == challenge.message
    assert login_message(challenge, "https://portal.example.tw:8443") != challenge.message
    assert Challenge.from_json(challenge.to_json()) == challenge
    assert json.loads(challenge.to_json())["message"] == challenge.message.decode()


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("https://portal.example.tw", "https://portal.example.tw"),
        ("https://Portal.Example.TW/", "https://portal.example.tw"),
        ("https://portal.example.tw:443", "https://portal.example.tw"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("https://xn--kpry57d.tw", "https://xn--kpry57d.tw"),
    ],
)
def test_origins_are_normalised(given: str, normalised: str) -> None:
    assert normalise_origin(given) == normalised


@pytest.mark.parametrize(
    "origin",
    [
        "portal.example.tw",
        "ftp://portal.example.tw",
        "https://portal.example.tw/login",
        "https://portal.example.tw?x=1",
        "https://user:pw@portal.example.tw",
        "https://台灣.tw",
        "https://",
        "https://portal.example.tw:99999",
    ],
)
def test_non_origins_are_configuration_errors(origin: str) -> None:
    with pytest.raises(LoginConfigurationError):
        normalise_origin(origin)


@pytest.mark.parametrize("ttl", [dt.timedelta(0), dt.timedelta(hours=2)])
def test_lifetime_bounds(ttl: dt.timedelta) -> None:
    with pytest.raises(LoginConfigurationError):
        ChallengeIssuer(origin=ORIGIN, store=MemoryChallengeStore(), ttl=ttl)


def test_a_session_is_required_to_issue() -> None:
    issuer = ChallengeIssuer(origin=ORIGIN, store=MemoryChallengeStore())
    with pytest.raises(LoginConfigurationError):
        issuer.issue("")
