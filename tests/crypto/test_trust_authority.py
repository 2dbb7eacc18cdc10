"""Which authority a trust-store entry names: the real anchors, and CA names that only look alike.

The look-alikes are CA certificates made with ``cryptography`` (hostile_pki); the real
ones are the published GRCA and MOICA files.
"""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from handmade_certificates import ANCHOR_FOLDER
from hostile_pki import look_alike_ca

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore

XCA_UNIT = "組織及團體憑證管理中心"


def _ca(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Certificate:
    return look_alike_ca(x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes]))


@pytest.mark.parametrize(
    ("file", "authority"),
    [
        ("GRCA-G1.pem", Authority.OTHER),
        ("GRCA-G2.pem", Authority.OTHER),
        ("GRCA-G3.pem", Authority.OTHER),
        ("MOICA-G2.pem", Authority.MOICA),
        ("MOICA-G3.pem", Authority.MOICA),
    ],
)
def test_the_published_anchors(file: str, authority: Authority) -> None:
    certificate = x509.load_pem_x509_certificate((ANCHOR_FOLDER / file).read_bytes())
    (entry,) = TrustStore.empty().with_intermediates(certificate).intermediates
    assert entry.authority is authority


def test_the_exact_xca_name_is_the_xca() -> None:
    exact = _ca(
        (NameOID.COUNTRY_NAME, "TW"),
        (NameOID.ORGANIZATION_NAME, "行政院"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, XCA_UNIT),
    )
    assert TrustStore.empty().with_intermediates(exact).intermediates[0].authority is Authority.XCA


@pytest.mark.parametrize(
    "attributes",
    [
        pytest.param(
            [
                (NameOID.COUNTRY_NAME, "TW"),
                (NameOID.ORGANIZATION_NAME, "行政院"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, XCA_UNIT + " "),
            ],
            id="trailing space",
        ),
        pytest.param(
            [
                (NameOID.COUNTRY_NAME, "TW"),
                (NameOID.ORGANIZATION_NAME, "行政院"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "\u00a0" + XCA_UNIT),
            ],
            id="no-break space",
        ),
        pytest.param(
            [
                (NameOID.COUNTRY_NAME, "US"),
                (NameOID.ORGANIZATION_NAME, "Example Corp"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, XCA_UNIT),
            ],
            id="another country and organisation",
        ),
        pytest.param(
            [
                (NameOID.COUNTRY_NAME, "TW"),
                (NameOID.ORGANIZATION_NAME, "行政院"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, "測試部門"),
                (NameOID.ORGANIZATIONAL_UNIT_NAME, XCA_UNIT),
            ],
            id="second unit",
        ),
        pytest.param(
            [(NameOID.ORGANIZATIONAL_UNIT_NAME, XCA_UNIT)],
            id="unit alone",
        ),
    ],
)
def test_a_look_alike_name_is_no_authority(
    attributes: list[tuple[x509.ObjectIdentifier, str]],
) -> None:
    store = TrustStore.empty().with_intermediates(_ca(*attributes)).with_roots(_ca(*attributes))
    assert store.intermediates[0].authority is Authority.OTHER
    assert store.roots[0].authority is Authority.OTHER
