"""Real pcscd + vpcd fixtures for the reader tests.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once, when the process
establishes its first PC/SC context, and keeps that socket for the life of
the process. So tests/conftest.py points the variable at a private socket
before any test runs (``pcsc_site``), and every private pcscd of the session
(started, stopped, restarted per test) binds that same socket.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from xcapki.reader import list_readers
from xcapki.testing.pcscd import (
    PcscdSite,
    PrivatePcscd,
    pcscd_missing_reason,
    vpcd_reader_names,
)
from xcapki.testing.virtual_reader import EmulatedCard


@pytest.fixture(scope="session")
def pcsc_session(pcsc_site: PcscdSite) -> PcscdSite:
    """The session's private PC/SC site, or a skip naming what is missing."""
    reason = pcscd_missing_reason()
    if reason is not None:
        pytest.skip(reason)
    return pcsc_site


@pytest.fixture
def pcscd(pcsc_session: PcscdSite) -> Iterator[PrivatePcscd]:
    """A running private pcscd with the two vpcd readers, stopped after the test."""
    daemon = pcsc_session.daemon()
    daemon.start()
    try:
        names = tuple(r.name for r in list_readers())
        if names != vpcd_reader_names():
            pytest.fail(
                f"PC/SC answered with readers {names}, not the private pcscd's: this "
                "process established a PC/SC context before PCSCLITE_CSOCK_NAME was set"
            )
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def reader_name(pcscd: PrivatePcscd) -> str:
    return vpcd_reader_names()[0]


@pytest.fixture
def virtual_card(pcsc_session: PcscdSite, pcscd: PrivatePcscd) -> Iterator[EmulatedCard]:
    """A HiCOS-ATR virtual card for the first vpcd reader, not yet inserted."""
    card = EmulatedCard(pcsc_session.vpcd_port)
    yield card
    card.close()
