"""Sign a filing as PDF with the card (PAdES B-LT, visible stamp), then verify it as a recipient.

Without arguments the example makes everything it needs: a test PKI with its
OCSP responders and time-stamping authority on loopback, a SoftHSM2 virtual
XCA card, and a two-page report. With a real card and the real GPKI, call
``sign_pdf`` the same way with the token layer's signer, the bundled trust
store and your TSA's URL.

    .venv/bin/python examples/pdf_sign_verify.py
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.crypto.trust import TrustStore
from xcapki.pdf import PadesLevel, VisibleSignature, sign_pdf, verify_pdf
from xcapki.testing import CardSpec, TestPki, provision_softhsm_card, serve_pki, softhsm_config
from xcapki.testing.pdf_documents import write_pdf
from xcapki.token import KeyPurpose, TokenSelector, load_module, login


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pdf-example-") as name:
        directory = Path(name)
        conf = softhsm_config(directory / "softhsm")
        os.environ["SOFTHSM2_CONF"] = str(conf)  # before SoftHSM2 is loaded: it reads it once
        pki = TestPki.create(directory / "pki")
        spec = CardSpec(
            authority=Authority.XCA,
            organisation_name="範例聯合會計師事務所",
            unified_business_number="12345678",
        )
        card = provision_softhsm_card(pki, spec, softhsm_conf=conf)
        trust = TrustStore.empty().with_roots(pki.root.certificate)  # real cards: bundled()
        report = write_pdf(directory / "report.pdf", pages=2, text="Audit report")
        signed = directory / "report-signed.pdf"

        with serve_pki(pki) as services:
            tsa_url = services.timestamp_authority().url
            module = load_module(card.module_path)
            with login(module, TokenSelector(serial=card.serial), pin=card.pin) as session:
                result = sign_pdf(
                    report,
                    signed,
                    session.signer(KeyPurpose.SIGNING),
                    level=PadesLevel.B_LT,
                    chain=[card.card.issuer],  # a real card carries it as CACert
                    trust_store=trust,
                    tsa_url=tsa_url,
                    visible=VisibleSignature(page=2),
                    reason="會計師查核簽證申報",
                    location="臺北市",
                )
            print(f"signed {result.output.name}: PAdES {result.level.value}, {result.size} bytes")

            verification = verify_pdf(signed, trust_store=trust)

    for check in verification.signatures:
        signer = check.signer
        level = "-" if check.level is None else check.level.value
        print(f"{check.field_name}: valid={check.valid} level={level}")
        print(
            f"  organisation {signer.organisation_name}, 統一編號 {signer.unified_business_number}"
        )
        print(f"  revocation {check.revocation.value} ({check.revocation_evidence.value})")
        if check.timestamp is not None:
            print(f"  timestamp {check.timestamp.time.isoformat()} by {check.timestamp.authority}")
    print("valid" if verification.valid else "NOT valid")


if __name__ == "__main__":
    main()
