"""/addDomain: the popup in which the user trusts a site, and what a page cannot do to it.

The page opens the popup; the popup's own script posts the user's answer from
the service's origin with a one-time ticket. These tests play both parts over
HTTP; tests/browser/test_hipki_pages_in_chromium.py plays them in Chromium.
"""

from __future__ import annotations

import dataclasses
import json
import re
import stat

import pytest
from service_helpers import (
    UNTRUSTED,
    UserAnswers,
    answer_popup,
    approve_in_popup,
    client_for,
    popup_ticket,
    sign_form,
    sign_package,
)
from starlette.testclient import TestClient

from xcapki.service import DomainApproval, HipkiCode, ServiceConfig, terminal_domain_approver
from xcapki.service.trust import TrustList
from xcapki.testing import StandardCards

pytestmark = pytest.mark.softhsm

EVIL_PAGE = "https://evil.example.com/login?next=1"


def _sign(client: TestClient, card_form: dict[str, str], origin: str) -> int:
    body = client.post("/sign", data=card_form, headers={"Origin": origin}).json()
    return int(body["ret_code"])


def _target(page: str) -> str:
    found = re.search(r'data-target="([^"]*)"', page)
    assert found is not None
    return found.group(1)


def test_the_popup_names_the_site_and_cannot_be_framed(client: TestClient) -> None:
    response = client.get(
        "/addDomain", params={"domain": "evil.example.com"}, headers={"Referer": EVIL_PAGE}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    assert "evil.example.com" in response.text
    assert "信任 Trust" in response.text
    assert "拒絕 Refuse" in response.text
    assert _target(response.text) == "https://evil.example.com", "answers go to the opener only"


def test_approving_in_the_popup_trusts_the_site_and_persists(
    client: TestClient, config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    form = sign_form(sign_package(softhsm_cards.xca))
    assert _sign(client, form, UNTRUSTED) == HipkiCode.SITE_NOT_TRUSTED

    refused = approve_in_popup(client, "evil.example.com", referer=EVIL_PAGE, answer="refuse")
    assert (refused["func"], refused["ret_code"]) == ("addDomain", HipkiCode.FORBIDDEN_DOMAIN)
    assert _sign(client, form, UNTRUSTED) == HipkiCode.SITE_NOT_TRUSTED

    added = approve_in_popup(client, "Evil.Example.com", referer=EVIL_PAGE)
    assert (added["func"], added["ret_code"], added["domain"]) == (
        "addDomain",
        0,
        "evil.example.com",
    )
    assert _sign(client, form, UNTRUSTED) == 0
    assert user.domain_requests == [], "the popup asked, not the terminal"

    saved = json.loads(config.trust_list_path.read_text())
    assert "evil.example.com" in saved["origins"]
    assert stat.S_IMODE(config.trust_list_path.stat().st_mode) == 0o600
    assert TrustList(config.trust_list_path).is_trusted(UNTRUSTED), "trust survives a restart"

    again = client.get("/addDomain", params={"domain": "evil.example.com"}).text
    assert popup_ticket(again) == "", "an already trusted site is not asked again"
    assert '"ret_code":0' in again.replace("&quot;", '"')


def test_a_plain_http_page_is_trusted_by_its_exact_origin(
    client: TestClient, softhsm_cards: StandardCards
) -> None:
    page = "http://intranet.example:8080/app/login.html"
    added = approve_in_popup(client, "intranet.example", referer=page)
    assert added["domain"] == "http://intranet.example:8080"
    form = sign_form(sign_package(softhsm_cards.xca))
    assert _sign(client, form, "http://intranet.example:8080") == 0
    assert _sign(client, form, "http://intranet.example:9090") == HipkiCode.SITE_NOT_TRUSTED


def test_an_approval_needs_the_popups_ticket_once_and_its_origin(
    client: TestClient, config: ServiceConfig
) -> None:
    ticket = popup_ticket(client.get("/addDomain", params={"domain": "evil.example.com"}).text)
    for origin in (UNTRUSTED, "null", "http://localhost:1"):
        forged = client.post(
            "/addDomain", data={"ticket": ticket, "answer": "approve"}, headers={"Origin": origin}
        )
        assert forged.status_code == 403
        assert forged.json()["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN
    no_origin = client.post("/addDomain", data={"ticket": ticket, "answer": "approve"})
    assert no_origin.status_code == 403
    guessed = answer_popup(client, "x" * 32, "approve")
    assert guessed["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN
    assert answer_popup(client, ticket, "approve")["ret_code"] == 0
    replayed = answer_popup(client, ticket, "approve")
    assert replayed["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN, "a ticket answers once"


def test_an_approval_before_the_delay_is_refused(config: ServiceConfig) -> None:
    waiting = dataclasses.replace(config, approval_delay_seconds=30.0)
    with client_for(waiting) as client:
        page = client.get("/addDomain", params={"domain": "evil.example.com"}).text
        assert 'data-delay="30000"' in page
        early = answer_popup(client, popup_ticket(page), "approve")
        assert early["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN
        assert "30 seconds" in early["message"]
        assert not TrustList(config.trust_list_path).is_trusted(UNTRUSTED)


def test_a_page_cannot_ask_trust_for_another_site(client: TestClient, user: UserAnswers) -> None:
    page = client.get(
        "/addDomain",
        params={"domain": "portal.example.gov.tw.evil.com"},
        headers={"Referer": EVIL_PAGE},
    ).text
    assert popup_ticket(page) == ""
    assert "asked to trust another site" in page
    assert _target(page) == "https://evil.example.com"


@pytest.mark.parametrize(
    "domain", ["", "not a domain", "https://x.example/path", "javascript:alert(1)", "a..b", "-x.tw"]
)
def test_what_is_not_a_domain_is_refused_without_asking(
    client: TestClient, user: UserAnswers, domain: str
) -> None:
    page = client.get("/addDomain", params={"domain": domain}).text
    assert popup_ticket(page) == ""
    assert str(int(HipkiCode.FORBIDDEN_DOMAIN)) in page
    assert user.domain_requests == []


def test_the_prompt_mode_asks_the_service_prompt_and_names_the_asking_page(
    config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    prompted = dataclasses.replace(config, domain_approval=DomainApproval.PROMPT)
    with client_for(prompted) as client:
        page = client.get(
            "/addDomain", params={"domain": "evil.example.com"}, headers={"Referer": EVIL_PAGE}
        ).text
        assert 'data-state="prompt"' in page
        user.trust = False
        refused = answer_popup(client, popup_ticket(page), "prompt")
        assert refused["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN
        assert user.domain_requests[-1].domain == "evil.example.com"
        assert user.domain_requests[-1].requested_by == "https://evil.example.com"

        user.trust = True
        skipped = approve_in_popup(client, "evil.example.com", answer="approve")
        assert skipped["ret_code"] == HipkiCode.BAD_REQUEST, "the popup's buttons do not count"
        assert approve_in_popup(client, "evil.example.com", answer="prompt")["ret_code"] == 0
        form = sign_form(sign_package(softhsm_cards.xca))
        assert _sign(client, form, UNTRUSTED) == 0


def test_a_terminal_approver_without_a_terminal_refuses(config: ServiceConfig) -> None:
    prompted = dataclasses.replace(
        config, domain_approval=DomainApproval.PROMPT, domain_approver=terminal_domain_approver
    )
    with client_for(prompted) as client:
        body = approve_in_popup(client, "evil.example.com", answer="prompt")
        assert body["ret_code"] == HipkiCode.FORBIDDEN_DOMAIN
        assert not TrustList(config.trust_list_path).is_trusted(UNTRUSTED)


def test_without_a_referer_the_answer_goes_to_the_origin_that_probed(client: TestClient) -> None:
    page = client.get("/addDomain", params={"domain": "portal.example.tw"}).text
    assert _target(page) == "https://portal.example.tw", "the site's default origin"
    client.get("/p11Image.bmp", headers={"Origin": "https://portal.example.tw:8443"})
    client.get("/p11Image.bmp", headers={"Origin": "https://other.example.tw:9443"})
    page = client.get("/addDomain", params={"domain": "portal.example.tw"}).text
    assert _target(page) == "https://portal.example.tw:8443"
