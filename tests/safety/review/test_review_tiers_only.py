"""`diff` of tiering files alone, with `--snapshot` and no scenario: the tier migration, and a
line saying that quotas need an allocation file (it used to refuse: "gives no allocation file")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main

SHOPS = Path(__file__).parents[2] / "diff" / "fixtures" / "shops"


@pytest.fixture
def tiers_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """before/ and after/ each holding the shops tiering file only; the snapshot beside them."""
    shutil.copy(SHOPS / "clients.csv", tmp_path / "clients.csv")
    for side in ("before", "after"):
        (tmp_path / side).mkdir()
        shutil.copy(SHOPS / "tiering.yaml", tmp_path / side / "tiering.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_tiering_only_change(tiers_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(tiers_only / "after" / "tiering.yaml", "volume: {gte: 250}", "volume: {gte: 100}")
    code = main(["diff", "--before", "before/tiering.yaml", "--after", "after", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    assert (code, err) == (1, "")
    assert (
        out
        == """\
## Allocator diff: 1 client changes tier

- before: tiering `before/tiering.yaml`
- after: tiering `after/tiering.yaml`
- snapshot `clients.csv` (10 clients), no scenario and no allocation file: tiers only

### Rule changes

Tiering:
- `city-b.when.volume.gte: 250 → 100`

### Tier migration

Ladder city (rows: tier before, columns: tier after):

| before \\ after | A | B | C | total |
| :-- | --: | --: | --: | --: |
| A | 2 | · | · | 2 |
| B | · | 1 | · | 1 |
| C | · | 1 | 2 | 3 |
| total | 2 | 2 | 2 | 6 |

No client changes tier on village (4 clients).

### Quotas

Quotas need an allocation file: give --before and --after a folder holding both rule files, or --scenario to supply the allocation file.

### Moved to a better tier (1 client; by tiers moved, then id)

| client | ladder | tier | placed by |
| :-- | :-- | :-- | :-- |
| s05 | city | C → B | default → city-b |
"""
    )


def test_a_tiering_only_side_without_change(tiers_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["diff", "--before", "before", "--after", "after/tiering.yaml", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert (
        out
        == """\
## Allocator diff: no change

- before: tiering `before/tiering.yaml`
- after: tiering `after/tiering.yaml`
- snapshot `clients.csv` (10 clients), no scenario and no allocation file: tiers only

No rule or tier changes.
"""
    )


def test_only_one_side_without_an_allocation_file_still_needs_one(
    tiers_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(SHOPS / "allocation.yaml", tiers_only / "after" / "allocation.yaml")
    code = main(["diff", "--before", "before", "--after", "after", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "--before before: gives no allocation file; give a folder holding both rule files, "
        "or --scenario to supply the allocation file\n"
    )


def test_a_problem_in_a_tiering_only_side_names_the_file(tiers_only: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _edit(tiers_only / "after" / "tiering.yaml", "{gte: 600}", "{gt=: 600}")
    code = main(["diff", "--before", "before", "--after", "after", "--snapshot", "clients.csv"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == (
        "after/tiering.yaml:18:35: placement[0] (id=city-a).when.volume.gt=: unknown operator 'gt='; did you mean 'gt'?\n"
    )
