"""Read the Taiwan GPKI profile of a certificate (run: python examples/crypto_profile.py [cert]).

Without an argument it reads the bundled MOICA G3 intermediate; give it a card
certificate (PEM or DER) to see 統一編號, subject class, card serial and the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

from xcapki.crypto.errors import CertificateError
from xcapki.crypto.profile import TaiwanCertificate
from xcapki.crypto.trust import TrustStore


def main(argv: list[str]) -> int:
    store = TrustStore.bundled()
    if len(argv) > 1:
        data = Path(argv[1]).read_bytes()
    else:
        data = (
            Path(__file__)
            .resolve()
            .parents[1]
            .joinpath("xcapki", "crypto", "anchors", "MOICA-G3.pem")
            .read_bytes()
        )
    try:
        card = TaiwanCertificate.from_bytes(data, trust_store=store)
    except CertificateError as exc:
        print(f"not a readable certificate: {exc}", file=sys.stderr)
        return 1
    print(
        f"authority           {card.authority.name} (issuer: {card.issuer_label or 'not in store'})"
    )
    print(f"organisation        {card.organisation_name}")
    print(f"統一編號            {card.unified_business_number}")
    print(f"organisation OID    {card.organisation_oid}")
    print(f"subject class       {card.subject_class.name} {card.subject_class_oid or ''}")
    print(f"card serial         {card.card_serial}")
    print(f"purpose             {card.purpose.name}")
    print(f"policies            {', '.join(card.policy_oids)}")
    print(f"valid               {card.not_before:%Y-%m-%d} .. {card.not_after:%Y-%m-%d}")
    print(f"SHA-256             {card.fingerprint_sha256.hex()}")
    for attribute in card.unknown_attributes:
        print(f"unknown attribute   {attribute.oid}: {len(attribute.values)} value(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
