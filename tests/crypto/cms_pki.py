"""The CMS tests' signers: test XCA card certificates of every key type the tests sign with.

The cards come from the session's test PKI (``TestPki.issue_card``), so their
PEM files serve the OpenSSL and pyHanko interop tests as they are. Three
signers the test PKI deliberately does not make are built by hand: a P-521
card (a curve the profile does not allow), an ``impostor`` (the rsa2048
card's issuer and serial on another key) and an ``outsider`` (the rsa2048
card's key, issued by a CA no one trusts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from handmade_certificates import name

from xcapki.crypto.authority import Authority
from xcapki.crypto.key_signer import KeySigner
from xcapki.testing import CardSpec, KeyAlgorithm, TestPki

_CARD_KEYS = {
    "rsa2048": KeyAlgorithm.RSA_2048,
    "rsa3072": KeyAlgorithm.RSA_3072,
    "rsa1024": KeyAlgorithm.RSA_1024,
    "p256": KeyAlgorithm.EC_P256,
    "p384": KeyAlgorithm.EC_P384,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CmsTestPki:
    """The test root and XCA, the signers by name, and PEM files for command-line peers."""

    root: x509.Certificate
    intermediate: x509.Certificate
    signers: dict[str, KeySigner]
    files: dict[str, tuple[Path, Path | None]]

    def signer(self, name: str) -> KeySigner:
        return self.signers[name]

    def pem(self, name: str) -> Path:
        """The certificate PEM of ``root``, ``intermediate`` or a card signer."""
        return self.files[name][0]

    def key(self, name: str) -> Path:
        """The private key PEM of a card signer."""
        key = self.files[name][1]
        assert key is not None, f"{name} has no key file"
        return key


def build_cms_pki(pki: TestPki) -> CmsTestPki:
    """Signers: rsa2048, rsa3072, rsa1024 (weak), p256, p384, p521 (curve not allowed),
    ``impostor`` and ``outsider`` (see the module docstring)."""
    xca = pki.ca(Authority.XCA)
    signers: dict[str, KeySigner] = {}
    files: dict[str, tuple[Path, Path | None]] = {
        "root": (pki.root_certificate_path, None),
        "intermediate": (xca.key.certificate_path, None),
    }
    for signer_name, algorithm in _CARD_KEYS.items():
        spec = CardSpec(
            authority=Authority.XCA,
            organisation_name=f"CMS 測試 {signer_name}",
            key_algorithm=algorithm,
        )
        card = pki.issue_card(spec).signing
        signers[signer_name] = KeySigner(private_key=card.private_key, certificate=card.certificate)
        files[signer_name] = (card.certificate_path, card.private_key_path)
    template = signers["rsa2048"].certificate
    other_keys = {
        "p521": ec.generate_private_key(ec.SECP521R1()),
        "impostor": KeyAlgorithm.RSA_2048.generate(),
    }
    for signer_name, key in other_keys.items():
        certificate = pki.reissue(
            template,
            Authority.XCA,
            key=key,
            serial_number=template.serial_number if signer_name == "impostor" else None,
        )
        signers[signer_name] = KeySigner(private_key=key, certificate=certificate)
    outsider = pki.reissue(
        template,
        Authority.XCA,
        signing_key=ec.generate_private_key(ec.SECP256R1()),
        issuer_name=name(o="xcapki tests", cn="CA outside every trust store"),
    )
    signers["outsider"] = KeySigner(
        private_key=signers["rsa2048"].private_key, certificate=outsider
    )
    return CmsTestPki(
        root=pki.root.certificate, intermediate=xca.certificate, signers=signers, files=files
    )
