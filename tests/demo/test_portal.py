"""The example portal over HTTP: card login, 我的首頁, and the XCA-only filing system.

The card's answer is made by ``xcapki.login.respond`` in the HiPKI shape with
file keys of the session's test PKI; verification is the real one (path to
the test GRCA, OCSP from the test PKI's responders). The browser test drives
the same portal through Chromium and the local service.
"""

from __future__ import annotations

import pytest
from portal_driver import PORTAL, PortalBrowser, hipki_answer
from starlette.testclient import TestClient

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.demo import policy_admits
from xcapki.login import (
    CPA_FILING_POLICY,
    DEFAULT_LOGIN_POLICY,
    LoginPolicy,
    PortalLogin,
    VerifiedLogin,
)
from xcapki.testing import IssuedCard, TestPki

pytestmark = [pytest.mark.ocsp]


def test_login_page_asks_for_the_card_and_sets_a_strict_session_cookie(portal: TestClient) -> None:
    page = portal.get("/login")
    assert page.status_code == 200
    assert "請插入您的憑證後按憑證登入" in page.text
    assert 'id="pin"' in page.text
    assert 'type="password"' in page.text
    assert ">憑證登入</button>" in page.text
    assert 'data-service-url="http://localhost:61161"' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert portal.get("/static/login.js").status_code == 200


def test_a_challenge_needs_the_session_and_the_portals_own_origin(portal: TestClient) -> None:
    no_session = portal.post("/login/challenge", content=b"{}", headers={"Origin": PORTAL})
    assert no_session.status_code == 400
    portal.get("/login")
    foreign = portal.post(
        "/login/challenge", content=b"{}", headers={"Origin": "https://evil.example"}
    )
    assert foreign.status_code == 400
    issued = portal.post("/login/challenge", content=b"{}", headers={"Origin": PORTAL})
    assert issued.status_code == 200
    assert issued.json()["origin"] == PORTAL
    assert issued.json()["message"].startswith("xcapki login challenge v1\norigin: " + PORTAL)


