"""Headless Debian Chromium (driven by Playwright), the local service, and the example portal.

The login page sends no ``slotDescription``, as government pages do, so the
service must see exactly one card: each situation gets its own SoftHSM2
store and its own ``xcapki serve`` process (SoftHSM2 reads its store once per
process). The portal runs in this process under uvicorn and verifies against
the session's test PKI and its OCSP responders.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PIN,
    XCA_FIRM,
    CardDesk,
    Portal,
    wait_for_service,
)

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.demo import PortalConfig, create_portal_app
from xcapki.demo.servers import BackgroundServer, bind_loopback
from xcapki.demo.tls import self_signed_tls
from xcapki.testing import (
    CardSpec,
    PkiServices,
    StandardCards,
    TestPki,
    provision_softhsm_card,
    softhsm_config,
)
from xcapki.testing.ports import unused_port


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    """Playwright's driver, with Debian's chromium (never a downloaded browser)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: pip install playwright"
    )
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture
def page(playwright: Any, tmp_path: Path) -> Iterator[Any]:
    """A page of a fresh headless Chromium profile, in zh-TW."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_ARGS,
        locale="zh-TW",
        viewport={"width": 1000, "height": 760},
    )
    try:
        yield context.pages[0] if context.pages else context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def portal(
    test_pki: TestPki, pki_services: PkiServices, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Portal]:
    """The example portal over https on loopback, trusting the test PKI."""
    trust = (
        TrustStore.empty()
        .with_roots(test_pki.root.certificate)
        .with_intermediates(*(ca.certificate for ca in test_pki.authorities[1:]))
    )
    listener = bind_loopback(0, what="the portal", option="--portal-port")
    port = listener.getsockname()[1]
    origin = f"https://localhost:{port}"
    app = create_portal_app(PortalConfig(origin=origin, trust_store=trust))
    tls = self_signed_tls(tmp_path_factory.mktemp("tls"), ("localhost", "evil.test"))
    with BackgroundServer(app, listener, name="portal", tls=tls):
        yield Portal(origin=origin, port=port)


@pytest.fixture(scope="module")
def desks(
    test_pki: TestPki,
    pki_services: PkiServices,
    softhsm_cards: StandardCards,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, CardDesk]]:
    """One desk per situation: an XCA card, a MOICA card, an expired XCA card, no card."""
    now = dt.datetime.now(dt.UTC)
    specs: dict[str, CardSpec | None] = {
        "xca": XCA_FIRM,
        "moica": CardSpec(
            authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="6789"
        ),
        "expired": dataclasses.replace(
            XCA_FIRM,
            organisation_name="過期測試事務所",
            not_before=now - dt.timedelta(days=800),
            not_after=now - dt.timedelta(days=1),
        ),
        "absent": None,
    }
    module = softhsm_cards.xca.module_path
    trust_store = TrustStore.empty().with_roots(test_pki.root.certificate)
    processes: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        made: dict[str, CardDesk] = {}
        for name, spec in specs.items():
            root = tmp_path_factory.mktemp(f"desk-{name}")
            conf = softhsm_config(root / "softhsm")
            if spec is not None:
                provision_softhsm_card(test_pki, spec, softhsm_conf=conf, pin=PIN)
            portal_listener = bind_loopback(0, what="the portal", option="--portal-port")
            portal_url = f"http://localhost:{portal_listener.getsockname()[1]}"
            config_home = root / "config"
            (config_home / "xcapki").mkdir(parents=True)
            (config_home / "xcapki" / "trusted-origins.json").write_text(
                json.dumps({"origins": [portal_url]})
            )
            port = unused_port()
            environment = {
                **os.environ,
                "SOFTHSM2_CONF": str(conf),
                "XDG_CONFIG_HOME": str(config_home),
                "LANG": "C.UTF-8",
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "xcapki", "serve", "--port", str(port),
                 "--module", str(module), "--quiet"],
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=stack.enter_context((root / "serve.log").open("wb")),
            )  # fmt: skip
            processes.append(process)
            service_url = f"http://localhost:{port}"
            wait_for_service(f"{service_url}/", process)
            portal = create_portal_app(
                PortalConfig(origin=portal_url, trust_store=trust_store, service_url=service_url)
            )
            stack.enter_context(BackgroundServer(portal, portal_listener, name=f"portal {name}"))
            made[name] = CardDesk(portal_url=portal_url, service_url=service_url)
        try:
            yield made
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


@pytest.fixture(scope="module", autouse=True)
def _chromium_present() -> None:
    if shutil.which(str(CHROMIUM)) is None:
        pytest.skip("Debian chromium is not installed: apt-get install chromium")
