"""End to end on the virtual cards: challenge -> PIN and PKCS#11 signing -> verified identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives import hashes
from login_helpers import ORIGIN, SESSION

from xcapki.crypto.authority import Authority
from xcapki.crypto.profile import SubjectClass
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    DEFAULT_VALIDATOR_OPTIONS,
    RevocationMode,
    RevocationSource,
    RevocationState,
    ValidatorOptions,
)
from xcapki.login import (
    CPA_FILING_POLICY,
    AuthorityNotAllowedError,
    ChallengeUnknownError,
    LoginConfigurationError,
    LoginResponse,
    LoginVerifier,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    VerifiedLogin,
    parse_response,
    respond,
)
from xcapki.login.webeid import WebEidValidator
from xcapki.testing import StandardCards
from xcapki.token import TokenSession

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


@pytest.mark.parametrize("response_format", list(ResponseFormat))
def test_xca_card_logs_in_to_the_cpa_filing_system(
    make_portal: Callable[..., PortalLogin],
    card_sessions: dict[str, TokenSession],
    softhsm_cards: StandardCards,
    response_format: ResponseFormat,
) -> None:
    portal = make_portal(policy=CPA_FILING_POLICY)
    challenge = portal.issue_challenge(SESSION)
    response = respond(challenge, card_sessions["xca"], response_format=response_format)
    body = response.to_json()
    assert parse_response(body) == response

    login = portal.verify_response(SESSION, body)

    card = softhsm_cards.xca
    identity = login.identity
    assert identity.authority is Authority.XCA
    assert identity.unified_business_number == "12345678"
    assert identity.organisation_name == "測試聯合會計師事務所"
    assert identity.organisation_oid == "2.16.886.101.90001.1"
    assert identity.card_serial == card.serial
    certificate = card.card.signing.certificate
    assert identity.certificate_serial == certificate.serial_number
    assert identity.certificate_fingerprint == certificate.fingerprint(hashes.SHA256())
    assert identity.not_after == certificate.not_valid_after_utc
    assert login.chain[0] == certificate
    assert login.chain[-1] == card.card.root
    assert login.revocation.state is RevocationState.GOOD
    assert login.revocation.source is RevocationSource.OCSP
    assert login.response_format is response_format
    assert login.origin == ORIGIN
    assert login.challenge_id == challenge.challenge_id
    if response_format is ResponseFormat.SMARTPKI:
        assert login.signing_time is None
    else:
        assert login.signing_time is not None
        assert abs(login.signing_time - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    with pytest.raises(ChallengeUnknownError):
        portal.verify_response(SESSION, body)


def test_ec_card_and_subject_class(
    make_portal: Callable[..., PortalLogin], card_sessions: dict[str, TokenSession]
) -> None:
    portal = make_portal(policy=CPA_FILING_POLICY)
    challenge = portal.issue_challenge(SESSION)
    login = portal.verify_response(
        SESSION, respond(challenge, card_sessions["xca_ec"], response_format=ResponseFormat.HIPKI)
    )
    assert login.identity.unified_business_number == "12345678"
    assert login.identity.organisation_name == "測試橢圓曲線事務所"
    assert login.identity.subject_class is SubjectClass.ABSENT


def test_moica_card_is_genuine_but_not_admitted_by_the_xca_only_preset(
    make_portal: Callable[..., PortalLogin], card_sessions: dict[str, TokenSession]
) -> None:
    strict = make_portal(policy=CPA_FILING_POLICY)
    challenge = strict.issue_challenge(SESSION)
    with pytest.raises(AuthorityNotAllowedError):
        strict.verify_response(SESSION, respond(challenge, card_sessions["moica"]))

    open_portal = make_portal()
    challenge = open_portal.issue_challenge(SESSION)
    login: VerifiedLogin = open_portal.verify_response(
        SESSION, respond(challenge, card_sessions["moica"])
    )
    assert login.identity.authority is Authority.MOICA
    assert login.identity.unified_business_number is None
    assert login.identity.subject_class is SubjectClass.NATURAL_PERSON


def test_second_login_reuses_the_validated_path(
    make_portal: Callable[..., PortalLogin], card_sessions: dict[str, TokenSession]
) -> None:
    portal = make_portal()
    for _ in range(3):
        challenge = portal.issue_challenge(SESSION)
        response: LoginResponse = respond(challenge, card_sessions["xca"])
        portal.verify_response(SESSION, response)
    assert portal.verifier.validator.statistics().ocsp_requests <= 2


def test_the_verifier_reads_a_known_card_from_the_validators_caches(
    make_portal: Callable[..., PortalLogin], card_sessions: dict[str, TokenSession]
) -> None:
    portal = make_portal()
    logins = []
    for _ in range(3):
        challenge = portal.issue_challenge(SESSION)
        logins.append(portal.verify_response(SESSION, respond(challenge, card_sessions["xca"])))
    statistics = portal.verifier.validator.statistics()
    assert (statistics.profiles.hits, statistics.profiles.misses) == (2, 1)
    assert statistics.fast_path_hits == 2
    assert logins[2].certificate is logins[0].certificate
    assert logins[2].identity == logins[0].identity


def test_the_verifiers_pass_their_options_to_their_validators(portal_trust: TrustStore) -> None:
    store = MemoryChallengeStore()
    minute = dt.timedelta(minutes=1)
    cms = LoginVerifier(
        origin=ORIGIN, store=store, trust_store=portal_trust, clock_skew=minute, cache_capacity=5
    )
    assert cms.validator.options == ValidatorOptions(clock_skew=minute, cache_capacity=5)
    webeid = WebEidValidator(
        origin=ORIGIN, store=store, trust_store=portal_trust, revocation_mode=RevocationMode.OFF
    )
    assert webeid.validator.options == ValidatorOptions(revocation_mode=RevocationMode.OFF)
    portal = PortalLogin(origin=ORIGIN, trust_store=portal_trust)
    assert portal.verifier.validator.options == DEFAULT_VALIDATOR_OPTIONS
    for refused in ({"clock_skew": -minute}, {"cache_capacity": 0}):
        with pytest.raises(LoginConfigurationError):
            LoginVerifier(origin=ORIGIN, store=store, trust_store=portal_trust, **refused)  # type: ignore[arg-type]
        with pytest.raises(LoginConfigurationError):
            WebEidValidator(origin=ORIGIN, store=store, trust_store=portal_trust, **refused)  # type: ignore[arg-type]
