"""The manual's journey in a real browser: 憑證登入 through the local service's popupForm.

Headless Debian Chromium opens the example portal, types the PIN and presses
憑證登入; the page opens http://localhost:<port>/popupForm, answers getTbs
with MakeSignature, receives the signature by postMessage and posts it to the
portal, which verifies path and revocation. Then the failures a user meets.
Each page is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser_kit import PIN, CardDesk, screenshot

pytestmark = [pytest.mark.chromium, pytest.mark.softhsm, pytest.mark.ocsp]

_TIMEOUT_MS = 60_000


def _press_login(page: Any, desk: CardDesk, pin: str) -> None:
    page.goto(f"{desk.portal_url}/login")
    page.fill("#pin", pin)
    page.click("#login-button")


def _wait_for_home(page: Any) -> None:
    """Wait for 我的首頁; if the login page shows an error instead, fail with its words."""
    page.wait_for_function(
        "() => location.pathname === '/home' ||"
        " (document.querySelector('#message.error') || {}).textContent",
        timeout=_TIMEOUT_MS,
    )
    if not page.url.endswith("/home"):
        pytest.fail(f"the login page says: {page.inner_text('#message')}")
    page.wait_for_load_state()


def _message(page: Any, pattern: str) -> str:
    """The login page's message once it matches ``pattern``."""
    message = page.locator("#message.error")
    message.wait_for(timeout=_TIMEOUT_MS)
    page.wait_for_function(
        "pattern => new RegExp(pattern).test(document.getElementById('message').textContent)",
        arg=pattern,
        timeout=_TIMEOUT_MS,
    )
    text: str = message.inner_text()
    return text


def test_xca_card_logs_in_to_my_home_and_opens_the_filing_system(
    page: Any, desks: dict[str, CardDesk]
) -> None:
    desk = desks["xca"]
    page.goto(f"{desk.portal_url}/login")
    assert "請插入您的憑證後按憑證登入" in page.inner_text("#login-panel")
    screenshot(page, "01-login")

    _press_login(page, desk, PIN)
    _wait_for_home(page)
    assert page.inner_text("h1") == "我的首頁"
    assert page.inner_text("#organisation") == "測試聯合會計師事務所"
    assert page.inner_text("#ubn") == "12345678"
    assert page.inner_text("#card-kind") == "組織及團體憑證 (XCA)"
    assert "已向發卡機關確認未廢止" in page.inner_text("#revocation")
    assert page.locator("#cpa-filing-note").count() == 0
    screenshot(page, "02-my-home-xca")

    page.click("#cpa-filing-link")
    page.wait_for_url(re.compile(r"/apps/cpa-filing$"), timeout=_TIMEOUT_MS)
    assert page.inner_text("h1") == "會計師查核簽證線上申報系統"
    assert page.inner_text("#filing-ubn") == "12345678"
    screenshot(page, "03-cpa-filing-system")


def test_wrong_pin_says_how_many_tries_are_left(page: Any, desks: dict[str, CardDesk]) -> None:
    desk = desks["xca"]
    _press_login(page, desk, "654321")
    assert "您還有 2 次機會" in _message(page, "還有 2 次")
    screenshot(page, "04-wrong-pin")

    page.fill("#pin", "654320")
    page.click("#login-button")
    assert "您還有 1 次機會" in _message(page, "還有 1 次")

    page.fill("#pin", PIN)
    page.click("#login-button")
    _wait_for_home(page)
    assert page.inner_text("#ubn") == "12345678"


def test_card_absent_asks_for_the_card(page: Any, desks: dict[str, CardDesk]) -> None:
    _press_login(page, desks["absent"], PIN)
    assert "請插入您的憑證" in _message(page, "請插入您的憑證")
    assert page.url.endswith("/login")
    screenshot(page, "05-card-absent")


def test_moica_card_enters_the_portal_but_the_filing_system_refuses_it(
    page: Any, desks: dict[str, CardDesk]
) -> None:
    _press_login(page, desks["moica"], PIN)
    _wait_for_home(page)
    assert page.inner_text("#organisation") == "王小明"
    assert page.inner_text("#card-kind") == "自然人憑證 (MOICA)"
    assert "無法使用本系統" in page.inner_text("#cpa-filing-note")
    screenshot(page, "06-my-home-moica")

    page.click("#cpa-filing-link")
    page.wait_for_url(re.compile(r"/apps/cpa-filing$"), timeout=_TIMEOUT_MS)
    reason = page.inner_text("#refusal-reason")
    assert "本系統必須使用XCA憑證" in reason
    assert "自然人憑證 (MOICA)" in reason
    screenshot(page, "07-cpa-filing-refused-moica")


def test_expired_card_is_refused_with_the_reason(page: Any, desks: dict[str, CardDesk]) -> None:
    _press_login(page, desks["expired"], PIN)
    assert "您的憑證已過期" in _message(page, "已過期")
    assert page.url.endswith("/login")
    screenshot(page, "08-expired-card")
