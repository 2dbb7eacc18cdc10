"""Session-wide real components: the test PKI, its responders and the SoftHSM2 virtual cards.

SoftHSM2 reads SOFTHSM2_CONF once, when a process first initialises it, and
sees only the tokens that exist then; so the store and its cards are made at
session start, before any test loads the module.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from xcapki.testing import (
    PkiServices,
    StandardCards,
    TestingError,
    TestPki,
    find_softhsm2_module,
    provision_standard_cards,
    serve_pki,
    softhsm_config,
)
from xcapki.testing.pcscd import PcscdSite, find_free_port_pair


@pytest.fixture(scope="session", autouse=True)
def pcsc_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscdSite]:
    """A private PC/SC socket for the whole session, chosen before any test runs.

    libpcsclite keeps the first socket a process connects to, so a test that
    opened a PC/SC context on the system's pcscd would leave the reader tests'
    private daemons unreachable; with the socket fixed first, every test of
    the process meets the same private pcscd (or none).
    """
    site = PcscdSite(workdir=tmp_path_factory.mktemp("pcscd"), vpcd_port=find_free_port_pair())
    previous = os.environ.get("PCSCLITE_CSOCK_NAME")
    os.environ["PCSCLITE_CSOCK_NAME"] = str(site.socket_path)
    try:
        yield site
    finally:
        if previous is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = previous


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> TestPki:
    """The session's test GRCA with its XCA, GCA, MOICA, MOEACA and TEST CAs."""
    return TestPki.create(tmp_path_factory.mktemp("pki") / "pki")


@pytest.fixture(scope="session")
def pki_services(test_pki: TestPki) -> Iterator[PkiServices]:
    """The test PKI's OCSP responders and CRL server, on loopback."""
    with serve_pki(test_pki) as services:
        yield services


def _softhsm_missing() -> str | None:
    try:
        find_softhsm2_module()
    except TestingError as error:
        return str(error)
    for tool, package in (("softhsm2-util", "softhsm2"), ("pkcs11-tool", "opensc")):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian package {package})"
    return None


@pytest.fixture(scope="session", autouse=True)
def _softhsm_store(
    tmp_path_factory: pytest.TempPathFactory, test_pki: TestPki
) -> Iterator[StandardCards | str]:
    """The standard virtual cards, or why SoftHSM2 is unavailable."""
    missing = _softhsm_missing()
    if missing is not None:
        yield missing
        return
    conf = softhsm_config(tmp_path_factory.mktemp("softhsm"))
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    try:
        yield provision_standard_cards(test_pki, softhsm_conf=conf)
    finally:
        if previous is None:
            os.environ.pop("SOFTHSM2_CONF", None)
        else:
            os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def softhsm_conf(_softhsm_store: StandardCards | str) -> Path:
    """The session's SOFTHSM2_CONF (already set in the environment)."""
    cards = softhsm_cards_or_skip(_softhsm_store)
    return cards.xca.softhsm_conf


@pytest.fixture(scope="session")
def softhsm_cards(_softhsm_store: StandardCards | str) -> StandardCards:
    """Virtual HiCOS cards: XCA (RSA, EC), GCA, MOICA, MOEACA, expired, not yet valid, revoked."""
    return softhsm_cards_or_skip(_softhsm_store)


def softhsm_cards_or_skip(store: StandardCards | str) -> StandardCards:
    """The cards, or a skip naming the missing component."""
    if isinstance(store, str):
        pytest.skip(store)
    return store


@pytest.fixture(scope="session")
def openssl() -> str:
    """The openssl command, or a skip naming the package to install."""
    path = shutil.which("openssl")
    if path is None:
        pytest.skip("openssl is not installed (Debian package openssl)")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under XCAPKI_REQUIRE_ALL_COMPONENTS=1 (CI), a skipped test fails the run."""
    if os.environ.get("XCAPKI_REQUIRE_ALL_COMPONENTS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        reporter.write_line(
            f"xcapki: {len(skipped)} test(s) skipped, but every component must be present here",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
