"""Debian's firefox-esr driven over WebDriver BiDi, which Firefox serves itself (no geckodriver).

Playwright drives only its own patched Firefox builds, so the Firefox tests
speak BiDi directly: start ``firefox-esr --headless --remote-debugging-port 0``
with a fresh profile, read the WebSocket address it prints, open a session
that accepts the test sites' throw-away certificates, install the unpacked
extension as a temporary add-on (as about:debugging does), then navigate
and run scripts in the page.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

FIREFOX = "firefox-esr"
_START_TIMEOUT = 60.0
_PREFERENCES = {
    "browser.shell.checkDefaultBrowser": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "app.update.disabledForTesting": True,
}


def firefox_path() -> str | None:
    return shutil.which(FIREFOX)


class Firefox:
    """One BiDi session on one headless Firefox; ``context`` is its first tab."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._ids = itertools.count(1)
        self.call("session.new", {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True}}})
        self.context = self.call("browsingContext.getTree", {})["contexts"][0]["context"]

    def call(self, method: str, params: Mapping[str, Any]) -> Any:
        number = next(self._ids)
        self._connection.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._connection.recv())
            if message.get("id") != number:
                continue  # events
            if message.get("type") == "error":
                raise AssertionError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    def goto(self, url: str) -> None:
        self.call(
            "browsingContext.navigate", {"context": self.context, "url": url, "wait": "complete"}
        )

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` (awaited when a Promise), as JSON-able data."""
        result = self.call(
            "script.evaluate",
            {
                "expression": f"Promise.resolve({expression}).then((v) => JSON.stringify(v))",
                "target": {"context": self.context},
                "awaitPromise": True,
            },
        )
        if result["type"] != "success":
            raise AssertionError(f"the page script failed: {result.get('exceptionDetails')}")
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

    def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll ``expression`` until it is truthy; its value."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(AssertionError):
                value = self.evaluate(expression)
                if value:
                    return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.2)


@contextlib.contextmanager
def launch_firefox(
    directory: Path, extension: Path, environment: Mapping[str, str]
) -> Iterator[Firefox]:
    """Headless firefox-esr with a fresh profile in ``directory`` and ``extension`` installed."""
    from websockets.sync.client import connect

    profile = directory / "firefox-profile"
    profile.mkdir(parents=True)
    (profile / "user.js").write_text(
        "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in _PREFERENCES.items())
    )
    log = (directory / "firefox.log").open("w+b")
    process = subprocess.Popen(
        [FIREFOX, "--headless", "--no-remote", "--profile", str(profile),
         "--remote-debugging-port", "0"],
        stdout=log, stderr=log, env=dict(environment),
    )  # fmt: skip
    try:
        address = _bidi_address(directory / "firefox.log", process)
        with connect(f"{address}/session", max_size=None, open_timeout=_START_TIMEOUT) as ws:
            browser = Firefox(ws)
            browser.call(
                "webExtension.install",
                {"extensionData": {"type": "path", "path": str(extension)}},
            )
            yield browser
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _bidi_address(log: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = re.search(r"WebDriver BiDi listening on (ws://\S+)", text)
        if found:
            return found.group(1)
        if process.poll() is not None:
            raise AssertionError(f"firefox-esr exited with {process.returncode}: see {log}")
        time.sleep(0.1)
    raise AssertionError(f"firefox-esr did not open WebDriver BiDi: see {log}")
