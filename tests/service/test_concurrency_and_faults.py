"""Many pages at once, one card at a time, and a card pulled while a request waits."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from service_helpers import TRUSTED, LiveService, UserAnswers, serve, sign_form, sign_package

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import verify_cms
from xcapki.service import HipkiCode, HipkiError, PinMode, PinRequest, ServiceConfig
from xcapki.service.cards import LISTING_REUSE_SECONDS, CardAccess
from xcapki.testing import CardSpec, StandardCards, TestPki, VirtualCard, provision_softhsm_card
from xcapki.token import TokenSelector, load_module

pytestmark = pytest.mark.softhsm


async def _sign_many(base_url: str, forms: list[dict[str, str]]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(forms))
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        return await asyncio.gather(
            *(client.post("/sign", data=form, headers={"Origin": TRUSTED}) for form in forms)
        )


def test_hundred_concurrent_signatures_are_neither_crossed_nor_lost(
    live: LiveService, softhsm_cards: StandardCards
) -> None:
    cards = (softhsm_cards.xca, softhsm_cards.gca)
    jobs = []
    for index in range(100):
        card = cards[index % 2]
        kind = "PKCS7" if index % 3 else "PKCS1"
        jobs.append((card, f"request {index} for {card.serial}", kind))
    forms = [sign_form(sign_package(c, tbs, signatureType=kind)) for c, tbs, kind in jobs]
    responses = asyncio.run(_sign_many(live.base_url, forms))

    assert len(responses) == 100
    for (card, tbs, kind), response in zip(jobs, responses, strict=True):
        body = response.json()
        assert body["ret_code"] == 0, body
        assert body["cardSN"] == card.serial
        signature = base64.b64decode(body["signature"])
        if kind == "PKCS7":
            verified = verify_cms(signature)
            assert verified.content == tbs.encode()
            assert verified.signer_certificate == card.card.signing.certificate
        else:
            key = card.card.signing.certificate.public_key()
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(signature, tbs.encode(), padding.PKCS1v15(), hashes.SHA256())


@pytest.fixture
def local_config(config: ServiceConfig) -> ServiceConfig:
    return dataclasses.replace(config, pin_mode=PinMode.LOCAL)


def test_requests_to_one_card_are_serialised_and_other_cards_are_not_blocked(
    local_config: ServiceConfig, softhsm_cards: StandardCards
) -> None:
    held, blocked = softhsm_cards.moica, softhsm_cards.moeaca
    release = threading.Event()
    inside: dict[str, int] = {held.serial: 0, blocked.serial: 0}
    most: dict[str, int] = {held.serial: 0, blocked.serial: 0}
    guard = threading.Lock()

    def prompter(request: PinRequest) -> str:
        card = held if held.serial in request.token else blocked
        with guard:
            inside[card.serial] += 1
            most[card.serial] = max(most[card.serial], inside[card.serial])
        if card is held:
            assert release.wait(timeout=60), "the test never released the held card"
        with guard:
            inside[card.serial] -= 1
        return card.pin

    config = dataclasses.replace(local_config, pin_prompter=prompter)
    service = serve(config)
    live = next(service)
    try:

        async def scenario() -> tuple[list[httpx.Response], list[httpx.Response], float]:
            held_jobs = asyncio.gather(
                *[
                    asyncio.to_thread(
                        httpx.post,
                        f"{live.base_url}/sign",
                        data=sign_form(sign_package(held, f"held {i}")),
                        headers={"Origin": TRUSTED},
                        timeout=120,
                    )
                    for i in range(5)
                ]
            )
            await asyncio.sleep(0.5)
            started = asyncio.get_running_loop().time()
            others = await _sign_many(
                live.base_url, [sign_form(sign_package(blocked, f"free {i}")) for i in range(5)]
            )
            info = await asyncio.to_thread(httpx.get, f"{live.base_url}/pkcs11info")
            elapsed = asyncio.get_running_loop().time() - started
            assert info.json()["ret_code"] == 0
            release.set()
            return list(await held_jobs), others, elapsed

        held_responses, other_responses, elapsed = asyncio.run(scenario())
    finally:
        release.set()
        service.close()
    assert all(r.json()["ret_code"] == 0 for r in held_responses + other_responses)
    assert most[held.serial] == 1, "two requests to one card were inside it at once"
    assert elapsed < 30, "requests to another card waited for the held card"


@pytest.fixture
def pullable_card(softhsm_cards: StandardCards, test_pki: TestPki) -> Iterator[VirtualCard]:
    """A card of this test's own, so pulling it disturbs no other test."""
    card = provision_softhsm_card(
        test_pki,
        CardSpec(authority=Authority.MOICA, organisation_name="拔卡測試", moica_id_digits="1234"),
        softhsm_conf=softhsm_cards.xca.softhsm_conf,
    )
    load_module(card.module_path).refresh()  # SoftHSM2 sees new tokens only then
    return card


