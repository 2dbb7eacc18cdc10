"""The example portal in-process, with cards whose keys are files of the session's test PKI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import warnings
from collections.abc import Iterator

import pytest

# Starlette 1.x suggests a fork of httpx for its TestClient; httpx itself works unchanged.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from portal_driver import PORTAL, PortalBrowser  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from xcapki.crypto.authority import Authority  # noqa: E402
from xcapki.crypto.trust import TrustStore  # noqa: E402
from xcapki.demo import PortalConfig, create_portal_app  # noqa: E402
from xcapki.testing import CardSpec, IssuedCard, PkiServices, TestPki  # noqa: E402

XCA_FIRM = CardSpec(
    authority=Authority.XCA,
    organisation_name="測試聯合會計師事務所",
    unified_business_number="12345678",
    organisation_oid="2.16.886.101.90001.1",
)


@pytest.fixture
def portal(test_pki: TestPki, pki_services: PkiServices) -> Iterator[TestClient]:
    """The portal at PORTAL trusting the test GRCA, revocation hard-fail against its OCSP."""
    config = PortalConfig(
        origin=PORTAL, trust_store=TrustStore.empty().with_roots(test_pki.root.certificate)
    )
    with TestClient(create_portal_app(config), base_url=PORTAL, follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def file_cards(test_pki: TestPki) -> dict[str, IssuedCard]:
    """Cards with file keys: an XCA firm, a MOICA citizen, a revoked XCA firm, a hostile name."""
    now = dt.datetime.now(dt.UTC)
    cards = {
        "xca": test_pki.issue_card(XCA_FIRM),
        "moica": test_pki.issue_card(
            CardSpec(authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="6789")
        ),
        "revoked": test_pki.issue_card(
            dataclasses.replace(
                XCA_FIRM, organisation_name="撤銷事務所", unified_business_number="22345678"
            )
        ),
        "markup": test_pki.issue_card(
            dataclasses.replace(
                XCA_FIRM,
                organisation_name="<script>alert(1)</script>事務所",
                unified_business_number="32345678",
            )
        ),
        "expired": test_pki.issue_card(
            dataclasses.replace(
                XCA_FIRM,
                organisation_name="過期事務所",
                not_before=now - dt.timedelta(days=800),
                not_after=now - dt.timedelta(days=1),
            )
        ),
    }
    test_pki.revoke(cards["revoked"].signing.certificate)
    return cards


@pytest.fixture
def browser(portal: TestClient) -> PortalBrowser:
    return PortalBrowser(portal)
