"""Shared set-up for the output-folder, batch, ledger and signal tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TINY = Path(__file__).resolve().parents[2] / "cli" / "fixtures" / "tiny"


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the tiny scenario in a fresh working directory, with a home directory of its own."""
    shutil.copytree(TINY, tmp_path / "tiny")
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"
