"""The verifier's configuration, thread safety and the accepting side of its choices."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from login_helpers import SESSION, card_signer, dead_url, reissued_signer

from xcapki.algorithms import HashAlgorithm
from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import LEGACY_SHA1_POLICY
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode, RevocationSource, RevocationState
from xcapki.login import (
    ChallengeUnknownError,
    LoginConfigurationError,
    LoginPolicy,
    LoginVerifier,
    MemoryChallengeStore,
    PortalLogin,
    ResponseFormat,
    ResponseMalformedError,
    respond,
)
from xcapki.testing import PkiServices, StandardCards, TestPki

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]


def test_eight_threads_share_one_verifier(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    portal = make_portal()
    signers = [card_signer(softhsm_cards.xca), card_signer(softhsm_cards.gca)]
    bodies = [
        respond(portal.issue_challenge(SESSION), signers[i % 2], response_format=fmt).to_json()
        for i, fmt in enumerate(list(ResponseFormat) * 16)
    ]
    with ThreadPoolExecutor(8) as pool:
        logins = list(pool.map(lambda body: portal.verify_response(SESSION, body), bodies))
    authorities = [login.identity.authority for login in logins]
    assert authorities.count(Authority.XCA) == authorities.count(Authority.GCA) == 24


def test_verifier_and_results_cannot_be_changed(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    portal = make_portal()
    login = portal.verify_response(
        SESSION, respond(portal.issue_challenge(SESSION), card_signer(softhsm_cards.xca))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        login.identity.unified_business_number = "87654321"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        portal.verifier._origin = "https://evil.example"


def test_a_response_refused_at_step_1_leaves_its_challenge_live(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    """The challenge is only looked up (and so deleted) at step 2; garbage never gets there."""
    portal = make_portal()
    challenge = portal.issue_challenge(SESSION)
    genuine = respond(challenge, card_signer(softhsm_cards.xca))
    truncated = dataclasses.replace(genuine, cms=genuine.cms[: len(genuine.cms) // 2])
    with pytest.raises(ResponseMalformedError):
        portal.verify_response(SESSION, truncated.to_json())
    login = portal.verify_response(SESSION, genuine.to_json())
    assert login.challenge_id == challenge.challenge_id
    with pytest.raises(ChallengeUnknownError):
        portal.verify_response(SESSION, genuine.to_json())


def test_configuration_is_checked(portal_trust: TrustStore) -> None:
    store = MemoryChallengeStore()
    with pytest.raises(LoginConfigurationError):
        LoginVerifier(origin="https://a.tw/path", store=store, trust_store=portal_trust)
    with pytest.raises(LoginConfigurationError):
        LoginVerifier(
            origin="https://a.tw",
            store=store,
            trust_store=portal_trust,
            clock_skew=dt.timedelta(seconds=-1),
        )
    with pytest.raises(LoginConfigurationError):
        LoginVerifier(origin="https://a.tw", store=store, trust_store=TrustStore.empty())


def test_sha1_is_accepted_only_when_the_policy_says_so(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards
) -> None:
    portal = make_portal(policy=LoginPolicy(algorithms=LEGACY_SHA1_POLICY))
    challenge = portal.issue_challenge(SESSION)
    response = respond(challenge, card_signer(softhsm_cards.xca), hash_algorithm=HashAlgorithm.SHA1)
    assert portal.verify_response(SESSION, response).identity.authority is Authority.XCA


def test_crl_answers_when_ocsp_is_down(
    make_portal: Callable[..., PortalLogin],
    softhsm_cards: StandardCards,
    test_pki: TestPki,
    pki_services: PkiServices,
) -> None:
    ca = test_pki.ca(Authority.XCA)
    pki_services.stop_responder(ca)
    try:
        portal = make_portal()
        challenge = portal.issue_challenge(SESSION)
        login = portal.verify_response(SESSION, respond(challenge, card_signer(softhsm_cards.xca)))
    finally:
        pki_services.start_responder(ca)
    assert login.revocation.state is RevocationState.GOOD
    assert login.revocation.source is RevocationSource.CRL


def test_soft_fail_admits_a_card_whose_responders_are_unreachable(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    unreachable = reissued_signer(
        test_pki,
        softhsm_cards.xca.card.signing.certificate,
        ocsp_url=dead_url(),
        crl_url=dead_url() + "xca.crl",
    )
    portal = make_portal(revocation_mode=RevocationMode.SOFT_FAIL)
    challenge = portal.issue_challenge(SESSION)
    login = portal.verify_response(SESSION, respond(challenge, unreachable))
    # soft-fail admits the card, and says nothing answered rather than calling it good
    assert login.revocation.state is RevocationState.UNAVAILABLE
    assert login.revocation.source is RevocationSource.NONE


def test_the_chain_may_come_inside_the_cms(
    make_portal: Callable[..., PortalLogin], softhsm_cards: StandardCards, test_pki: TestPki
) -> None:
    portal = make_portal(trust_store=TrustStore.empty().with_roots(test_pki.root.certificate))
    card = softhsm_cards.xca.card
    challenge = portal.issue_challenge(SESSION)
    response = respond(challenge, card_signer(softhsm_cards.xca), include_chain=(card.issuer,))
    assert portal.verify_response(SESSION, response).chain[1] == card.issuer
