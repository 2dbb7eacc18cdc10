"""A 工商憑證 secondary card's user data for tests: an attribute certificate on the card.

A MOEACA secondary card (附卡) carries an attribute certificate (RFC 5755)
by which the issuing authority vouches that the card's holder acts for the
company. ``issue_attribute_certificate`` builds one with asn1crypto and
signs it with the test PKI's CA key through ``cryptography``;
``store_user_data`` writes it onto a virtual card as a private data object
with OpenSC's pkcs11-tool, as a card personalisation tool would.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from xcapki.testing._tools import run_tool
from xcapki.testing.errors import TestingError
from xcapki.testing.pki import CaCredentials
from xcapki.testing.softhsm import VirtualCard

__all__ = ["USER_DATA_LABEL", "issue_attribute_certificate", "store_user_data"]

USER_DATA_LABEL = "UserData"
_ROLE = "2.5.4.72"


def issue_attribute_certificate(
    authority: CaCredentials,
    holder: x509.Certificate,
    *,
    role: str = "負責人授權",
    days: int = 365,
) -> bytes:
    """DER of an attribute certificate for ``holder``, signed by ``authority`` (RSA)."""
    key = authority.key.private_key
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TestingError("the test attribute certificate is signed by an RSA CA only")
    issuer = asn1_x509.Name.load(authority.certificate.subject.public_bytes())
    holder_issuer = asn1_x509.Name.load(holder.issuer.public_bytes())
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"})
    info = cms.AttributeCertificateInfoV2(
        {
            "version": "v2",
            "holder": {
                "base_certificate_id": {
                    "issuer": [asn1_x509.GeneralName(name="directory_name", value=holder_issuer)],
                    "serial": holder.serial_number,
                }
            },
            "issuer": cms.AttCertIssuer(
                name="v2_form",
                value={"issuer_name": [asn1_x509.GeneralName(name="directory_name", value=issuer)]},
            ),
            "signature": algorithm,
            "serial_number": x509.random_serial_number(),
            "att_cert_validity_period": {
                "not_before_time": core.GeneralizedTime(now - dt.timedelta(minutes=5)),
                "not_after_time": core.GeneralizedTime(now + dt.timedelta(days=days)),
            },
            "attributes": [
                {
                    "type": _ROLE,
                    "values": [
                        {
                            "role_name": asn1_x509.GeneralName(
                                name="directory_name",
                                value=asn1_x509.Name.build({"title": role}, use_printable=False),
                            )
                        }
                    ],
                }
            ],
        }
    )
    signature = key.sign(info.dump(), padding.PKCS1v15(), hashes.SHA256())
    certificate = cms.AttributeCertificateV2(
        {"ac_info": info, "signature_algorithm": algorithm, "signature": signature}
    )
    der: bytes = certificate.dump()
    return der


def store_user_data(card: VirtualCard, data: bytes, *, label: str = USER_DATA_LABEL) -> None:
    """Write ``data`` onto ``card`` as a private data object (readable after the PIN login)."""
    environment = {**os.environ, **card.environment}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "user-data.der"
        path.write_bytes(data)
        arguments = [
            "--module", str(card.module_path), "--token-label", card.token_label,
            "--login", "--pin", card.pin, "--write-object", str(path), "--type", "data",
            "--label", label, "--private",
        ]  # fmt: skip
        run_tool("pkcs11-tool", arguments, env=environment, secret_arguments=frozenset({6}))
