"""A portal backend on Starlette with xcapki card login (憑證登入).

Two endpoints are all a portal adds:

- ``POST /login/challenge`` gives the browser a challenge bound to its
  session cookie (set here when absent);
- ``POST /login`` verifies the page's response and answers 200 with the
  identity, or one generic 401 whatever the reason (the reason is logged).

Run ``python examples/portal_starlette.py`` for a demonstration against a
throwaway test PKI (a file-key XCA card logs in in all three formats, then a
MOICA card is refused), or ``--serve PORT`` to leave the portal running.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from xcapki.login import (
    CPA_FILING_POLICY,
    MAX_RESPONSE_BYTES,
    LoginError,
    PortalLogin,
    ResponseSizeError,
    VerifiedLogin,
)

SESSION_COOKIE = "portal_session"
log = logging.getLogger("portal")


def create_app(portal: PortalLogin) -> Starlette:
    """The portal's login routes around one ``PortalLogin``."""

    async def challenge(request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(32)
        issued = await run_in_threadpool(portal.issue_challenge, session_id)
        response = Response(issued.to_json(), media_type="application/json")
        response.headers["Cache-Control"] = "no-store"
        if request.cookies.get(SESSION_COOKIE) != session_id:
            response.set_cookie(
                SESSION_COOKIE,
                session_id,
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
            )
        return response

    async def login(request: Request) -> Response:
        session_id = request.cookies.get(SESSION_COOKIE, "")
        try:
            body = await _bounded_body(request)
            verified = await run_in_threadpool(portal.verify_response, session_id, body)
        except LoginError as exc:
            log.warning("card login refused: %s: %s", type(exc).__name__, exc)
            return JSONResponse(
                {"error": "login failed", "message": exc.user_message}, status_code=401
            )
        return JSONResponse(_identity(verified))

    return Starlette(
        routes=[
            Route("/login/challenge", challenge, methods=["POST"]),
            Route("/login", login, methods=["POST"]),
        ]
    )


async def _bounded_body(request: Request) -> bytes:
    """The request body, refused as soon as it grows past any genuine response."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raise ResponseSizeError("the login response is larger than any genuine one")
    return bytes(body)


def _identity(login: VerifiedLogin) -> dict[str, object]:
    identity = login.identity
    return {
        "authority": identity.authority.name,
        "organisation": identity.organisation_name,
        "unified_business_number": identity.unified_business_number,
        "organisation_oid": identity.organisation_oid,
        "card_serial": identity.card_serial,
        "certificate_serial": format(identity.certificate_serial, "x"),
        "not_after": identity.not_after.isoformat(),
        "revocation": login.revocation.state.value,
    }


def _demo(serve_port: int | None) -> None:
    from starlette.testclient import TestClient

    from xcapki.crypto.authority import Authority
    from xcapki.crypto.key_signer import KeySigner
    from xcapki.crypto.trust import TrustStore
    from xcapki.login import Challenge, ResponseFormat, respond
    from xcapki.testing import CardSpec, TestPki, serve_pki

    with tempfile.TemporaryDirectory(prefix="xcapki-portal-demo-") as directory:
        pki = TestPki.create(Path(directory) / "pki")
        trust = TrustStore.empty().with_roots(pki.root.certificate)
        trust = trust.with_intermediates(*(ca.certificate for ca in pki.authorities[1:]))
        origin = f"http://127.0.0.1:{serve_port or 8000}"
        portal = PortalLogin(origin=origin, trust_store=trust, policy=CPA_FILING_POLICY)
        app = create_app(portal)
        with serve_pki(pki):
            if serve_port is not None:
                import uvicorn

                uvicorn.run(app, host="127.0.0.1", port=serve_port)
                return
            firm = pki.issue_card(
                CardSpec(
                    authority=Authority.XCA,
                    organisation_name="範例聯合會計師事務所",
                    unified_business_number="12345678",
                )
            )
            person = pki.issue_card(CardSpec(authority=Authority.MOICA, organisation_name="王小明"))
            client = TestClient(app, base_url=origin)
            cards = [(firm, fmt) for fmt in ResponseFormat] + [(person, ResponseFormat.XCAPKI)]
            for card, response_format in cards:
                signer = KeySigner(
                    private_key=card.signing.private_key, certificate=card.signing.certificate
                )
                challenge = Challenge.from_json(client.post("/login/challenge").text)
                response = respond(challenge, signer, response_format=response_format)
                answer = client.post("/login", content=response.to_json())
                print(card.spec.authority.name, response_format.value, answer.status_code)
                print("   ", answer.json())


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT")
    _demo(parser.parse_args().serve)
