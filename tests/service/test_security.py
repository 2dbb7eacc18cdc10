"""Trust, local PIN mode, PIN rate limits, the popup's hardening and the configuration."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import re
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from service_helpers import (
    TRUSTED,
    UNTRUSTED,
    UserAnswers,
    approve_in_popup,
    client_for,
    serve,
    sign_form,
    sign_package,
)
from starlette.testclient import TestClient

from xcapki.crypto.cms import verify_cms
from xcapki.service import (
    HipkiCode,
    PinMode,
    PinRateLimit,
    ServiceConfig,
    ServiceConfigError,
    TrustListError,
)
from xcapki.service.trust import TrustList
from xcapki.testing import StandardCards
from xcapki.token import PinState

pytestmark = pytest.mark.softhsm


def _sign(
    client: TestClient, form: dict[str, str], origin: str | None = TRUSTED
) -> dict[str, object]:
    headers = {} if origin is None else {"Origin": origin}
    body: dict[str, object] = client.post("/sign", data=form, headers=headers).json()
    return body


def test_trust_entries_domain_means_https_and_origin_means_exactly_that(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"origins": ["gov.example.tw", "http://intranet.example:8080"]}')
    trust = TrustList(path)
    assert trust.is_trusted("https://gov.example.tw")
    assert trust.is_trusted("https://gov.example.tw:8443")
    assert not trust.is_trusted("http://gov.example.tw")
    assert not trust.is_trusted("https://sub.gov.example.tw")
    assert not trust.is_trusted("https://gov.example.tw.evil.com")
    assert trust.is_trusted("http://intranet.example:8080")
    assert not trust.is_trusted("http://intranet.example:8081")
    assert not trust.is_trusted("null")
    assert not trust.is_trusted(None)


def test_a_broken_trust_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"origins": "everything"}')
    with pytest.raises(TrustListError, match="fix or"):
        TrustList(path)


def test_local_mode_asks_the_user_and_ignores_the_page_pin(
    config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    card = softhsm_cards.xca
    user.pin = card.pin
    local = dataclasses.replace(config, pin_mode=PinMode.LOCAL)
    with client_for(local) as client:
        body = _sign(client, sign_form(sign_package(card, "secure", pin="000000")))
        assert body["ret_code"] == 0, body
        assert verify_cms(base64.b64decode(str(body["signature"]))).content == b"secure"
        asked = user.pin_requests[-1]
        assert asked.origin == TRUSTED
        assert card.serial in asked.token
        assert asked.pin_state is PinState.OK
        assert "PKCS7" in asked.operation

        without_pin = sign_package(card, "no pin from the page")
        del without_pin["pin"]
        assert _sign(client, sign_form(without_pin))["ret_code"] == 0
        assert len(user.pin_requests) == 2, "every signature is confirmed with the PIN"

        user.pin = None
        cancelled = _sign(client, sign_form(sign_package(card)))
        assert (cancelled["ret_code"], cancelled["last_error"]) == (HipkiCode.LOGIN_FAILED, 0x50)
        assert "cancelled" in str(cancelled["message"])

        user.pin = "999999"
        wrong = _sign(client, sign_form(sign_package(card)))
        assert (wrong["ret_code"], wrong["last_error"]) == (HipkiCode.LOGIN_FAILED, 0xA0)


@pytest.mark.parametrize("pin", ["917364", "91 7364x", "9173645828461937", "%E0%A4%A"])
def test_a_page_pin_is_never_echoed_in_the_answer(
    client: TestClient, softhsm_cards: StandardCards, pin: str
) -> None:
    card = softhsm_cards.moeaca  # SoftHSM2 never locks; other tests spend its tries too
    response = client.post(
        "/sign", data=sign_form(sign_package(card, pin=pin)), headers={"Origin": TRUSTED}
    )
    body = response.json()
    assert body["ret_code"] in (HipkiCode.LOGIN_FAILED, HipkiCode.BAD_REQUEST), body
    assert pin not in response.text
    assert unquote(pin, errors="replace") not in response.text


def test_untrusted_origin_is_refused_before_the_user_is_asked_for_a_pin(
    config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    user.pin = softhsm_cards.xca.pin
    with client_for(dataclasses.replace(config, pin_mode=PinMode.LOCAL)) as client:
        body = _sign(client, sign_form(sign_package(softhsm_cards.xca)), UNTRUSTED)
    assert body["ret_code"] == HipkiCode.SITE_NOT_TRUSTED
    assert user.pin_requests == []


def test_wrong_pins_are_rate_limited_per_origin(
    config: ServiceConfig, user: UserAnswers, softhsm_cards: StandardCards
) -> None:
    user.trust = True
    limited = dataclasses.replace(
        config, pin_rate_limit=PinRateLimit(max_failures=2, window_seconds=600)
    )
    card = softhsm_cards.moeaca
    with client_for(limited) as client:
        assert approve_in_popup(client, "other.example.gov.tw")["ret_code"] == 0
        for wrong in ("111111", "1"):
            body = _sign(client, sign_form(sign_package(card, pin=wrong)))
            assert body["ret_code"] == HipkiCode.LOGIN_FAILED
        response = client.post(
            "/sign", data=sign_form(sign_package(card)), headers={"Origin": TRUSTED}
        )
        assert response.status_code == 429
        assert response.json()["ret_code"] == HipkiCode.TOO_MANY_PIN_ATTEMPTS
        assert "wait" in response.json()["message"]
        other = _sign(client, sign_form(sign_package(card)), "https://other.example.gov.tw")
        assert other["ret_code"] == 0, "another origin keeps its own budget"


def test_one_trusted_domain_has_one_pin_budget_whatever_port_its_origin_names(
    config: ServiceConfig, softhsm_cards: StandardCards
) -> None:
    limited = dataclasses.replace(
        config, pin_rate_limit=PinRateLimit(max_failures=2, window_seconds=600)
    )
    card = softhsm_cards.moeaca
    with client_for(limited) as client:
        for origin in (TRUSTED, f"{TRUSTED}:8443"):
            body = _sign(client, sign_form(sign_package(card, pin="111111")), origin)
            assert body["ret_code"] == HipkiCode.LOGIN_FAILED
        third = _sign(client, sign_form(sign_package(card)), f"{TRUSTED}:9443")
        assert third["ret_code"] == HipkiCode.TOO_MANY_PIN_ATTEMPTS


async def _post_all(base_url: str, forms: list[dict[str, str]]) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        return await asyncio.gather(
            *(client.post("/sign", data=form, headers={"Origin": TRUSTED}) for form in forms)
        )


def test_concurrent_wrong_pins_spend_no_more_than_the_budget(
    config: ServiceConfig, softhsm_cards: StandardCards
) -> None:
    limited = dataclasses.replace(
        config, pin_rate_limit=PinRateLimit(max_failures=2, window_seconds=600)
    )
    card = softhsm_cards.moeaca
    forms = [sign_form(sign_package(card, pin=f"11111{n}")) for n in range(6)]
    for live in serve(limited):
        codes = [r.json()["ret_code"] for r in asyncio.run(_post_all(live.base_url, forms))]
    assert codes.count(HipkiCode.LOGIN_FAILED) == 2, codes
    assert codes.count(HipkiCode.TOO_MANY_PIN_ATTEMPTS) == 4, codes


def test_popup_form_is_the_postmessage_bridge_with_a_pinned_script(client: TestClient) -> None:
    response = client.get("/popupForm")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for func in ("MakeSignature", "GetUserCert", "CheckEnvir", "DecryptData", "getTbs"):
        assert func in page
    assert "opener.postMessage(text, origin)" in page, "answers go to the asking origin only"
    assert "event.source !== opener" in page
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    policy = response.headers["content-security-policy"]
    assert f"script-src 'sha256-{digest}'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_popup_requests_carry_the_opener_origin_only_from_the_service_origin(
    client: TestClient, config: ServiceConfig, softhsm_cards: StandardCards
) -> None:
    form = sign_form(sign_package(softhsm_cards.xca)) | {"pageOrigin": TRUSTED}
    own = f"http://localhost:{config.port}"
    assert _sign(client, form, own)["ret_code"] == 0
    forged = _sign(client, form, UNTRUSTED)
    assert forged["ret_code"] == HipkiCode.SITE_NOT_TRUSTED, "a page cannot claim another origin"


def _check_envir(client: TestClient, origin: str, page: str) -> dict[str, object]:
    """``CheckEnvir`` as /popupForm relays it: POSTed from the service's origin with the
    opener's origin in ``pageOrigin``."""
    form = {"tbsPackage": '{"func":"CheckEnvir"}', "pageOrigin": page}
    body: dict[str, object] = client.post(
        "/pkcs11info", data=form, headers={"Origin": origin}
    ).json()
    return body


