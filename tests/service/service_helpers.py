"""Helpers shared by the service tests (a module name of its own, unlike conftest)."""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import uvicorn

from xcapki.testing.ports import unused_port

# Starlette 1.x suggests a fork of httpx for its TestClient; httpx itself works unchanged.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from xcapki.service import DomainRequest, PinRequest, ServiceConfig, create_app  # noqa: E402
from xcapki.testing import VirtualCard  # noqa: E402
from xcapki.token import TokenSelector, load_module  # noqa: E402

TRUSTED = "https://portal.example.gov.tw"
UNTRUSTED = "https://evil.example.com"


@dataclass
class UserAnswers:
    """Stands in for the user at the terminal: records what was asked, answers as told."""

    pin: str | None = None
    trust: bool = False
    pin_requests: list[PinRequest] = field(default_factory=list)
    domain_requests: list[DomainRequest] = field(default_factory=list)

    def ask_pin(self, request: PinRequest) -> str | None:
        self.pin_requests.append(request)
        return self.pin

    def approve(self, request: DomainRequest) -> bool:
        self.domain_requests.append(request)
        return self.trust


def client_for(config: ServiceConfig) -> TestClient:
    """An in-process client whose Host is the service's own loopback name."""
    return TestClient(create_app(config), base_url=f"http://127.0.0.1:{config.port}")


def popup_ticket(page: str) -> str:
    """The one-time ticket an /addDomain popup holds (empty when it asks nothing)."""
    found = re.search(r'data-ticket="([^"]*)"', page)
    assert found is not None, "the popup carries its ticket"
    return found.group(1)


def answer_popup(client: TestClient, ticket: str, answer: str) -> dict[str, Any]:
    """What the popup's script sends when the user presses a button (from its own origin)."""
    response = client.post(
        "/addDomain",
        data={"ticket": ticket, "answer": answer},
        headers={"Origin": f"http://localhost:{client.base_url.port}"},
    )
    body: dict[str, Any] = response.json()
    return body


def approve_in_popup(
    client: TestClient, domain: str, *, referer: str | None = None, answer: str = "approve"
) -> dict[str, Any]:
    """Open /addDomain as the page would and answer it as the user would."""
    headers = {} if referer is None else {"Referer": referer}
    page = client.get("/addDomain", params={"domain": domain}, headers=headers)
    return answer_popup(client, popup_ticket(page.text), answer)


@dataclass(frozen=True)
class LiveService:
    base_url: str
    config: ServiceConfig


def serve(config: ServiceConfig) -> Iterator[LiveService]:
    """Run the service under real uvicorn in a thread until the generator is closed."""
    config = dataclasses.replace(config, port=unused_port())
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=config.port,
            log_level="warning",
            access_log=False,
            limit_concurrency=1000,
            backlog=2048,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start the service within 10 seconds")
        time.sleep(0.02)
    try:
        yield LiveService(base_url=f"http://localhost:{config.port}", config=config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def reader_of(card: VirtualCard) -> str:
    """The slotDescription (reader name) the module gives the card's token."""
    return load_module(card.module_path).select_token(TokenSelector(serial=card.serial)).reader_name


def sign_package(card: VirtualCard, tbs: str = "hello", **fields: str) -> dict[str, str]:
    """A MakeSignature package as a HiPKI page builds it (tbs and pin URL-encoded)."""
    package = {
        "func": "MakeSignature",
        "signatureType": "PKCS7",
        "tbs": quote(tbs, safe=""),
        "tbsEncoding": "NONE",
        "hashAlgorithm": "SHA256",
        "withCardSN": "false",
        "pin": quote(card.pin, safe=""),
        "slotDescription": reader_of(card),
    }
    package.update(fields)
    return package


def sign_form(package: dict[str, str]) -> dict[str, str]:
    return {"tbsPackage": json.dumps(package, ensure_ascii=False)}
