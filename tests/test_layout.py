"""The architecture's rules, checked on the source: bindings stay behind their layer."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "xcapki"

BINDING_OWNERS = {
    "smartcard": {"xcapki/reader/_pcsc.py"},
    # provisioning.py fills test tokens with python-pkcs11's attribute templates.
    "pkcs11": {"xcapki/token/_pkcs11.py", "xcapki/token/provisioning.py"},
}
LAYER_BELOW = {
    "reader": set(),
    "token": {"reader"},
    "crypto": {"reader", "token"},
    "login": {"reader", "token", "crypto"},
}
SERVER_SIDE = ("crypto", "login")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_each_binding_is_imported_by_its_own_module_only() -> None:
    for path in _sources():
        relative = path.relative_to(ROOT).as_posix()
        for module in _imports(path):
            top = module.split(".")[0]
            owners = BINDING_OWNERS.get(top)
            assert owners is None or relative in owners, f"{relative} imports {module}"


def test_server_side_layers_use_no_card_layer() -> None:
    for layer in SERVER_SIDE:
        for path in (PACKAGE / layer).rglob("*.py"):
            for module in _imports(path):
                assert not module.startswith(("xcapki.reader", "smartcard", "pkcs11")), (
                    f"{path.relative_to(ROOT)} imports {module}"
                )


def test_layers_import_only_layers_below() -> None:
    """Below every layer: ``xcapki.errors``, ``xcapki.algorithms``, ``xcapki.signer``."""
    layers = set(LAYER_BELOW) | {"cli", "service", "demo", "testing"}
    for layer, allowed_below in LAYER_BELOW.items():
        forbidden = layers - allowed_below - {layer}
        for path in (PACKAGE / layer).rglob("*.py"):
            for module in _imports(path):
                parts = module.split(".")
                if parts[0] == "xcapki" and len(parts) > 1:
                    assert parts[1] not in forbidden, f"{path.relative_to(ROOT)} imports {module}"


def test_test_module_names_are_unique() -> None:
    names = Counter(path.name for path in (ROOT / "tests").rglob("test_*.py"))
    assert [name for name, count in names.items() if count > 1] == []
