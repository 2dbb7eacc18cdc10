"""``xcapki virtual-card create``: a SoftHSM2 virtual HiCOS card in a reusable test PKI.

The PKI and the SoftHSM2 store live under ``--directory`` (default
``$XCAPKI_HOME``, else ``~/.local/share/xcapki/virtual-cards``); each run adds
one card. The new token and its certificates are then listed through the
token layer, as ``xcapki tokens`` and ``xcapki certs`` would, and the
``SOFTHSM2_CONF`` and ``--module`` the other commands need are printed.
"""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path

from xcapki.cli.commands.certs import show_certificates
from xcapki.cli.console import Console
from xcapki.cli.context import terminal_secret
from xcapki.cli.errors import OutputFileError
from xcapki.cli.exit_codes import ExitCode
from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, softhsm_config
from xcapki.token import PinFromEnvironment, PinPrompt, TokenSelector, load_module, resolve_pin

DEFAULT_UBN = "12345678"
_PKI = "pki"
_SOFTHSM = "softhsm"


def default_directory() -> Path:
    """``$XCAPKI_HOME``, else ``~/.local/share/xcapki/virtual-cards``."""
    home = os.environ.get("XCAPKI_HOME")
    if home:
        return Path(home)
    return Path.home() / ".local" / "share" / "xcapki" / "virtual-cards"


def _pki(directory: Path, console: Console) -> TestPki:
    location = directory / _PKI
    if location.exists() and any(location.iterdir()):
        console.progress("progress.pki_reuse", path=location)
        return TestPki.load(location)
    console.progress("progress.pki_create", path=location)
    return TestPki.create(location)


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Make the card, then show it through the token layer."""
    directory = Path(args.directory) if args.directory else default_directory()
    authority = Authority[args.authority.upper()]
    ubn = args.ubn
    if ubn is None and authority in (Authority.XCA, Authority.MOEACA):
        ubn = DEFAULT_UBN
    try:
        pki = _pki(directory, console)
        conf = softhsm_config(directory / _SOFTHSM)
    except OSError as exc:  # a file, a read-only place, a name too long
        raise OutputFileError(
            key="virtual.directory_unusable",
            directory=str(directory),
            reason=exc.strerror or str(exc),
            remedy_key="remedy.virtual_directory",
        ) from None
    os.environ["SOFTHSM2_CONF"] = str(conf)
    pin = _new_card_pin(args, console)
    console.progress("progress.card_create", authority=authority.name)
    card = provision_softhsm_card(
        pki,
        CardSpec(
            authority=authority,
            organisation_name=args.organisation,
            unified_business_number=ubn,
        ),
        softhsm_conf=conf,
        pin=pin,
    )
    module = load_module(card.module_path)
    token = module.select_token(TokenSelector(serial=card.serial))
    found = module.public_certificates(token)
    root = pki.root_certificate_path
    export = f"export SOFTHSM2_CONF={shlex.quote(str(conf))}"
    options = f"--module {shlex.quote(str(card.module_path))} --token {card.serial}"
    console.say(
        "virtual.made",
        serial=card.serial,
        authority=authority.name,
        organisation=args.organisation,
    )
    show_certificates(
        console,
        token,
        found,
        TrustStore.bundled().with_roots(pki.root.certificate),
        extra={
            "directory": str(directory),
            "softhsm2_conf": str(conf),
            "module": str(card.module_path),
            "trust_root": str(root),
            "export": export,
            "options": options,
        },
    )
    console.line()
    console.say("virtual.use")
    console.line(f"  {export}")
    console.line(f"  xcapki certs {options}")
    console.say("virtual.trust", path=root)
    console.say("virtual.revocation")
    return ExitCode.OK


def _new_card_pin(args: argparse.Namespace, console: Console) -> str:
    """The new card's PIN: ``--pin-env VAR`` or a prompt (no token exists yet to name)."""
    source = (
        PinFromEnvironment(variable=args.pin_env)
        if args.pin_env
        else PinPrompt(prompt=console.text("prompt.new_pin"), reader=terminal_secret)
    )
    return resolve_pin(source).reveal()
