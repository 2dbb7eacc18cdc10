"""Virtual HiCOS cards: SoftHSM2 tokens laid out like a Chunghwa Telecom HiCOS card.

A token made here looks to PKCS#11 code as a real card does (see
docs/testing.md): label ``HiCOS PKI Smart Card``, a 16-character serial that
the certificates carry as the card serial, a signing pair with CKA_ID
``SIGN`` labelled ``cert1``, an encryption pair with CKA_ID ``KEYX`` labelled
``cert2``, and the CA certificates. Test PINs are passed to SoftHSM's tools
on their command line, so use them for test cards only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from xcapki.crypto.authority import Authority
from xcapki.testing._tools import run_tool
from xcapki.testing.errors import TestingError
from xcapki.testing.keys import KeyAlgorithm
from xcapki.testing.pki import CardSpec, IssuedCard, IssuedKey, TestPki

HICOS_CARD_LABEL = "HiCOS PKI Smart Card"
SIGNING_KEY_ID = b"SIGN"
ENCRYPTION_KEY_ID = b"KEYX"
HICOS_PIN_LENGTHS = range(6, 9)

SOFTHSM2_MODULE_PATHS = (
    Path("/usr/lib/softhsm/libsofthsm2.so"),
    Path("/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"),
    Path("/usr/local/lib/softhsm/libsofthsm2.so"),
    Path("/opt/homebrew/lib/softhsm/libsofthsm2.so"),
)


def find_softhsm2_module() -> Path:
    """The installed SoftHSM2 PKCS#11 module, or a TestingError naming the package."""
    for path in SOFTHSM2_MODULE_PATHS:
        if path.exists():
            return path
    raise TestingError(
        "the SoftHSM2 PKCS#11 module is not installed; install the Debian package 'softhsm2' "
        "(or 'brew install softhsm' on macOS)"
    )


def softhsm_config(directory: Path) -> Path:
    """Write a SoftHSM2 configuration keeping its tokens under ``directory``; return its path.

    Point ``SOFTHSM2_CONF`` at the returned file before the module is loaded.
    """
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    config = directory / "softhsm2.conf"
    if not config.exists():
        config.write_text(
            f"directories.tokendir = {tokens}\n"
            "objectstore.backend = file\n"
            "log.level = ERROR\n"
            "slots.removable = true\n"
        )
    return config


@dataclass(frozen=True, slots=True, kw_only=True)
class VirtualCard:
    """A provisioned SoftHSM2 token and the certificates it holds."""

    module_path: Path
    softhsm_conf: Path
    token_label: str
    serial: str
    card: IssuedCard
    pin: str = field(repr=False)
    so_pin: str = field(repr=False)

    @property
    def environment(self) -> dict[str, str]:
        """Variables a process needs to see this token (``SOFTHSM2_CONF``)."""
        return {"SOFTHSM2_CONF": str(self.softhsm_conf)}


def _check_pin(pin: str, what: str) -> None:
    if len(pin) not in HICOS_PIN_LENGTHS or not pin.isascii() or not pin.isalnum():
        raise TestingError(
            f"a HiCOS card {what} has 6 to 8 letters or digits; choose one of that form"
        )


def provision_softhsm_card(
    pki: TestPki,
    spec: CardSpec,
    *,
    softhsm_conf: Path,
    pin: str = "123456",
    so_pin: str = "12345678",
    include_ca_certificates: bool = True,
) -> VirtualCard:
    """Create a new token in ``softhsm_conf``'s store and fill it like a HiCOS card.

    The card serial inside the certificates is the token's own serial, as on
    a real card; ``spec.card_serial`` must therefore be left ``None``.
    """
    _check_pin(pin, "PIN")
    _check_pin(so_pin, "SO PIN")
    if spec.card_serial is not None:
        raise TestingError(
            "a virtual card takes its card serial from the token; leave CardSpec.card_serial unset"
        )
    module = find_softhsm2_module()
    environment = {**os.environ, "SOFTHSM2_CONF": str(softhsm_conf)}
    slot = _init_token(pin, so_pin, environment)
    serial = _token_serial(slot, environment)
    card = pki.issue_card(dataclasses.replace(spec, card_serial=serial))
    writer = _ObjectWriter(module, slot, pin, environment)
    writer.write_pair(card.signing, SIGNING_KEY_ID, "cert1", signing=True)
    writer.write_pair(card.encryption, ENCRYPTION_KEY_ID, "cert2", signing=False)
    if include_ca_certificates:
        writer.write_certificate_der(card.issuer.public_bytes(serialization.Encoding.DER), "CACert")
        writer.write_certificate_der(
            card.root.public_bytes(serialization.Encoding.DER), "ROOTCACert"
        )
    return VirtualCard(
        module_path=module,
        softhsm_conf=softhsm_conf,
        token_label=HICOS_CARD_LABEL,
        serial=serial,
        card=card,
        pin=pin,
        so_pin=so_pin,
    )


