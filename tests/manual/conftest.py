"""The shops fixture (12 shops, two markets, two managers) copied into a fresh folder, which
becomes the working directory, so that messages name files as a user in that folder sees them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "shops"
    shutil.copytree(FIXTURES / "shops", folder)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def bad_shops(shops: Path) -> Path:
    for f in (FIXTURES / "bad").iterdir():
        shutil.copy(f, shops / f.name)
    return shops
