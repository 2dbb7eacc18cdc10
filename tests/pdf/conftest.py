"""Fixtures for the PDF tests: the XCA virtual card's signer, the TSA, pdfsig's trust database."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from xcapki.crypto.trust import TrustStore
from xcapki.signer import Signer
from xcapki.testing import PkiServices, StandardCards, TestPki, TimestampAuthority, VirtualCard
from xcapki.testing.pdf_documents import write_pdf
from xcapki.token import KeyPurpose, TokenSelector, load_module, login
from xcapki.token.session import TokenSession


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {package})")
    return path


@pytest.fixture(scope="session")
def pdfsig() -> str:
    return _tool("pdfsig", "poppler-utils")


@pytest.fixture(scope="session")
def qpdf() -> str:
    return _tool("qpdf", "qpdf")


@pytest.fixture(scope="session")
def pdftoppm() -> str:
    return _tool("pdftoppm", "poppler-utils")


@pytest.fixture(scope="session")
def nss_database(tmp_path_factory: pytest.TempPathFactory, test_pki: TestPki, pdfsig: str) -> Path:
    """An NSS database trusting the test GRCA root, for ``pdfsig -nssdir``."""
    certutil = _tool("certutil", "libnss3-tools")
    directory = tmp_path_factory.mktemp("nss")
    subprocess.run([certutil, "-N", "-d", f"sql:{directory}", "--empty-password"], check=True)
    subprocess.run(
        [
            certutil,
            "-A",
            "-d",
            f"sql:{directory}",
            "-n",
            "xcapki test GRCA",
            "-t",
            "CT,C,C",
            "-i",
            str(test_pki.root_certificate_path),
        ],
        check=True,
    )
    return directory


@pytest.fixture(scope="session")
def tsa(pki_services: PkiServices) -> TimestampAuthority:
    return pki_services.timestamp_authority()


@pytest.fixture(scope="session")
def pdf_trust(test_pki: TestPki) -> TrustStore:
    """The test GRCA as the only root."""
    return TrustStore.empty().with_roots(test_pki.root.certificate)


@pytest.fixture(scope="session")
def xca_card(softhsm_cards: StandardCards) -> VirtualCard:
    return softhsm_cards.xca


@pytest.fixture
def card_session(xca_card: VirtualCard) -> Iterator[TokenSession]:
    module = load_module(xca_card.module_path)
    with login(module, TokenSelector(serial=xca_card.serial), pin=xca_card.pin) as session:
        yield session


@pytest.fixture
def card_signer(card_session: TokenSession) -> Signer:
    return card_session.signer(KeyPurpose.SIGNING)


@pytest.fixture
def report_pdf(tmp_path: Path) -> Path:
    """A two-page report, written independently of pyHanko."""
    return write_pdf(tmp_path / "report.pdf", pages=2)