def _init_token(pin: str, so_pin: str, environment: dict[str, str]) -> str:
    arguments = [
        "--init-token", "--free", "--label", HICOS_CARD_LABEL, "--pin", pin, "--so-pin", so_pin,
    ]  # fmt: skip
    output = run_tool(
        "softhsm2-util", arguments, env=environment, secret_arguments=frozenset({5, 7})
    )
    match = re.search(r"reassigned to slot (\d+)", output)
    if match is None:
        raise TestingError(f"softhsm2-util did not say which slot it initialised: {output}")
    return match.group(1)


def _token_serial(slot: str, environment: dict[str, str]) -> str:
    output = run_tool("softhsm2-util", ["--show-slots"], env=environment)
    for block in re.split(r"^Slot ", output, flags=re.MULTILINE)[1:]:
        number, _, body = block.partition("\n")
        serial = re.search(r"Serial number:\s+(\S+)", body)
        if number.strip() == slot and serial is not None:
            return serial.group(1)
    raise TestingError(f"softhsm2-util --show-slots does not list slot {slot}")


class _ObjectWriter:
    """Writes objects to one freshly initialised token with OpenSC's pkcs11-tool."""

    def __init__(self, module: Path, slot: str, pin: str, environment: dict[str, str]) -> None:
        self._prefix = ["--module", str(module), "--slot", slot, "--login", "--pin", pin]
        self._environment = environment

    def _write(self, der: bytes, object_type: str, extra: list[str]) -> None:
        with tempfile.NamedTemporaryFile(suffix=".der") as staged:
            staged.write(der)
            staged.flush()
            arguments = [*self._prefix, "--write-object", staged.name, "--type", object_type]
            run_tool(
                "pkcs11-tool",
                [*arguments, *extra],
                env=self._environment,
                secret_arguments=frozenset({6}),
            )

    def write_pair(self, issued: IssuedKey, key_id: bytes, label: str, *, signing: bool) -> None:
        usage = "--usage-sign" if signing else "--usage-decrypt"
        identity = ["--id", key_id.hex(), "--label", label]
        key_der = issued.private_key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public_der = issued.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        certificate_der = issued.certificate.public_bytes(serialization.Encoding.DER)
        self._write(key_der, "privkey", [*identity, usage])
        self._write(public_der, "pubkey", [*identity, usage])
        self._write(certificate_der, "cert", identity)

    def write_certificate_der(self, der: bytes, label: str) -> None:
        self._write(der, "cert", ["--id", label.encode().hex(), "--label", label])


@dataclass(frozen=True, slots=True, kw_only=True)
class StandardCards:
    """One virtual card per situation a login meets, all in one SoftHSM2 store."""

    xca: VirtualCard
    """An accounting firm's XCA card, RSA-2048, 統一編號 12345678."""
    xca_ec: VirtualCard
    """An XCA card with ECDSA P-256 keys."""
    gca: VirtualCard
    moica: VirtualCard
    moeaca: VirtualCard
    expired: VirtualCard
    """An XCA card whose certificates expired yesterday."""
    not_yet_valid: VirtualCard
    revoked: VirtualCard
    """An XCA card whose signing certificate its CA has revoked."""


def provision_standard_cards(
    pki: TestPki, *, softhsm_conf: Path, pin: str = "123456"
) -> StandardCards:
    """Provision the cards of ``StandardCards`` (about two seconds)."""
    now = dt.datetime.now(dt.UTC)

    def card(spec: CardSpec) -> VirtualCard:
        return provision_softhsm_card(pki, spec, softhsm_conf=softhsm_conf, pin=pin)

    def xca(name: str, **changes: object) -> CardSpec:
        spec = CardSpec(
            authority=Authority.XCA,
            organisation_name=name,
            unified_business_number="12345678",
            organisation_oid="2.16.886.101.90001.1",
        )
        return dataclasses.replace(spec, **changes)  # type: ignore[arg-type]

    revoked = card(xca("撤銷測試事務所", unified_business_number="22345678"))
    pki.revoke(revoked.card.signing.certificate)
    return StandardCards(
        xca=card(xca("測試聯合會計師事務所")),
        xca_ec=card(xca("測試橢圓曲線事務所", key_algorithm=KeyAlgorithm.EC_P256)),
        gca=card(
            CardSpec(
                authority=Authority.GCA,
                organisation_name="測試市政府",
                organisation_oid="2.16.886.101.20003.20065",
            )
        ),
        moica=card(
            CardSpec(authority=Authority.MOICA, organisation_name="王小明", moica_id_digits="6789")
        ),
        moeaca=card(
            CardSpec(
                authority=Authority.MOEACA,
                organisation_name="測試股份有限公司",
                unified_business_number="87654321",
            )
        ),
        expired=card(
            xca(
                "過期測試事務所",
                not_before=now - dt.timedelta(days=800),
                not_after=now - dt.timedelta(days=1),
            )
        ),
        not_yet_valid=card(
            xca(
                "未生效測試事務所",
                not_before=now + dt.timedelta(days=30),
                not_after=now + dt.timedelta(days=400),
            )
        ),
        revoked=revoked,
    )
