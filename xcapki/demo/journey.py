"""The login journey as a browser page makes it, over HTTP, without a browser.

1. open the portal's login page (the portal gives the browser a session);
2. ask the portal for a challenge for that session;
3. send the local service the HiPKI ``MakeSignature`` package exactly as its
   popupForm relays it (``tbsPackage`` plus the page's origin), PIN included:
   the service signs with the card through PKCS#11;
4. post the service's sign answer to the portal, which verifies signature,
   path and revocation;
5. read back what the portal saw, and open 會計師查核簽證線上申報系統.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, Final

from xcapki.demo.errors import DemoLoginError
from xcapki.demo.portal import SESSION_COOKIE

__all__ = ["LoginJourney", "LoginOutcome", "hipki_sign_package"]

_TIMEOUT: Final = 60.0
LOGIN_PAGE_TEXT: Final = "請插入您的憑證後按憑證登入"


def hipki_sign_package(message: str, pin: str) -> str:
    """The ``MakeSignature`` package the login page sends (static/login.js builds the same)."""
    return json.dumps(
        {
            "func": "MakeSignature",
            "signatureType": "PKCS7",
            "tbs": urllib.parse.quote(message, safe=""),
            "tbsEncoding": "NONE",
            "hashAlgorithm": "SHA256",
            "withCardSN": "false",
            "pin": urllib.parse.quote(pin, safe=""),
        }
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginOutcome:
    """What the portal saw after the login, and whether the filing system opened."""

    identity: dict[str, Any]
    filing_status: int
    card_serial_from_service: str | None


@dataclass(slots=True, kw_only=True)
class LoginJourney:
    """One browser's visit: the portal, the local service, and the portal's session cookie."""

    portal_url: str
    service_url: str
    portal_origin: str
    slot_description: str | None = None
    _session: str | None = field(default=None, init=False)

    def run(self, pin: str) -> LoginOutcome:
        """Every step in order; a ``DemoLoginError`` names the step that failed."""
        self._open_login_page()
        challenge = self._challenge()
        answer = self._sign(challenge["message"], pin)
        self._verify(challenge["challenge_id"], answer)
        identity = self._json("GET", "/api/me", step="read the login")
        filing = self._request("GET", "/apps/cpa-filing", step="open the filing system")[0]
        card_serial = answer.get("cardSN")
        return LoginOutcome(
            identity=identity,
            filing_status=filing,
            card_serial_from_service=card_serial if isinstance(card_serial, str) else None,
        )

    def service_slots(self) -> list[dict[str, Any]]:
        """The service's ``pkcs11info`` slots (readers and card serials, no certificates),
        asked as the portal, whose origin the demo trusts: other origins get no serials."""
        request = _http_request(
            f"{self.service_url}/pkcs11info", method="GET", headers={"Origin": self.portal_origin}
        )
        body = self._call(request, step="list the cards")[1]
        slots = _loads(body, "list the cards").get("slots")
        return slots if isinstance(slots, list) else []

    # steps

    def _open_login_page(self) -> None:
        status, body = self._request("GET", "/login", step="open the login page")
        if status != 200 or LOGIN_PAGE_TEXT not in body.decode("utf-8", "replace"):
            raise DemoLoginError(f"the login page answered {status}", step="open the login page")
        if self._session is None:
            raise DemoLoginError("the portal gave no session cookie", step="open the login page")

    def _challenge(self) -> dict[str, Any]:
        challenge = self._json("POST", "/login/challenge", body=b"{}", step="get a challenge")
        if not isinstance(challenge.get("message"), str):
            raise DemoLoginError("the challenge has no message", step="get a challenge")
        return challenge

    def _sign(self, message: str, pin: str) -> dict[str, Any]:
        package = json.loads(hipki_sign_package(message, pin))
        if self.slot_description is not None:
            package["slotDescription"] = self.slot_description
        form = urllib.parse.urlencode(
            {"tbsPackage": json.dumps(package), "pageOrigin": self.portal_origin}
        ).encode()
        request = _http_request(
            f"{self.service_url}/sign",
            data=form,
            method="POST",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": _origin_of(self.service_url),
            },
        )
        answer = _loads(self._call(request, step="sign with the card")[1], "sign with the card")
        if answer.get("ret_code") != 0:
            code = answer.get("ret_code")
            last = answer.get("last_error")
            raise DemoLoginError(
                f"the local service refused to sign (ret_code {_hex(code)}, last_error "
                f"{_hex(last)}): {answer.get('message', '')}",
                step="sign with the card",
            )
        return answer

    def _verify(self, challenge_id: str, answer: dict[str, Any]) -> None:
        envelope = json.dumps(
            {"version": 1, "format": "hipki", "challenge_id": challenge_id, "hipki": answer}
        ).encode()
        status, body = self._request("POST", "/login", body=envelope, step="verify the login")
        if status != 200:
            message = _loads(body, "verify the login").get("message", "")
            raise DemoLoginError(
                f"the portal refused the login ({status}): {message}", step="verify the login"
            )

    # HTTP

    def _json(
        self, method: str, path: str, *, step: str, body: bytes | None = None
    ) -> dict[str, Any]:
        status, text = self._request(method, path, body=body, step=step)
        if status != 200:
            raise DemoLoginError(f"the portal answered {status} to {path}", step=step)
        return _loads(text, step)

    def _request(
        self, method: str, path: str, *, step: str, body: bytes | None = None
    ) -> tuple[int, bytes]:
        headers = {"Origin": self.portal_origin}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self._session is not None:
            headers["Cookie"] = f"{SESSION_COOKIE}={self._session}"
        request = _http_request(
            f"{self.portal_url}{path}", data=body, method=method, headers=headers
        )
        return self._call(request, step=step)

    def _call(self, request: urllib.request.Request, *, step: str) -> tuple[int, bytes]:
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=_TIMEOUT) as response:
                self._keep_cookie(response.headers.get_all("Set-Cookie") or [])
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            self._keep_cookie(error.headers.get_all("Set-Cookie") or [])
            return error.code, error.read()
        except (urllib.error.URLError, OSError) as exc:
            raise DemoLoginError(
                f"{request.full_url} cannot be reached: {exc}", step=step
            ) from None

    def _keep_cookie(self, headers: list[str]) -> None:
        for header in headers:
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            if SESSION_COOKIE in cookie:
                self._session = cookie[SESSION_COOKIE].value or None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers to look at, not to follow."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _http_request(
    url: str, *, method: str, data: bytes | None = None, headers: dict[str, str] | None = None
) -> urllib.request.Request:
    """A request to a loopback http URL the demo built itself (never a file: or other scheme)."""
    if urllib.parse.urlsplit(url).scheme != "http":
        raise DemoLoginError(f"{url} is not an http URL", step="build a request")
    return urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310


def _loads(body: bytes, step: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise DemoLoginError(f"the answer is not JSON: {body[:200]!r}", step=step) from None
    if not isinstance(value, dict):
        raise DemoLoginError("the answer is not a JSON object", step=step)
    return value


def _origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _hex(value: object) -> str:
    return f"0x{value:X}" if isinstance(value, int) else repr(value)
