"""Finding PKCS#11 modules: explicit path, XCAPKI_PKCS11_MODULE, known HiCOS paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from xcapki.token import (
    MODULE_ENVIRONMENT_VARIABLE,
    ModuleError,
    ModuleOrigin,
    ModuleStatus,
    Pkcs11Module,
    discover_modules,
    find_module,
    known_module_candidates,
    load_module,
)

SOFTHSM = Path("/usr/lib/softhsm/libsofthsm2.so")
OPENCRYPTOKI = Path("/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so")


@pytest.mark.parametrize(
    ("platform", "name"),
    [
        ("win32", "HiCOSPKCS11.dll"),
        ("darwin", "libHicos_p11v1.dylib"),
        ("linux", "libHicos_p11v1.so"),
    ],
)
def test_known_hicos_paths_come_first(platform: str, name: str) -> None:
    candidates = known_module_candidates(platform)
    assert candidates[0].origin is ModuleOrigin.HICOS
    assert str(candidates[0].path).endswith(name)


def test_missing_and_broken_modules_are_reported_with_a_reason(tmp_path: Path) -> None:
    not_a_module = tmp_path / "libbroken.so"
    not_a_module.write_text("not a shared object")
    reports = discover_modules(
        [tmp_path / "absent.so"],
        environ={MODULE_ENVIRONMENT_VARIABLE: str(not_a_module)},
        platform="none",
    )
    assert [r.status for r in reports] == [ModuleStatus.MISSING, ModuleStatus.FAILED]
    assert "does not exist" in reports[0].reason
    assert reports[1].candidate.origin is ModuleOrigin.ENVIRONMENT
    assert "cannot load" in reports[1].reason
    assert "libbroken.so" in reports[1].reason
    with pytest.raises(ModuleError, match="does not exist"):
        find_module(tmp_path / "absent.so", platform="none", environ={})
    with pytest.raises(ModuleError, match=MODULE_ENVIRONMENT_VARIABLE):
        find_module(platform="none", environ={})


@pytest.mark.softhsm
def test_environment_variable_selects_the_module(softhsm_module: Pkcs11Module) -> None:
    module = find_module(environ={MODULE_ENVIRONMENT_VARIABLE: str(SOFTHSM)}, platform="none")
    assert module is softhsm_module
    assert module.manufacturer == "SoftHSM"
    report = discover_modules(environ={}, platform="linux")
    loaded = {r.candidate.path for r in report if r.status is ModuleStatus.LOADED}
    assert SOFTHSM in loaded


@pytest.mark.softhsm
@pytest.mark.opencryptoki
def test_several_modules_in_one_process(softhsm_module: Pkcs11Module) -> None:
    if not OPENCRYPTOKI.exists():
        pytest.skip("opencryptoki is not installed (Debian package opencryptoki)")
    other = load_module(OPENCRYPTOKI)
    assert other is not softhsm_module
    assert other.manufacturer.startswith("IBM")
    assert softhsm_module.tokens()
    assert other.tokens()
