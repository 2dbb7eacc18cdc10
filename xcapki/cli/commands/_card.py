"""Opening a card for a command: module, token, one PIN-safe login, and its CA certificates."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography import x509

from xcapki.cli.console import Console
from xcapki.cli.context import open_module, pin_source, select_token
from xcapki.cli.present import token_words
from xcapki.token import KeyPurpose, TokenCertificate, TokenInfo, TokenSession, login

__all__ = ["authority_certificates", "logged_in"]


@contextmanager
def logged_in(args: argparse.Namespace, console: Console) -> Iterator[TokenSession]:
    """A session on the chosen card after exactly one login attempt (never retried)."""
    module = open_module(args, console)
    token: TokenInfo = select_token(module, args.token)
    source = pin_source(args, console, token)
    console.progress("progress.login", token=token_words(console, token))
    with login(module, token, pin=source, spend_final_try=args.spend_final_try) as session:
        yield session


def authority_certificates(certificates: tuple[TokenCertificate, ...]) -> list[x509.Certificate]:
    """The CA certificates the card carries (HiCOS ``CACert``/``ROOTCACert``), for paths."""
    return [c.certificate for c in certificates if c.purpose is KeyPurpose.AUTHORITY]
