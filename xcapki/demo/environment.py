"""The running demo: card, test PKI services, local signing service and portal on loopback.

``running_demo`` starts them in order (each stops when the ``with`` block
ends, in reverse order) and yields a ``RunningDemo`` whose ``log_in`` makes
the whole login as a page would (``xcapki.demo.journey``).
"""

from __future__ import annotations

import contextlib
import getpass
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from starlette.types import ASGIApp

from xcapki.crypto.trust import TrustStore
from xcapki.demo.errors import DemoSetupError
from xcapki.demo.extension_journey import ExtensionJourney
from xcapki.demo.journey import LoginJourney, LoginOutcome
from xcapki.demo.options import DemoLogin, DemoOptions
from xcapki.demo.portal import PortalConfig, create_portal_app
from xcapki.demo.servers import BackgroundServer, bind_loopback
from xcapki.demo.tls import self_signed_tls
from xcapki.demo.virtual import VirtualDemoCard, prepare_virtual_card
from xcapki.service import PinMode, ServiceConfig, create_app
from xcapki.testing import PkiServices
from xcapki.token import PinPrompt, resolve_pin

__all__ = ["Progress", "RunningDemo", "running_demo"]

_TRUST_FILE: Final = "demo-trusted-origins.json"

Progress = Callable[[str, dict[str, object]], None]
"""Told each step as it completes: a message key and its fields."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningDemo:
    """The running services and the card the journey logs in with."""

    portal_url: str
    service_url: str
    virtual_card: VirtualDemoCard | None
    slot_description: str | None
    pin: str = field(repr=False)
    login: DemoLogin = DemoLogin.HIPKI
    extension: ExtensionJourney | None = None

    def log_in(self) -> LoginOutcome:
        """The whole login, as a page makes it; ``DemoLoginError`` names a failed step."""
        if self.extension is not None and self.login is DemoLogin.WEB_EID:
            return self.extension.web_eid()
        if self.extension is not None and self.login is DemoLogin.SMARTPKI:
            return self.extension.smartpki()
        journey = LoginJourney(
            portal_url=self.portal_url,
            service_url=self.service_url,
            portal_origin=self.portal_url,
            slot_description=self.slot_description,
        )
        return journey.run(self.pin)


@contextlib.contextmanager
def running_demo(options: DemoOptions, progress: Progress) -> Iterator[RunningDemo]:
    """Card, test PKI services, local service and portal, stopped when the block ends."""
    with contextlib.ExitStack() as stack:
        card: VirtualDemoCard | None = None
        if options.module_path is None:
            card = prepare_virtual_card(options.directory)
            progress(
                "card.virtual",
                {
                    "serial": card.serial,
                    "state": "card.made" if card.created else "card.reused",
                    "directory": options.directory,
                },
            )
            stack.enter_context(_pki_services(card))
            progress("pki", {})
            trust_store = (
                TrustStore.empty()
                .with_roots(card.pki.root.certificate)
                .with_intermediates(*(ca.certificate for ca in card.pki.authorities[1:]))
            )
            module_path = card.module_path
        else:
            progress("card.real", {"module": options.module_path})
            trust_store = TrustStore.bundled()
            module_path = options.module_path

        portal_listener = bind_loopback(
            options.portal_port, what="the portal", option="--portal-port"
        )
        stack.callback(portal_listener.close)
        service_listener = bind_loopback(
            options.service_port, what="the local signing service", option="--service-port"
        )
        stack.callback(service_listener.close)
        tls = None
        scheme = "http"
        if options.login is DemoLogin.WEB_EID:
            tls = self_signed_tls(options.directory / "tls")
            scheme = "https"
        portal_url = f"{scheme}://localhost:{portal_listener.getsockname()[1]}"
        service_port: int = service_listener.getsockname()[1]
        service_url = f"http://localhost:{service_port}"

        stack.enter_context(
            BackgroundServer(
                _service_app(options, module_path, service_port, portal_url),
                service_listener,
                name="local signing service",
            )
        )
        progress("service", {"url": service_url})
        portal_app = create_portal_app(
            PortalConfig(
                origin=portal_url,
                trust_store=trust_store,
                service_url=service_url,
                revocation_mode=options.revocation_mode,
            )
        )
        stack.enter_context(BackgroundServer(portal_app, portal_listener, name="portal", tls=tls))
        progress("portal", {"url": portal_url})

        wanted = card.serial if card is not None else options.token
        slot = _slot_of(service_url, portal_url, wanted)
        if card is not None:
            pin = card.pin
        elif options.login is DemoLogin.HIPKI:
            pin = _real_pin(options)
        else:
            pin = ""  # the native host asks in its own dialog

        extension = None
        if options.login is not DemoLogin.HIPKI:
            extension = _extension_journey(options, card, module_path, portal_url, tls)
        yield RunningDemo(
            portal_url=portal_url,
            service_url=service_url,
            virtual_card=card,
            slot_description=slot,
            pin=pin,
            login=options.login,
            extension=extension,
        )


def _extension_journey(
    options: DemoOptions,
    card: VirtualDemoCard | None,
    module_path: Path,
    portal_url: str,
    tls: tuple[Path, Path] | None,
) -> ExtensionJourney:
    """The native host on the demo's card: the virtual card's PIN comes from a scripted
    pinentry; a real card's from the desktop's pinentry dialog."""
    from xcapki.nativehost.pinentry import find_pinentry
    from xcapki.testing.pinentry import SCRIPT_ENVIRONMENT_VARIABLE, ScriptedPinentry

    sites = options.directory / _TRUST_FILE
    environment: dict[str, str] = {}
    pinentry: Path | None
    if card is not None:
        dialogs = ScriptedPinentry(options.directory)
        dialogs.answer({"pin": card.pin})
        environment = {
            "SOFTHSM2_CONF": str(card.softhsm_conf),
            SCRIPT_ENVIRONMENT_VARIABLE: str(dialogs.script),
        }
        pinentry = dialogs.program
    else:
        pinentry = find_pinentry()
    return ExtensionJourney(
        portal_url=portal_url,
        module_path=module_path,
        pinentry=pinentry,
        sites_path=sites,
        environment=environment,
        tls_certificate=tls[0] if tls else None,
    )


def _pki_services(card: VirtualDemoCard) -> PkiServices:
    """The test PKI's OCSP responders and CRL server, on the ports its certificates name."""
    try:
        return PkiServices(card.pki)
    except OSError as exc:
        raise DemoSetupError(
            f"the test PKI's OCSP/CRL ports are taken ({exc}): another xcapki demo may be "
            "running; stop it first"
        ) from None


