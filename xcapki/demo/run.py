"""``xcapki demo``: the whole card login on loopback, then a browser can do the same.

Without ``--module`` it uses a virtual XCA card (``xcapki.demo.virtual``) and
serves its test PKI's OCSP responders and CRLs; with ``--module`` it uses the
real card in the reader and trusts the real GRCA roots. Either way it starts
the HiPKI-compatible local signing service and the example portal on
127.0.0.1 (``xcapki.demo.environment``), logs in once as a page would,
prints the identity the portal saw, and keeps serving for a browser until
Ctrl-C or SIGTERM (``--once``: exits instead).
"""

from __future__ import annotations

import argparse
import getpass
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final

from xcapki.cli.console import Console
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.language import Language
from xcapki.demo.errors import DemoSetupError
from xcapki.demo.options import (
    DEFAULT_PORTAL_PORT,
    DEFAULT_SERVICE_PORT,
    REVOCATION_MODES,
    DemoLogin,
    DemoOptions,
    default_directory,
)
from xcapki.token.pin import PinFromEnvironment, PinPrompt, PinSource

if TYPE_CHECKING:
    from xcapki.demo.environment import RunningDemo
    from xcapki.demo.journey import LoginOutcome

__all__ = ["options_from", "run"]

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
        revocation_mode=REVOCATION_MODES[args.revocation],
        login=DemoLogin(args.login),
    )


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """``xcapki demo``: log in once, print what the portal saw, then serve until Ctrl-C."""
    options = options_from(args, console)

    def progress(key: str, fields: dict[str, object]) -> None:
        shown = {k: _say(console, v) if v in _TEXT else v for k, v in fields.items()}
        _progress(console, _say(console, key, **shown))

    try:
        from xcapki.demo.environment import running_demo
    except ImportError as exc:
        raise DemoSetupError(
            f"xcapki demo needs the service and card extras ({exc.name} is missing): "
            "pip install 'xcapki[service,card]'"
        ) from None
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
