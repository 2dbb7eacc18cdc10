"""``xcapki serve``: the HiPKI-compatible local signing service (xcapki.service) on loopback."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

from xcapki.cli.console import Console
from xcapki.cli.errors import ServiceUnavailableError
from xcapki.cli.exit_codes import ExitCode
from xcapki.cli.files import StagedOutput, check_output
from xcapki.cli.login_service import login_service


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


_FINAL_TRY_REFUSAL = {
    "page": "--spend-final-try does not apply to serve: in page PIN mode the PIN comes from a"
    " web page, and a page can never spend a card's final PIN try (one wrong PIN typed into a"
    " page would lock the card for good). To use the last try, serve with --pin-mode local:"
    " you are warned before typing, and typing the PIN is the consent",
    "local": "--spend-final-try does not apply to serve: in local PIN mode the prompt warns"
    " before the final try and typing the PIN is the consent; serve without it",
}


def _serve_arguments(args: argparse.Namespace) -> list[str]:
    """The options this run was given, for the login service to repeat."""
    arguments = ["--host", args.host, "--port", str(args.port), "--pin-mode", args.pin_mode]
    if args.module:
        arguments += ["--module", str(Path(args.module).absolute())]
    return arguments


def _install(args: argparse.Namespace, console: Console) -> ExitCode:
    service = login_service(_serve_arguments(args))
    service.path.parent.mkdir(parents=True, exist_ok=True)
    target = check_output(str(service.path), force=True)
    with StagedOutput(target, replace=True) as out:
        out.write(service.text.encode())
        out.commit()
    console.document({"installed": str(target), "activate": list(service.activate)})
    console.say("serve.installed", path=target)
    for command in service.activate:
        console.line(f"  {command}")
    return ExitCode.OK


def _uninstall(console: Console) -> ExitCode:
    service = login_service([])
    existed = service.path.exists()
    console.document({"removed": str(service.path) if existed else None})
    if existed:
        console.say("serve.uninstall_first")
        for command in service.deactivate:
            console.line(f"  {command}")
        service.path.unlink()
        console.say("serve.uninstalled", path=service.path)
    else:
        console.say("serve.not_installed", path=service.path)
    return ExitCode.OK


def run(args: argparse.Namespace, console: Console) -> ExitCode:
    """Serve until Ctrl-C; SERVICE when the service cannot start. ``--install`` and
    ``--uninstall`` write or remove the login service instead of serving."""
    if args.install:
        return _install(args, console)
    if args.uninstall:
        return _uninstall(console)
    try:
        from xcapki.service import (
            DomainApproval,
            PinMode,
            ServiceConfig,
            ServiceError,
            run_service,
        )
    except ImportError as exc:
        raise ServiceUnavailableError(
            f"the signing service needs the 'service' extra ({exc.name} is missing): install"
            " xcapki[service]"
        ) from None
    if args.spend_final_try:
        raise ServiceUnavailableError(_FINAL_TRY_REFUSAL[args.pin_mode])
    try:
        config = ServiceConfig(
            host=args.host,
            port=args.port,
            module_path=Path(args.module) if args.module else None,
            pin_mode=PinMode(args.pin_mode),
            domain_approval=DomainApproval.PROMPT
            if args.approve_sites == "terminal"
            else DomainApproval.POPUP,
        )
    except ServiceError as error:
        raise ServiceUnavailableError(str(error)) from None
    if not _port_free(config.host, config.port):
        raise ServiceUnavailableError(
            f"port {config.port} on {config.host} is taken by another program (xcapki doctor"
            " names it): stop it, or serve on another --port"
        )
    console.progress("serve.listening", host=config.host, port=config.port)
    try:
        run_service(config)
    except ServiceError as error:
        raise ServiceUnavailableError(str(error)) from None
    except SystemExit as stop:
        if stop.code not in (0, None):
            raise ServiceUnavailableError(
                f"the service stopped with code {stop.code}: run with --debug for its log"
            ) from None
    return ExitCode.OK