def test_xca_login_reaches_my_home_and_opens_the_filing_system(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    client = browser.client
    browser.open_login()
    before = client.cookies.get("portal_session")
    status, body = browser.post_login(hipki_answer(browser.challenge(), file_cards["xca"]))
    assert (status, body) == (200, {"next": "/home"})
    assert client.cookies.get("portal_session") not in (None, before)

    home = client.get("/home")
    assert home.status_code == 200
    assert "我的首頁" in home.text
    assert "使用者資訊" in home.text
    assert '<td id="organisation">測試聯合會計師事務所</td>' in home.text
    assert '<td id="ubn">12345678</td>' in home.text
    assert "本次為首次登入" in home.text
    assert "會計師查核簽證線上申報系統 (必須使用XCA憑證登入)" in home.text
    assert "cpa-filing-note" not in home.text

    filing = client.get("/apps/cpa-filing")
    assert filing.status_code == 200
    assert '<td id="filing-ubn">12345678</td>' in filing.text

    me = client.get("/api/me").json()
    assert me["authority"] == "XCA"
    assert me["unified_business_number"] == "12345678"
    assert me["revocation"] == "good"
    assert me["revocation_source"] == "ocsp"
    assert me["response_format"] == "hipki"
    assert me["cpa_filing_admitted"] is True


def test_the_session_id_from_before_the_login_is_worthless_after_it(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    browser.open_login()
    planted = browser.client.cookies.get("portal_session")
    assert browser.post_login(hipki_answer(browser.challenge(), file_cards["xca"]))[0] == 200
    browser.client.cookies.set("portal_session", planted)
    assert browser.client.get("/home").headers["location"] == "/login"


def test_the_second_login_shows_the_first_as_the_last_login_time(
    portal: TestClient, file_cards: dict[str, IssuedCard]
) -> None:
    first = PortalBrowser(portal)
    assert first.sign_in(file_cards["markup"])[0] == 200
    first_time = portal.get("/api/me").json()["logged_in_at"]
    portal.cookies.clear()
    assert first.sign_in(file_cards["markup"])[0] == 200
    assert portal.get("/api/me").json()["previous_login_at"] == first_time
    assert "本次為首次登入" not in portal.get("/home").text


def test_certificate_text_is_escaped_in_the_page(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["markup"])[0] == 200
    home = browser.client.get("/home").text
    assert "<script>alert(1)</script>" not in home
    assert "&lt;script&gt;alert(1)&lt;/script&gt;事務所" in home


def test_moica_login_enters_the_portal_but_not_the_filing_system(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["moica"])[0] == 200
    home = browser.client.get("/home")
    assert '<td id="organisation">王小明</td>' in home.text
    assert "您目前以自然人憑證 (MOICA)登入，無法使用本系統。" in home.text
    refused = browser.client.get("/apps/cpa-filing")
    assert refused.status_code == 403
    assert "本系統必須使用XCA憑證（組織及團體憑證）登入。" in refused.text
    assert "您目前是以 自然人憑證 (MOICA) 登入" in refused.text
    assert browser.client.get("/api/me").json()["cpa_filing_admitted"] is False


@pytest.mark.parametrize(
    ("card", "text"),
    [("revoked", "您的憑證已被廢止"), ("expired", "您的憑證已過期")],
)
def test_a_refused_card_gets_a_401_with_what_to_do(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard], card: str, text: str
) -> None:
    status, body = browser.sign_in(file_cards[card])
    assert status == 401
    assert isinstance(body["message"], str)
    assert text in body["message"]
    assert browser.client.get("/home").headers["location"] == "/login"


def test_a_replayed_answer_is_refused(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    browser.open_login()
    answer = hipki_answer(browser.challenge(), file_cards["xca"])
    assert browser.post_login(answer)[0] == 200
    status, body = browser.post_login(answer)
    assert status == 401
    assert body["message"] == "本次登入已失效。請重新按「憑證登入」。"


def test_a_login_post_from_another_origin_is_refused_before_verifying(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    browser.open_login()
    answer = hipki_answer(browser.challenge(), file_cards["xca"])
    client = browser.client
    for headers in ({"Origin": "https://evil.example"}, {}):
        assert client.post("/login", content=answer, headers=headers).status_code == 400
        assert client.get("/home").headers["location"] == "/login"
    assert browser.post_login(answer)[0] == 200, "the refused posts did not spend the challenge"


def test_an_oversize_answer_is_refused_unread(browser: PortalBrowser) -> None:
    browser.open_login()
    posted = browser.client.post("/login", content=b"x" * 70_000, headers={"Origin": PORTAL})
    assert posted.status_code == 413


def test_logout_needs_the_portals_origin_and_ends_the_session(
    browser: PortalBrowser, file_cards: dict[str, IssuedCard]
) -> None:
    assert browser.sign_in(file_cards["xca"])[0] == 200
    client = browser.client
    assert client.post("/logout", headers={"Origin": "https://evil.example"}).status_code == 400
    assert client.get("/home").status_code == 200
    assert client.post("/logout", headers={"Origin": PORTAL}).headers["location"] == "/login"
    assert client.get("/home").headers["location"] == "/login"


def _verified(test_pki: TestPki, card: IssuedCard) -> VerifiedLogin:
    login = PortalLogin(
        origin=PORTAL, trust_store=TrustStore.empty().with_roots(test_pki.root.certificate)
    )
    challenge = login.issue_challenge("session")
    return login.verify_response("session", hipki_answer(challenge, card))


def test_policy_admits_judges_one_login_by_another_policy(
    test_pki: TestPki, file_cards: dict[str, IssuedCard]
) -> None:
    xca = _verified(test_pki, file_cards["xca"])
    moica = _verified(test_pki, file_cards["moica"])
    assert policy_admits(CPA_FILING_POLICY, xca)
    assert not policy_admits(CPA_FILING_POLICY, moica)
    assert policy_admits(DEFAULT_LOGIN_POLICY, moica)
    other_policy = LoginPolicy(
        authorities=frozenset({Authority.XCA}), certificate_policies=frozenset({"1.2.3.4"})
    )
    assert not policy_admits(other_policy, xca)
    needs_ubn = LoginPolicy(require_unified_business_number=True)
    assert policy_admits(needs_ubn, xca)
    assert not policy_admits(needs_ubn, moica)
