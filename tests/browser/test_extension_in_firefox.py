"""Headless Debian firefox-esr with the unpacked xcapki extension, its native host and the portal.

Firefox installs extension/ as a temporary add-on (its gecko id from the
manifest, background scripts instead of a service worker) and finds the
native host through the manifest ``xcapki browser install --firefox``
writes under the test's home (``~/.mozilla/native-messaging-hosts``, with
``allowed_extensions``). The host runs on a SoftHSM2 card and asks its PIN
from the test pinentry program. Driven over WebDriver BiDi (firefox_bidi).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import PIN, XCA_FIRM, Portal
from firefox_bidi import Firefox, firefox_path, launch_firefox

from xcapki.nativehost.install import Browser, install
from xcapki.testing import TestPki, find_softhsm2_module, provision_softhsm_card, softhsm_config
from xcapki.testing.pinentry import ScriptedPinentry

EXTENSION = Path(__file__).resolve().parents[2] / "extension"

pytestmark = [pytest.mark.firefox, pytest.mark.softhsm, pytest.mark.ocsp]


@pytest.fixture(scope="module", autouse=True)
def _firefox_present() -> None:
    if firefox_path() is None:
        pytest.skip("Debian firefox-esr is not installed: apt-get install firefox-esr")
    pytest.importorskip("websockets", reason="websockets is not installed: pip install websockets")


@contextlib.contextmanager
def _firefox(
    directory: Path, test_pki: TestPki, portal: Portal
) -> Iterator[tuple[Firefox, ScriptedPinentry]]:
    conf = softhsm_config(directory / "softhsm")
    provision_softhsm_card(test_pki, XCA_FIRM, softhsm_conf=conf, pin=PIN)
    dialogs = ScriptedPinentry(directory)
    sites = directory / "sites.json"
    sites.write_text(json.dumps({"origins": [portal.origin]}))
    home = directory / "home"
    written = install(
        [Browser.FIREFOX],
        home=home,
        host_options=[
            "--module", str(find_softhsm2_module()), "--pinentry", str(dialogs.program),
            "--sites", str(sites), "--timeout", "60",
        ],
    )  # fmt: skip
    assert written[-1].path == home / ".mozilla/native-messaging-hosts/tw.xcapki.native_host.json"
    environment = {
        "SOFTHSM2_CONF": str(conf),
        "XCAPKI_TEST_PINENTRY": str(dialogs.script),
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    with launch_firefox(directory, EXTENSION, environment) as firefox:
        yield firefox, dialogs


def _me(firefox: Firefox) -> Any:
    return firefox.evaluate("fetch('/api/me').then((r) => r.json())")


def test_web_eid_login_in_firefox(test_pki: TestPki, portal: Portal, tmp_path: Path) -> None:
    with _firefox(tmp_path, test_pki, portal) as (firefox, dialogs):
        dialogs.answer({"pin": PIN})
        firefox.goto(f"{portal.origin}/login/webeid")
        firefox.evaluate("document.getElementById('webeid-button').click()")
        firefox.wait_for(f"location.href === '{portal.origin}/home'")
        me = _me(firefox)
        assert me["response_format"] == "web-eid"
        assert me["authority"] == "XCA"
        assert me["unified_business_number"] == "12345678"
        assert portal.origin in dialogs.texts("SETDESC")[0]


def test_smartpki_form_login_in_firefox(test_pki: TestPki, portal: Portal, tmp_path: Path) -> None:
    with _firefox(tmp_path, test_pki, portal) as (firefox, dialogs):
        dialogs.answer({"pin": PIN})
        deadline = time.monotonic() + 30
        while True:
            firefox.goto(f"{portal.origin}/login/smartpki")
            if firefox.evaluate("window.zhaninfo && window.zhaninfo.smartpki.version"):
                break
            assert time.monotonic() < deadline, "the extension did not place the SmartPKI API"
            time.sleep(0.5)
        firefox.evaluate("document.getElementById('login-button').click()")
        firefox.wait_for(f"location.href === '{portal.origin}/home'")
        me = _me(firefox)
        assert me["response_format"] == "smartpki"
        assert me["authority"] == "XCA"
        assert portal.origin in dialogs.texts("SETDESC")[0]
