"""Outputs appear whole and only where the user allowed: the staging file's commit."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from xcapki.cli.errors import OutputFileError
from xcapki.cli.files import StagedOutput


def test_a_file_that_appears_while_the_command_runs_is_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.p7s"
    with StagedOutput(target, replace=False) as out:
        out.write(b"new content")
        target.write_bytes(b"someone else's file")  # created after the command's own check
        with pytest.raises(OutputFileError) as refused:
            out.commit()
    assert refused.value.key == "output.exists"
    assert target.read_bytes() == b"someone else's file"
    assert [p.name for p in tmp_path.iterdir()] == ["out.p7s"]


def test_without_replace_a_new_output_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "out.p7s"
    with StagedOutput(target, replace=False) as out:
        out.write(b"signed")
        out.commit()
    assert target.read_bytes() == b"signed"
    assert [p.name for p in tmp_path.iterdir()] == ["out.p7s"]


def test_with_replace_an_existing_output_is_replaced(tmp_path: Path) -> None:
    target = tmp_path / "out.p7s"
    target.write_bytes(b"old")
    with StagedOutput(target, replace=True) as out:
        out.write(b"new")
        out.commit()
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.p7s"]


def test_a_file_system_without_hard_links_still_gets_the_output_and_keeps_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mock, for what no file system here does: refusing hard links as FAT and exFAT
    memory sticks do (EPERM)."""

    def no_links(source: object, target: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "out.p7s"
    with StagedOutput(target, replace=False) as out:
        out.write(b"signed")
        out.commit()
    assert target.read_bytes() == b"signed"
    with StagedOutput(target, replace=False) as out:
        out.write(b"again")
        with pytest.raises(OutputFileError):
            out.commit()
    assert target.read_bytes() == b"signed"
    assert [p.name for p in tmp_path.iterdir()] == ["out.p7s"]