def _service_app(options: DemoOptions, module_path: Path, port: int, portal_url: str) -> ASGIApp:
    """The local service, trusting exactly the portal's origin (written to the demo's list)."""
    trust_file = options.directory / _TRUST_FILE
    trust_file.parent.mkdir(parents=True, exist_ok=True)
    trust_file.write_text(json.dumps({"origins": [portal_url]}, indent=2) + "\n")
    config = ServiceConfig(
        port=port,
        module_path=module_path,
        pin_mode=PinMode.PAGE,
        trust_list_path=trust_file,
        domain_approver=lambda request: False,
    )
    return create_app(config)


def _slot_of(service_url: str, portal_url: str, wanted: str | None) -> str | None:
    """The reader (slotDescription) holding the card with serial or label ``wanted``."""
    if wanted is None:
        return None
    journey = LoginJourney(portal_url=portal_url, service_url=service_url, portal_origin=portal_url)
    for slot in journey.service_slots():
        token = slot.get("token") or {}
        if wanted in (token.get("serialNumber"), token.get("label")):
            description = slot.get("slotDescription")
            return description if isinstance(description, str) else None
    raise DemoSetupError(
        f"no card {wanted!r} is present: insert it, or choose another with --token "
        "(xcapki tokens lists them)"
    )


def _real_pin(options: DemoOptions) -> str:
    source = options.pin_source or PinPrompt(prompt="PIN: ", reader=getpass.getpass)
    return resolve_pin(source).reveal()