def _token_directory(card: VirtualCard) -> Path:
    tokens = Path(os.environ["SOFTHSM2_CONF"]).parent / "tokens"
    return next(d for d in tokens.iterdir() if d.name.replace("-", "").endswith(card.serial))


def test_card_pulled_during_a_request_is_no_card_and_the_service_carries_on(
    local_config: ServiceConfig, pullable_card: VirtualCard, tmp_path: Path
) -> None:
    directory = _token_directory(pullable_card)
    pulled = tmp_path / "pulled"
    user = UserAnswers(pin=pullable_card.pin)
    pull_next = threading.Event()

    def prompter(request: PinRequest) -> str | None:
        if pull_next.is_set():
            shutil.move(directory, pulled)  # the card leaves the reader while the PIN is typed
        return user.ask_pin(request)

    service = serve(dataclasses.replace(local_config, pin_prompter=prompter))
    live = next(service)
    try:
        form = sign_form(sign_package(pullable_card, "before"))
        post = {"url": f"{live.base_url}/sign", "headers": {"Origin": TRUSTED}, "timeout": 60}
        assert httpx.post(data=form, **post).json()["ret_code"] == 0
        pull_next.set()
        body = httpx.post(data=sign_form(sign_package(pullable_card, "during")), **post).json()
        pull_next.clear()
        assert body["ret_code"] == HipkiCode.NO_CARD
        assert "insert the card" in body["message"]
        assert httpx.get(f"{live.base_url}/").status_code == 200
        # SoftHSM2 fails the whole slot listing (CKR_GENERAL_ERROR) while a token directory is
        # gone; a HiCOS reader reports the pulled card as absent. Either way: an answer.
        info = httpx.get(f"{live.base_url}/pkcs11info").json()
        assert info["func"] == "pkcs11info"
        assert info["ret_code"] in (0, HipkiCode.CARD_ERROR), info
        shutil.move(pulled, directory)
        # Re-inserting: SoftHSM2 rescans its token directory only on C_Initialize, where a
        # PC/SC module sees the card come back by itself.
        load_module(pullable_card.module_path).refresh()
        assert httpx.get(f"{live.base_url}/pkcs11info").json()["ret_code"] == 0
        again = httpx.post(data=sign_form(sign_package(pullable_card, "after")), **post).json()
        assert again["ret_code"] == 0, again
        assert verify_cms(base64.b64decode(again["signature"])).content == b"after"
    finally:
        if pulled.exists():
            shutil.move(pulled, directory)
        service.close()


def test_a_reused_listing_counts_no_blank_token_and_finds_a_card_inserted_since(
    config: ServiceConfig, pullable_card: VirtualCard, tmp_path: Path
) -> None:
    module = load_module(pullable_card.module_path)
    reader = module.select_token(TokenSelector(serial=pullable_card.serial)).reader_name
    cards = CardAccess(config, clock=lambda: 1000.0)  # time stands still: listings stay recent
    listed = cards.tokens()
    assert cards.tokens(reuse_seconds=LISTING_REUSE_SECONDS) is listed
    # SoftHSM2's spare slot holds a blank token: listed by the module, never a card here.
    assert any(not token.initialized for token in module.tokens())
    assert all(token.initialized for token in listed)
    with pytest.raises(HipkiError) as several:
        cards.choose(None, reuse_seconds=LISTING_REUSE_SECONDS)
    assert str(several.value).startswith(f"{len(listed)} cards are inserted")

    directory, pulled = _token_directory(pullable_card), tmp_path / "pulled"
    shutil.move(directory, pulled)
    try:
        module.refresh()
        cards.forget_listing()  # as a failed signature does
        assert reader not in {token.reader_name for token in cards.tokens()}
    finally:
        shutil.move(pulled, directory)
        module.refresh()
    # The reused listing lacks the reader now holding the card again: the module is asked.
    chosen = cards.choose(reader, reuse_seconds=LISTING_REUSE_SECONDS)
    assert chosen.serial == pullable_card.serial


def test_pulled_card_in_page_mode_is_no_card_then_signs_again(
    live: LiveService, pullable_card: VirtualCard, tmp_path: Path
) -> None:
    directory, pulled = _token_directory(pullable_card), tmp_path / "pulled"
    post = {"url": f"{live.base_url}/sign", "headers": {"Origin": TRUSTED}, "timeout": 60}
    form = sign_form(sign_package(pullable_card, "before", signatureType="PKCS1"))
    assert httpx.post(data=form, **post).json()["ret_code"] == 0
    shutil.move(directory, pulled)  # within the listing's reuse time: the signature finds out
    try:
        body = httpx.post(data=form, **post).json()
        assert body["ret_code"] in (HipkiCode.NO_CARD, HipkiCode.CARD_ERROR), body
    finally:
        shutil.move(pulled, directory)
    load_module(pullable_card.module_path).refresh()
    again = httpx.post(data=form, **post).json()
    assert again["ret_code"] == 0, again
