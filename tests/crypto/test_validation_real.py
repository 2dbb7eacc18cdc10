"""The real MOICA intermediates chain to their real GRCA roots (no network: revocation OFF)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from handmade_certificates import FIXED_MOMENT

from xcapki.crypto.trust import TrustStore
from xcapki.crypto.validation import (
    CertificateExpiredError,
    CertificateNotYetValidError,
    ChainValidator,
    PathBuildingError,
    RevocationMode,
    RevocationState,
    ValidatorUsageError,
)


@pytest.fixture(scope="module")
def validator() -> ChainValidator:
    return ChainValidator(TrustStore.bundled(), revocation_mode=RevocationMode.OFF)


@pytest.mark.parametrize(("index", "root"), [(0, "GRCA G2"), (1, "GRCA G3")])
def test_moica_chains_to_its_grca_root(validator: ChainValidator, index: int, root: str) -> None:
    store = TrustStore.bundled()
    moica = store.intermediates[index].certificate
    path = validator.validate(moica, moment=FIXED_MOMENT)
    expected_root = next(r.certificate for r in store.roots if r.label == root)
    assert path.chain == (moica, expected_root)
    assert path.trust_anchor == expected_root
    assert path.leaf_revocation.state is RevocationState.NOT_CHECKED
    assert path.validated_at == FIXED_MOMENT


def test_moica_g3_does_not_chain_to_the_g2_root() -> None:
    store = TrustStore.bundled()
    g2_only = TrustStore.empty().with_roots(store.roots[1].certificate)
    validator = ChainValidator(g2_only, revocation_mode=RevocationMode.OFF)
    with pytest.raises(PathBuildingError):
        validator.validate(store.intermediates[1].certificate, moment=FIXED_MOMENT)


def test_moica_g2_expires_in_2034(validator: ChainValidator) -> None:
    moica_g2 = TrustStore.bundled().intermediates[0].certificate
    with pytest.raises(CertificateExpiredError) as caught:
        validator.validate(moica_g2, moment=dt.datetime(2035, 1, 1, tzinfo=dt.UTC))
    assert caught.value.expired_at.year == 2034


def test_moica_g3_was_not_valid_before_2024(validator: ChainValidator) -> None:
    moica_g3 = TrustStore.bundled().intermediates[1].certificate
    with pytest.raises(CertificateNotYetValidError):
        validator.validate(moica_g3, moment=dt.datetime(2023, 1, 1, tzinfo=dt.UTC))


def test_a_root_validates_as_itself(validator: ChainValidator) -> None:
    g3 = TrustStore.bundled().roots[2].certificate
    path = validator.validate(g3, moment=FIXED_MOMENT)
    assert path.chain == (g3,)
    assert path.statuses == ()


def test_validator_refuses_bad_configuration() -> None:
    with pytest.raises(ValidatorUsageError, match="no roots"):
        ChainValidator(TrustStore.empty())
    with pytest.raises(ValidatorUsageError, match="positive"):
        ChainValidator(TrustStore.bundled(), fetch_timeout=dt.timedelta(0))
    with pytest.raises(ValidatorUsageError, match="RevocationMode"):
        ChainValidator(TrustStore.bundled(), revocation_mode="soft-fail")  # type: ignore[arg-type]


def test_validator_settings_cannot_change(validator: ChainValidator) -> None:
    with pytest.raises(AttributeError):
        validator.revocation_mode = RevocationMode.REQUIRE  # type: ignore[misc]


def test_validation_never_loads_oscrypto() -> None:
    # oscrypto 1.3.0 cannot load its OpenSSL backend on OpenSSL >= 3.0.10; the
    # validator must never reach it (DESIGN, docs/decisions/0002).
    script = (
        "import sys, datetime as dt\n"
        "from xcapki.crypto.trust import TrustStore\n"
        "from xcapki.crypto.validation import ChainValidator, RevocationMode\n"
        "store = TrustStore.bundled()\n"
        "moica = store.intermediates[1].certificate\n"
        "ChainValidator(store, revocation_mode=RevocationMode.OFF).validate(\n"
        "    moica, moment=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))\n"
        "ChainValidator(store, revocation_mode=RevocationMode.SOFT_FAIL,\n"
        "               fetch_timeout=dt.timedelta(seconds=3)).validate(moica)\n"
        "print(sorted(m for m in sys.modules if m.startswith('oscrypto')))\n"
    )
    # SOFT_FAIL fetches from the real GRCA URLs in MOICA G3: without network the
    # fetch fails and is tolerated, with network it answers; oscrypto either way stays out.
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]"


def test_one_validator_serves_many_threads(validator: ChainValidator) -> None:
    store = TrustStore.bundled()
    certificates = [entry.certificate for entry in store.intermediates] * 20

    def check(certificate: object) -> int:
        return len(validator.validate(certificate, moment=FIXED_MOMENT).chain)  # type: ignore[arg-type]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(check, certificates)) == [2] * len(certificates)
