"""The login page's requests, made by a test instead of static/login.js."""

from __future__ import annotations

from starlette.testclient import TestClient

from xcapki.crypto.key_signer import KeySigner
from xcapki.login import Challenge, ResponseFormat, respond
from xcapki.testing import IssuedCard

PORTAL = "http://localhost:61180"


class PortalBrowser:
    """Stands in for the login page's script: the same requests, in the same order."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def open_login(self) -> None:
        """GET /login, which gives the browser its session cookie."""
        assert self.client.get("/login").status_code == 200

    def challenge(self) -> Challenge:
        issued = self.client.post("/login/challenge", content=b"{}", headers={"Origin": PORTAL})
        assert issued.status_code == 200, issued.text
        return Challenge.from_json(issued.text)

    def post_login(self, body: str) -> tuple[int, dict[str, object]]:
        posted = self.client.post("/login", content=body, headers={"Origin": PORTAL})
        return posted.status_code, posted.json()

    def sign_in(self, card: IssuedCard) -> tuple[int, dict[str, object]]:
        """Challenge, the card's HiPKI answer, POST /login."""
        self.open_login()
        return self.post_login(hipki_answer(self.challenge(), card))


def hipki_answer(challenge: Challenge, card: IssuedCard) -> str:
    """The login page's POST: the wire envelope around the service's HiPKI sign answer."""
    signer = KeySigner(private_key=card.signing.private_key, certificate=card.signing.certificate)
    answer = respond(
        challenge, signer, response_format=ResponseFormat.HIPKI, include_chain=(card.issuer,)
    )
    return answer.to_json()
