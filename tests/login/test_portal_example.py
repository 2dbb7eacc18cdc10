"""examples/portal_starlette.py over HTTP with Starlette's TestClient and the virtual card."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from login_helpers import ORIGIN
from starlette.testclient import TestClient

from xcapki.login import CPA_FILING_POLICY, Challenge, PortalLogin, ResponseFormat, respond
from xcapki.token import TokenSession

pytestmark = [pytest.mark.softhsm, pytest.mark.ocsp]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portal_starlette.py"


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portal_starlette_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def client(example: ModuleType, make_portal: Callable[..., PortalLogin]) -> TestClient:
    app = example.create_app(make_portal(policy=CPA_FILING_POLICY))
    return TestClient(app, base_url=ORIGIN)


def _challenge(client: TestClient) -> Challenge:
    answer = client.post("/login/challenge")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    return Challenge.from_json(answer.text)


@pytest.mark.parametrize("response_format", list(ResponseFormat))
def test_xca_card_logs_in_over_http(
    client: TestClient, card_sessions: dict[str, TokenSession], response_format: ResponseFormat
) -> None:
    challenge = _challenge(client)
    cookie = client.cookies.get("portal_session")
    assert cookie
    body = respond(challenge, card_sessions["xca"], response_format=response_format).to_json()
    answer = client.post("/login", content=body)
    assert answer.status_code == 200
    assert answer.json()["authority"] == "XCA"
    assert answer.json()["unified_business_number"] == "12345678"
    assert answer.json()["revocation"] == "good"
    assert client.cookies.get("portal_session") == cookie
    replay = client.post("/login", content=body)
    assert replay.status_code == 401


def test_every_refusal_is_the_same_401(
    client: TestClient, example: ModuleType, card_sessions: dict[str, TokenSession]
) -> None:
    moica = client.post(
        "/login", content=respond(_challenge(client), card_sessions["moica"]).to_json()
    )
    garbage = client.post("/login", content=b"{" * 200)
    assert moica.status_code == garbage.status_code == 401
    assert moica.json()["error"] == garbage.json()["error"] == "login failed"
    assert "XCA" in moica.json()["message"]

    body = respond(_challenge(client), card_sessions["xca"]).to_json()
    stranger = TestClient(client.app, base_url=ORIGIN)
    assert stranger.post("/login", content=body).status_code == 401

    oversize = client.post("/login", content=json.dumps({"pad": "x" * 70_000}))
    assert oversize.status_code == 401
