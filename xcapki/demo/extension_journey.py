"""The login journeys through the browser extension, without a browser: this plays the
extension, starting ``xcapki native-host`` and speaking native messaging to it.

- Web eID: ask the portal for a nonce, have the host ``authenticate`` for the
  portal's origin, post the ``web-eid:1.0`` token (the portal is on https);
- SmartPKI: the page's command sequence (open, info, Initial, LoadCertificate,
  LoadContent, Sign, Output, Close) on the portal's challenge message, then
  the form post with the detached PKCS#7, as ``static/smartpki-login.js`` does.

The host asks the PIN in its pinentry dialog; for the virtual card the
demo's scripted pinentry answers with the card's PIN.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from xcapki.demo.errors import DemoLoginError
from xcapki.demo.journey import LoginOutcome
from xcapki.nativehost.errors import NativeHostError
from xcapki.nativehost.framing import read_message, write_message

__all__ = ["ExtensionJourney"]

_TIMEOUT: Final = 60.0
_DETACHED_NOATTR: Final = 0x40 | 0x100


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionJourney:
    """One login through the native host; ``environment`` reaches the card and the dialog."""

    portal_url: str
    module_path: Path
    pinentry: Path | None
    sites_path: Path
    environment: dict[str, str]
    tls_certificate: Path | None = None

    def web_eid(self) -> LoginOutcome:
        client = _Client(self.portal_url, self.tls_certificate)
        client.call("GET", "/login/webeid", step="open the Web eID login page")
        challenge = client.json("POST", "/login/webeid/challenge", {}, step="get a nonce")
        token = self._host(
            {
                "command": "authenticate",
                "arguments": {"challengeNonce": challenge["nonce"], "origin": self.portal_url},
            },
            step="authenticate with the card",
        )
        if "error" in token:
            raise DemoLoginError(
                f"the native host refused: {token['error'].get('message')}",
                step="authenticate with the card",
            )
        client.json(
            "POST",
            "/login/webeid",
            {"challengeId": challenge["challengeId"], "authToken": token},
            step="verify the token",
        )
        return client.outcome()

    def smartpki(self) -> LoginOutcome:
        client = _Client(self.portal_url, self.tls_certificate)
        client.call("GET", "/login/smartpki", step="open the SmartPKI login page")
        challenge = client.json("POST", "/login/challenge", {}, step="get a challenge")
        step = "sign through the SmartPKI commands"
        with self._process() as host:
            host.exchange({"smartpki": {"type": "open", "origin": self.portal_url}}, step)
            host.exchange({"smartpki": {"type": "info"}}, step)
            commands: list[dict[str, Any]] = [
                {"cmd": "Initial", "soltIndex": -1, "driverType": 1, "style": _DETACHED_NOATTR},
                {"cmd": "LoadCertificate"},
                {"cmd": "LoadContent", "content": challenge["message"]},
                {"cmd": "Sign", "pin": "", "signTime": 0},
                {"cmd": "Output", "format": 64},
            ]
            answers = []
            for msg_id, command in enumerate(commands, start=1):
                request = {"smartpki": {"type": "command", "request": {**command, "msgId": msg_id}}}
                message = host.exchange(request, step)["smartpki"]["message"]
                if message.get("errorCode") != 0:
                    raise DemoLoginError(
                        f"{command['cmd']} failed ({message.get('errorCode')}):"
                        f" {message.get('errorMessage')}",
                        step=step,
                    )
                answers.append(message)
            host.exchange({"smartpki": {"type": "close"}}, step)
        properties, signed = answers[1], answers[4]
        form = {
            "challengeId": challenge["challenge_id"],
            "signedData": signed["returnValue"],
            "certBody": properties["certificate"],
            "certSn": properties["serialNumber"],
            "ownerId": properties["id"],
        }
        client.call(
            "POST",
            "/login/smartpki",
            urllib.parse.urlencode(form).encode(),
            content_type="application/x-www-form-urlencoded",
            step="submit the login form",
        )
        return client.outcome()

    def _host(self, request: dict[str, Any], *, step: str) -> dict[str, Any]:
        with self._process() as host:
            return host.exchange(request, step)

    def _process(self) -> _Host:
        command = [
            sys.executable, "-m", "xcapki", "native-host",
            "--module", str(self.module_path), "--sites", str(self.sites_path),
        ]  # fmt: skip
        if self.pinentry is not None:
            command += ["--pinentry", str(self.pinentry)]
        return _Host(command, {**os.environ, **self.environment})


class _Host:
    """A native host process, as the browser runs it."""

    def __init__(self, command: list[str], environment: dict[str, str]) -> None:
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=environment
        )

    def __enter__(self) -> _Host:
        assert self._process.stdout is not None
        read_message(self._process.stdout)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def exchange(self, request: dict[str, Any], step: str) -> dict[str, Any]:
        assert self._process.stdin is not None
        assert self._process.stdout is not None
        try:
            write_message(self._process.stdin, request)
            received = read_message(self._process.stdout)
        except (NativeHostError, OSError) as exc:
            raise DemoLoginError(f"the native host stopped: {exc}", step=step) from None
        if received is None:
            raise DemoLoginError("the native host ended without an answer", step=step)
        return received[0]


class _Client:
    """A browser's cookies and the portal's origin on every request (its CSRF check)."""

    def __init__(self, portal_url: str, tls_certificate: Path | None) -> None:
        self._url = portal_url
        context = ssl.create_default_context(
            cafile=str(tls_certificate) if tls_certificate else None
        )
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPSHandler(context=context),
        )

    def call(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        step: str,
        content_type: str = "application/json",
    ) -> bytes:
        request = urllib.request.Request(  # noqa: S310 (the portal's own http(s) URL)
            self._url + path,
            data=body,
            method=method,
            headers={"Origin": self._url, "Content-Type": content_type},
        )
        try:
            with self._opener.open(request, timeout=_TIMEOUT) as answer:
                data: bytes = answer.read()
                return data
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:300]
            raise DemoLoginError(f"the portal answered {error.code}: {detail}", step=step) from None
        except (urllib.error.URLError, OSError) as exc:
            raise DemoLoginError(f"the portal cannot be reached: {exc}", step=step) from None

    def json(self, method: str, path: str, body: dict[str, Any], *, step: str) -> Any:
        answer = self.call(method, path, json.dumps(body).encode(), step=step)
        try:
            return json.loads(answer)
        except ValueError:
            raise DemoLoginError("the portal did not answer JSON", step=step) from None

    def outcome(self) -> LoginOutcome:
        identity = json.loads(self.call("GET", "/api/me", step="read the login"))
        try:
            self.call("GET", "/apps/cpa-filing", step="open the filing system")
            filing = 200
        except DemoLoginError:
            filing = 403
        return LoginOutcome(identity=identity, filing_status=filing, card_serial_from_service=None)
