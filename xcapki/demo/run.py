"""``xcapki demo``: the whole card login on loopback, then a browser can do the same.

Without ``--module`` it uses a virtual XCA card (``xcapki.demo.virtual``) and
serves its test PKI's OCSP responders and CRLs; with ``--module`` it uses the
real card in the reader and trusts the real GRCA roots. Either way it starts
the HiPKI-compatible local signing service and the example portal on
127.0.0.1, logs in once as a page would (``xcapki.demo.journey``), prints the
identity the portal saw, and keeps serving for a browser until Ctrl-C
(``--once``: exits instead).
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Final

from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.language import Language
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import RevocationMode
from xcapki.demo.errors import DemoSetupError
from xcapki.demo.journey import LoginJourney, LoginOutcome
from xcapki.demo.portal import PortalConfig, create_portal_app
from xcapki.demo.servers import BackgroundServer, bind_loopback
from xcapki.demo.virtual import VirtualDemoCard, default_directory, prepare_virtual_card
from xcapki.testing import PkiServices
from xcapki.token import PinFromEnvironment, PinPrompt, PinSource
from xcapki.token.pin import resolve_pin

__all__ = [
    "DEFAULT_PORTAL_PORT",
    "DEFAULT_SERVICE_PORT",
    "DemoOptions",
    "RunningDemo",
    "add_arguments",
    "run",
    "running_demo",
]

DEFAULT_SERVICE_PORT: Final = 61161
DEFAULT_PORTAL_PORT: Final = 61180
_REVOCATION: Final = {
    "off": RevocationMode.OFF,
    "soft": RevocationMode.SOFT_FAIL,
    "hard": RevocationMode.HARD_FAIL,
    "require": RevocationMode.REQUIRE,
}
_TRUST_FILE: Final = "demo-trusted-origins.json"

_TEXT: Final[dict[str, tuple[str, str]]] = {
    "card.virtual": (
        "virtual XCA card {serial} ({state}) in {directory}",
        "虛擬 XCA 憑證卡 {serial}（{state}），位於 {directory}",
    ),
    "card.made": ("made now", "本次建立"),
    "card.reused": ("reused", "沿用"),
    "card.real": ("the card in the reader, module {module}", "讀卡機中的卡片，模組 {module}"),
    "pki": (
        "test PKI: OCSP responders and CRL server on 127.0.0.1",
        "測試 PKI：OCSP 回應器與 CRL 伺服器已在 127.0.0.1 啟動",
    ),
    "service": ("local signing service: {url}", "本機簽章元件：{url}"),
    "portal": ("portal: {url}", "入口網：{url}"),
    "login": (
        "logging in: challenge, PIN and signature through PKCS#11, path and revocation check ...",
        "登入中：取得挑戰值、以 PIN 碼經 PKCS#11 簽章、驗證憑證路徑與廢止狀態 …",
    ),
    "success": ("login succeeded; the portal saw:", "登入成功；入口網看到的身分："),
    "field.authority": ("authority", "憑證類別"),
    "field.organisation": ("organisation", "單位名稱"),
    "field.ubn": ("unified business number (統一編號)", "統一編號"),
    "field.card": ("card serial", "卡號"),
    "field.not_after": ("certificate valid until", "憑證有效期限"),
    "field.revocation": ("revocation", "廢止狀態"),
    "field.filing": ("會計師查核簽證線上申報系統", "會計師查核簽證線上申報系統"),
    "filing.yes": ("admitted (XCA login)", "可進入（XCA 憑證登入）"),
    "filing.no": ("refused: it admits XCA logins only", "不可進入：本系統必須使用XCA憑證登入"),
    "open.virtual": (
        "open {url} in a browser, press 憑證登入 with PIN {pin} (a test card's PIN)",
        "請以瀏覽器開啟 {url}，輸入 PIN 碼 {pin}（測試卡）後按「憑證登入」",
    ),
    "open.real": (
        "open {url} in a browser, type your card's PIN and press 憑證登入",
        "請以瀏覽器開啟 {url}，輸入卡片的 PIN 碼後按「憑證登入」",
    ),
    "wait": ("press Ctrl-C to stop", "按 Ctrl-C 結束"),
    "stopped": (
        "stopped the portal, the service and the test PKI",
        "已停止入口網、本機簽章元件與測試 PKI",
    ),
    "pin.prompt": ("PIN of the card: ", "卡片 PIN 碼："),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoOptions:
    """What ``xcapki demo`` was asked to do.

    ``module_path`` None means the virtual card; ports 0 pick free ones.
    """

    directory: Path
    module_path: Path | None = None
    token: str | None = None
    pin_source: PinSource | None = field(default=None, repr=False)
    service_port: int = DEFAULT_SERVICE_PORT
    portal_port: int = DEFAULT_PORTAL_PORT
    revocation_mode: RevocationMode = RevocationMode.HARD_FAIL


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningDemo:
    """The running services and the card the journey logs in with."""

    portal_url: str
    service_url: str
    virtual_card: VirtualDemoCard | None
    slot_description: str | None
    pin: str = field(repr=False)

    def log_in(self) -> LoginOutcome:
        """The whole login, as a page makes it; ``DemoLoginError`` names a failed step."""
        journey = LoginJourney(
            portal_url=self.portal_url,
            service_url=self.service_url,
            portal_origin=self.portal_url,
            slot_description=self.slot_description,
        )
        return journey.run(self.pin)


@contextlib.contextmanager
def running_demo(
    options: DemoOptions, progress: Callable[[str, dict[str, object]], None]
) -> Iterator[RunningDemo]:
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
            trust_store = TrustStore.empty().with_roots(card.pki.root.certificate)
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
        portal_url = f"http://localhost:{portal_listener.getsockname()[1]}"
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
        stack.enter_context(BackgroundServer(portal_app, portal_listener, name="portal"))
        progress("portal", {"url": portal_url})

        wanted = card.serial if card is not None else options.token
        slot = _slot_of(service_url, portal_url, wanted)
        pin = card.pin if card is not None else _real_pin(options)
        yield RunningDemo(
            portal_url=portal_url,
            service_url=service_url,
            virtual_card=card,
            slot_description=slot,
            pin=pin,
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


def _service_app(options: DemoOptions, module_path: Path, port: int, portal_url: str) -> Any:
    """The local service, trusting exactly the portal's origin (written to the demo's list)."""
    from xcapki.service import PinMode, ServiceConfig, create_app

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


# the command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``xcapki demo``'s own options (the common ones come from the CLI)."""
    parser.add_argument(
        "--once",
        action="store_true",
        help="log in once, print the identity and exit (for scripts and CI)",
    )
    parser.add_argument(
        "--directory",
        metavar="DIR",
        help="where the test PKI and the virtual card live (default: $XCAPKI_HOME"
        " or ~/.local/share/xcapki/virtual-cards)",
    )
    parser.add_argument(
        "--service-port",
        type=int,
        metavar="PORT",
        default=None,
        help=f"local signing service port (default {DEFAULT_SERVICE_PORT};"
        " with --once a free one; 0: any free port)",
    )
    parser.add_argument(
        "--portal-port",
        type=int,
        metavar="PORT",
        default=None,
        help=f"portal port (default {DEFAULT_PORTAL_PORT}; with --once a free one)",
    )
    parser.add_argument(
        "--revocation",
        choices=tuple(_REVOCATION),
        default="hard",
        help="revocation checking by the portal (default: hard)",
    )


