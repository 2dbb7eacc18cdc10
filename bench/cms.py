"""CMS verification speed: xcapki vs pyHanko vs raw RSA-2048, on one signature.

The signature is a HiPKI-shape login response by a test XCA card (RSA-2048,
SHA-256) with its issuer attached. Each contender verifies it repeatedly for
a fixed time:

- xcapki: ``verify_signed_data`` with a trusted path and revocation checked
  against the test PKI's loopback OCSP responder (hard-fail), answers cached
  until their nextUpdate; also ``verify_cms`` alone (intact only);
- pyHanko: ``async_validate_cms_signature`` with the same trust root (its
  default context: no revocation fetching, so it does less work than xcapki),
  key usage digitalSignature as the card certificate carries;
- raw: ``cryptography`` RSA PKCS#1 v1.5 verification of the same signature,
  the ceiling any CMS verifier can reach.

Run: .venv/bin/python bench/cms.py [--seconds 2]
The last line is JSON with xcapki_per_s, pyhanko_per_s, raw_per_s, ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext

from xcapki.crypto.authority import Authority
from xcapki.crypto.cms import sign_hipki, verify_cms, verify_signed_data
from xcapki.crypto.key_signer import KeySigner
from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import ChainValidator, RevocationMode, RevocationState
from xcapki.testing import CardSpec, TestPki, serve_pki


def per_second(action: Callable[[], object], seconds: float) -> float:
    """Calls of ``action`` per second over about ``seconds``."""
    action()
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(20):
            action()
        count += 20
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per contender")
    seconds = parser.parse_args().seconds

    with tempfile.TemporaryDirectory(prefix="xcapki-bench-cms-") as directory:
        pki = TestPki.create(Path(directory) / "pki")
        card = pki.issue_card(CardSpec(authority=Authority.XCA, organisation_name="測試事務所"))
        key = card.signing.private_key
        assert isinstance(key, rsa.RSAPrivateKey)
        signer = KeySigner(private_key=key, certificate=card.signing.certificate)
        der = sign_hipki(
            b"portal challenge " + bytes(32),
            signer,
            nonce=bytes(range(32)),
            card_serial=card.card_serial,
            include_chain=(card.issuer,),
        )
        with serve_pki(pki):
            validator = ChainValidator(
                TrustStore.empty().with_roots(pki.root.certificate),
                revocation_mode=RevocationMode.HARD_FAIL,
            )
            first = verify_signed_data(der, validator=validator).require_valid()
            assert first.revocation.state is RevocationState.GOOD
            xcapki = per_second(
                lambda: verify_signed_data(der, validator=validator).require_valid(), seconds
            )
            statistics = validator.statistics()
            path_only = per_second(
                lambda: validator.validate(card.signing.certificate, intermediates=[card.issuer]),
                seconds,
            )

        intact_only = per_second(lambda: verify_cms(der), seconds)

        context = ValidationContext(
            trust_roots=[
                asn1_x509.Certificate.load(pki.root.certificate.public_bytes(Encoding.DER))
            ]
        )

        usage = KeyUsageConstraints(key_usage={"digital_signature"})

        def pyhanko_once() -> None:
            signed_data = cms.ContentInfo.load(der)["content"]
            status = asyncio.run(
                async_validate_cms_signature(
                    signed_data, validation_context=context, key_usage_settings=usage
                )
            )
            if not (status.intact and status.valid and status.trusted):
                raise SystemExit(f"pyHanko refused the signature: {status.summary()}")

        pyhanko = per_second(pyhanko_once, seconds)

        info = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
        signed = b"\x31" + info["signed_attrs"].dump()[1:]
        signature = info["signature"].native
        public_key = card.signing.certificate.public_key()
        assert isinstance(public_key, rsa.RSAPublicKey)
        raw = per_second(
            lambda: public_key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256()),
            seconds,
        )

    ratio = xcapki / pyhanko
    print(f"signature: HiPKI shape, RSA-2048/SHA-256, {len(der)} bytes, issuer attached")
    print(
        f"xcapki verify_signed_data (path + OCSP hard-fail, cached): {xcapki:10.0f} /s"
        f"   [OCSP requests {statistics.ocsp_requests}, CRL requests {statistics.crl_requests},"
        f" path cache hits {statistics.path_cache_hits},"
        f" status cache hits {statistics.status_cache_hits}]"
    )
    print(f"  of which ChainValidator.validate alone (cached):        {path_only:10.0f} /s")
    print(f"xcapki verify_cms (intact only):                          {intact_only:10.0f} /s")
    print(f"pyHanko async_validate_cms_signature (same root):          {pyhanko:10.0f} /s")
    print(f"raw RSA-2048 verify (cryptography):                        {raw:10.0f} /s")
    print(
        f"xcapki / pyHanko: {ratio:.1f}x (target >= 5x); intact only: {intact_only / pyhanko:.1f}x"
    )
    print(
        json.dumps(
            {
                "xcapki_per_s": round(xcapki, 1),
                "xcapki_intact_only_per_s": round(intact_only, 1),
                "validator_per_s": round(path_only, 1),
                "pyhanko_per_s": round(pyhanko, 1),
                "raw_per_s": round(raw, 1),
                "ratio": round(ratio, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