def test_check_envir_through_the_popup_names_the_card_to_trusted_openers_only(
    client: TestClient, config: ServiceConfig, softhsm_cards: StandardCards
) -> None:
    own = f"http://localhost:{config.port}"
    serial = softhsm_cards.xca.serial

    def serials(body: dict[str, object]) -> list[object]:
        assert body["ret_code"] == 0, body
        slots = body["slots"]
        assert isinstance(slots, list)
        assert slots, "the card's presence is always told"
        return [slot["token"]["serialNumber"] for slot in slots if slot["token"] is not None]

    assert serial in serials(_check_envir(client, own, TRUSTED))
    assert set(serials(_check_envir(client, own, UNTRUSTED))) == {""}
    forged = _check_envir(client, UNTRUSTED, TRUSTED)
    assert set(serials(forged)) == {""}, "a page cannot borrow a trusted origin's view"


def test_answers_carry_no_cors_headers_for_other_origins(client: TestClient) -> None:
    for origin in (UNTRUSTED, "null"):
        response = client.get("/pkcs11info", headers={"Origin": origin})
        assert not any(name.lower().startswith("access-control-") for name in response.headers)
        assert response.headers["cache-control"] == "no-store"
    signed = client.post("/sign", data={"tbsPackage": "{}"}, headers={"Origin": TRUSTED})
    assert not any(name.lower().startswith("access-control-") for name in signed.headers)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])  # noqa: S104
def test_service_binds_to_loopback_only(host: str, tmp_path: Path) -> None:
    with pytest.raises(ServiceConfigError, match="loopback only"):
        ServiceConfig(host=host, trust_list_path=tmp_path / "t.json")


def test_reported_version_can_match_what_a_page_expects(config: ServiceConfig) -> None:
    with client_for(dataclasses.replace(config, reported_version="1.3.4.103339")) as client:
        assert "version:1.3.4.103339" in client.get("/").text
        assert client.get("/pkcs11info").json()["version"] == "1.3.4.103339"


def test_missing_module_is_no_card(config: ServiceConfig, tmp_path: Path) -> None:
    absent = dataclasses.replace(config, module_path=tmp_path / "libmissing.so")
    with client_for(absent) as client:
        body = client.get("/pkcs11info").json()
    assert body["ret_code"] == HipkiCode.NO_CARD
    assert "libmissing.so" in body["message"]