def options_from(args: argparse.Namespace, console: Console) -> DemoOptions:
    """The options of a parsed ``xcapki demo`` command line."""
    once: bool = args.once

    def port(value: int | None, default: int) -> int:
        if value is not None:
            return value
        return 0 if once else default

    pin_source: PinSource | None = None
    if args.pin_env:
        pin_source = PinFromEnvironment(variable=args.pin_env)
    elif args.module:
        pin_source = PinPrompt(prompt=_say(console, "pin.prompt"), reader=getpass.getpass)
    return DemoOptions(
        directory=Path(args.directory) if args.directory else default_directory(),
        module_path=Path(args.module) if args.module else None,
        token=args.token,
        pin_source=pin_source,
        service_port=port(args.service_port, DEFAULT_SERVICE_PORT),
        portal_port=port(args.portal_port, DEFAULT_PORTAL_PORT),
        revocation_mode=_REVOCATION[args.revocation],
    )


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """``xcapki demo``: log in once, print what the portal saw, then serve until Ctrl-C."""
    options = options_from(args, console)

    def progress(key: str, fields: dict[str, object]) -> None:
        shown = {k: _say(console, v) if v in _TEXT else v for k, v in fields.items()}
        _progress(console, _say(console, key, **shown))

    with running_demo(options, progress) as demo:
        _progress(console, _say(console, "login"))
        outcome = demo.log_in()
        _print_identity(console, demo, outcome)
        if args.once:
            return ExitCode.OK
        if demo.virtual_card is not None:
            console.line(_say(console, "open.virtual", url=demo.portal_url, pin=demo.pin))
        else:
            console.line(_say(console, "open.real", url=demo.portal_url))
        console.line(_say(console, "wait"))
        _wait_for_interrupt()
    _progress(console, _say(console, "stopped"))
    return ExitCode.OK


def _print_identity(console: Console, demo: RunningDemo, outcome: LoginOutcome) -> None:
    identity = outcome.identity
    admitted = bool(identity.get("cpa_filing_admitted")) and outcome.filing_status == 200
    console.document(
        {
            "ok": True,
            "portal_url": demo.portal_url,
            "service_url": demo.service_url,
            "virtual_card": demo.virtual_card is not None,
            "identity": identity,
            "cpa_filing_admitted": admitted,
        }
    )
    console.line(_say(console, "success"))
    rows = (
        ("field.authority", identity.get("authority")),
        ("field.organisation", identity.get("organisation_name")),
        ("field.ubn", identity.get("unified_business_number")),
        ("field.card", identity.get("card_serial")),
        ("field.not_after", identity.get("not_after")),
        ("field.revocation", f"{identity.get('revocation')} ({identity.get('revocation_source')})"),
        ("field.filing", _say(console, "filing.yes" if admitted else "filing.no")),
    )
    for key, value in rows:
        console.line(f"  {_say(console, key)}: {value if value is not None else '-'}")


def _say(console: Console, key: str, **fields: object) -> str:
    english, chinese = _TEXT[key]
    chosen = chinese if console.catalogue.language is Language.TRADITIONAL_CHINESE else english
    return chosen.format(**fields)


def _progress(console: Console, text: str) -> None:
    if not console.quiet:
        print(f"xcapki demo: {text}", file=console.stderr, flush=True)


def _wait_for_interrupt() -> None:
    """Block until Ctrl-C (SIGINT) or SIGTERM; both end the demo cleanly."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {
        number: signal.signal(number, on_signal) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(timeout=1.0):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
