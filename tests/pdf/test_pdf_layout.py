"""xcapki.pdf sits above the crypto layer: no card bindings, and pyHanko only when used."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "xcapki" / "pdf"


def test_pdf_uses_neither_reader_nor_token_layer() -> None:
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(
                    ("xcapki.reader", "xcapki.token", "xcapki.cli", "pkcs11", "smartcard")
                ), f"{path.name} imports {name}"


def test_importing_the_options_and_results_does_not_load_pyhanko() -> None:
    code = (
        "import sys, xcapki.pdf, xcapki.cli.main; "
        "print(any(m == 'pyhanko' or m.startswith('pyhanko.') for m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "False"
