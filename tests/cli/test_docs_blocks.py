"""Docs that cannot drift: every ``sh`` and ``python`` block of README.md and docs/*.md runs.

Markers (an HTML comment on the line before the opening fence, see
docs/testing.md): ``<!-- docs-test: card -->`` runs the block against the
virtual card ``./scripts/demo.sh`` makes (``xcapki demo --once`` in a scratch
``XCAPKI_HOME``, linked as ``var/demo`` of the scratch directory), with the
environment quickstart.md section 3 exports (``SOFTHSM2_CONF``,
``XCAPKI_PKCS11_MODULE``, ``XCAPKI_PIN``); ``<!-- docs-test: skip REASON -->``
does not run it and must say why. A block without a marker runs as it is. Blocks run in a scratch
directory with ``.venv/bin`` first on PATH, shell blocks under ``bash -euo
pipefail``; a block must exit 0.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from xcapki.demo.virtual import DEMO_PIN
from xcapki.testing import find_softhsm2_module

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
RUN_LANGUAGES = {"sh": "sh", "bash": "sh", "python": "python"}
_FENCE = re.compile(r"^(`{3,})(\w*)\s*$")
_MARKER = re.compile(r"^<!--\s*docs-test:\s*(\w+)\s*(.*?)\s*-->\s*$")


@dataclass(frozen=True, slots=True)
class Block:
    path: Path
    line: int
    language: str
    marker: str
    reason: str
    code: str

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path`` with the marker on the line before each."""
    found = []
    lines = path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        fence, language = opening.groups()
        end = index + 1
        while end < len(lines) and lines[end].strip() != fence:
            end += 1
        previous = lines[index - 1].strip() if index else ""
        marked = _MARKER.match(previous)
        found.append(
            Block(
                path=path,
                line=index + 1,
                language=language,
                marker=marked.group(1) if marked else "",
                reason=marked.group(2) if marked else "",
                code="\n".join(lines[index + 1 : end]) + "\n",
            )
        )
        index = end + 1
    return found


ALL_BLOCKS = [block for path in DOCUMENTS for block in blocks(path)]
RUNNABLE = [b for b in ALL_BLOCKS if b.language in RUN_LANGUAGES and b.marker != "skip"]


def test_every_marker_is_known_and_every_skip_says_why() -> None:
    for block in ALL_BLOCKS:
        assert block.marker in ("", "card", "skip"), block.name
        if block.marker == "skip":
            assert len(block.reason.split()) >= 3, f"{block.name}: say why it cannot run"
        if block.marker:
            assert block.language in RUN_LANGUAGES, f"{block.name}: a marker on a listing"


def test_the_readme_snippet_is_the_quickstart_example() -> None:
    python = [b for b in ALL_BLOCKS if b.path.name == "README.md" and b.language == "python"]
    example = (ROOT / "examples" / "quickstart.py").read_text()
    assert len(python) == 1
    assert python[0].code.strip() in example


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``./scripts/demo.sh`` leaves: a test PKI and a virtual XCA card in XCAPKI_HOME."""
    home = tmp_path_factory.mktemp("demo-home")
    done = subprocess.run(
        [sys.executable, "-m", "xcapki", "demo", "--once", "--revocation", "off", "--quiet"],
        env={**os.environ, "XCAPKI_HOME": str(home), "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return home


def _run(block: Block, workdir: Path, extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "LANG": "C.UTF-8",
        "XCAPKI_DOCS_CHECKOUT": str(ROOT),
        **extra,
    }
    environment.pop("XCAPKI_PKCS11_MODULE", None)
    environment.update({k: v for k, v in extra.items() if k == "XCAPKI_PKCS11_MODULE"})
    if RUN_LANGUAGES[block.language] == "sh":
        command = ["bash", "-euo", "pipefail", "-c", block.code]
    else:
        command = [sys.executable, "-c", block.code]
    return subprocess.run(
        command,
        cwd=workdir,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.softhsm
@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_the_block_runs(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    extra: dict[str, str] = {}
    if block.marker == "card":
        home: Path = request.getfixturevalue("demo_home")
        workdir = tmp_path
        (workdir / "var").mkdir()
        (workdir / "var" / "demo").symlink_to(home)
        extra = {
            "XCAPKI_HOME": str(home),
            "SOFTHSM2_CONF": str(home / "softhsm" / "softhsm2.conf"),
            "XCAPKI_PKCS11_MODULE": str(find_softhsm2_module()),
            "XCAPKI_PIN": DEMO_PIN,
        }
    else:
        workdir = tmp_path
    done = _run(block, workdir, extra)
    assert done.returncode == 0, f"{block.name}\n{block.code}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
