"""The service on the session's SoftHSM2 virtual cards: in-process and under real uvicorn."""

from __future__ import annotations

import dataclasses
import fcntl
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn

# Starlette 1.x suggests a fork of httpx for its TestClient; httpx itself works unchanged.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from xcapki.service import DomainRequest, PinRequest, ServiceConfig, create_app  # noqa: E402
from xcapki.testing import StandardCards, VirtualCard  # noqa: E402

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


@pytest.fixture
def opencryptoki_lock() -> Iterator[None]:
    """opencryptoki's soft token is system-wide: one test process at a time resets it (the
    same lock file as the token tests)."""
    with open("/tmp/xcapki-opencryptoki.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def user() -> UserAnswers:
    return UserAnswers()


@pytest.fixture
def config(softhsm_cards: StandardCards, tmp_path: Path, user: UserAnswers) -> ServiceConfig:
    """Page PIN mode on the virtual cards' module, with TRUSTED already trusted."""
    trust_file = tmp_path / "trusted-origins.json"
    trust_file.write_text(f'{{"origins": ["{TRUSTED.removeprefix("https://")}"]}}')
    return ServiceConfig(
        module_path=softhsm_cards.xca.module_path,
        trust_list_path=trust_file,
        pin_prompter=user.ask_pin,
        domain_approver=user.approve,
    )


def client_for(config: ServiceConfig) -> TestClient:
    """An in-process client whose Host is the service's own loopback name."""
    return TestClient(create_app(config), base_url=f"http://127.0.0.1:{config.port}")


@pytest.fixture
def client(config: ServiceConfig) -> Iterator[TestClient]:
    with client_for(config) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveService:
    base_url: str
    config: ServiceConfig


def serve(config: ServiceConfig) -> Iterator[LiveService]:
    """Run the service under real uvicorn in a thread until the generator is closed."""
    config = dataclasses.replace(config, port=free_port())
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


@pytest.fixture
def live(config: ServiceConfig) -> Iterator[LiveService]:
    yield from serve(config)


def reader_of(card: VirtualCard) -> str:
    """The slotDescription (reader name) the module gives the card's token."""
    from xcapki.token import TokenSelector, load_module

    return load_module(card.module_path).select_token(TokenSelector(serial=card.serial)).reader_name


def sign_package(card: VirtualCard, tbs: str = "hello", **fields: str) -> dict[str, str]:
    """A MakeSignature package as a HiPKI page builds it (tbs and pin URL-encoded)."""
    from urllib.parse import quote

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
    import json

    return {"tbsPackage": json.dumps(package, ensure_ascii=False)}
