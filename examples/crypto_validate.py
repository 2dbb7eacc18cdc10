"""Validate certificate paths with revocation checking (run: python examples/crypto_validate.py).

1. The real MOICA G3 intermediate against the bundled GRCA roots, at a fixed
   moment, revocation OFF (no network needed).
2. A card from a throwaway test PKI whose OCSP responder and CRL server are not
   running: SOFT_FAIL accepts it as "unavailable", HARD_FAIL refuses it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from xcapki.crypto.authority import Authority
from xcapki.crypto.errors import PathValidationError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode
from xcapki.testing.pki import CardSpec, TestPki


def real_moica() -> None:
    store = TrustStore.bundled()
    validator = ChainValidator(store, revocation_mode=RevocationMode.OFF)
    moica_g3 = store.intermediates[1].certificate
    path = validator.validate(moica_g3, moment=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    print("MOICA G3 chain:", " <- ".join(c.subject.rfc4514_string() for c in path.chain))


def test_pki_card(directory: Path) -> None:
    pki = TestPki.create(directory)
    card = pki.issue_card(
        CardSpec(authority=Authority.XCA, organisation_name="好帳會計師事務所",
                 unified_business_number="12345675")
    )  # fmt: skip
    store = TrustStore.empty().with_roots(pki.root.certificate)
    identity = TaiwanCertificate.from_certificate(card.signing.certificate)
    print(f"card: {identity.organisation_name} 統一編號 {identity.unified_business_number}")
    for mode in (RevocationMode.SOFT_FAIL, RevocationMode.HARD_FAIL):
        validator = ChainValidator(
            store, revocation_mode=mode, fetch_timeout=dt.timedelta(seconds=2)
        )
        try:
            path = validator.validate(card.signing.certificate, intermediates=[card.issuer])
        except PathValidationError as exc:
            print(f"{mode.name}: refused, {type(exc).__name__}")
        else:
            print(f"{mode.name}: accepted, leaf revocation {path.leaf_revocation.state.name}")


if __name__ == "__main__":
    real_moica()
    with tempfile.TemporaryDirectory(prefix="xcapki-example-") as folder:
        test_pki_card(Path(folder) / "pki")
