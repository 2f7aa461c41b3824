"""`diff`: whole Markdown outputs for rule changes, git sources, and the errors people see."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from allocator.errors import AllocatorError, RuleFileError
from allocator.review.rule_diff import rule_changes
from tests.diffing import diff

SHOPS = Path(__file__).parent / "fixtures" / "shops"

NO_SCENARIO = "- snapshot `clients.csv` (10 clients), no scenario: seed 0, period none (they only break ties)"


@pytest.fixture
def shops(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shops scenario, plus before/ and after/ folders holding copies of both rule files."""
    shutil.copytree(SHOPS, tmp_path, dirs_exist_ok=True)
    for side in ("before", "after"):
        (tmp_path / side).mkdir()
        for name in ("tiering.yaml", "allocation.yaml"):
            shutil.copy(SHOPS / name, tmp_path / side / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_threshold_change(shops: Path) -> None:
    _edit(shops / "after" / "tiering.yaml", "volume: {gte: 250}", "volume: {gte: 100}")
    md, changed = diff("before", "after", Path("clients.csv"), None)
    assert changed
    assert (
        md
        == f"""\
## Allocator diff: 1 client changes tier, 2 units move between tiers, 2 more units allocated

- before: tiering `before/tiering.yaml`, allocation `before/allocation.yaml`
- after: tiering `after/tiering.yaml`, allocation `after/allocation.yaml`
{NO_SCENARIO}

### Rule changes

Tiering:
- `city-b.when.volume.gte: 250 → 100`

Allocation: no change.

### Tier migration

Ladder city (rows: tier before, columns: tier after):

| before \\ after | A | B | C | total |
| :-- | --: | --: | --: | --: |
| A | 2 | · | · | 2 |
| B | · | 1 | · | 1 |
| C | · | 1 | 2 | 3 |
| total | 2 | 2 | 2 | 6 |

No client changes tier on village (4 clients).

### Quotas by product and tier

| product | ladder | tier | clients | entitled | allocated | Δ allocated | fill rate |
| :-- | :-- | :-- | --: | --: | --: | --: | --: |
| soft | city | B | 1 → 2 | 3 → 5 | 3 → 5 | +2 | 75.0% → 83.3% |
| soft | city | C | 3 → 2 | 3 → 2 | 3 → 2 | -1 | 50.0% |
| soft | all |  | 10 | 22 → 23 | 22 → 23 | +1 | 66.7% → 69.7% |
| hard | city | B | 1 → 2 | 2 → 4 | 2 → 4 | +2 | — |
| hard | city | C | 3 → 2 | 3 → 2 | 3 → 2 | -1 | — |
| hard | all |  | 10 | 21 → 22 | 21 → 22 | +1 | — |

8 product/tier rows without change not shown.

### Metrics by product

| product | clients | allocated | fill rate | full fill | coverage | gap | top 10 % | Gini |
| :-- | --: | --: | --: | --: | --: | --: | --: | --: |
| soft | 10 | 22 → 23 | 66.7% → 69.7% | 33.3% → 44.4% | 80.0% | 33.3% → 30.3% | 22.7% → 21.7% | 0.482 → 0.465 |
| hard | 10 | 21 → 22 | — | — | 100.0% | — | 19.1% → 18.2% | 0.319 → 0.300 |

### Gainers (1 client; by units gained, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
| s05 | city | C → B | default → city-b | 1 → 2 | 1 → 2 |
"""
    )


def test_per_client_change_with_the_scenario_supplying_the_tiering_file(shops: Path) -> None:
    shutil.copy(shops / "allocation.yaml", shops / "new-allocation.yaml")
    _edit(shops / "new-allocation.yaml", "per_client: {A: 5, B: 3, C: 1}", "per_client: {A: 4, B: 3, C: 1}")
    md, changed = diff("allocation.yaml", "new-allocation.yaml", None, Path("scenario.yaml"))
    assert changed
    assert (
        md
        == """\
## Allocator diff: 0 clients change tier, 0 units move between tiers, 3 units less allocated

- before: tiering `tiering.yaml` (from the scenario), allocation `allocation.yaml`
- after: tiering `tiering.yaml` (from the scenario), allocation `new-allocation.yaml`
- snapshot `clients.csv` (10 clients), scenario `scenario.yaml`, period 2026Q1, seed 1

### Rule changes

Tiering: no change.

Allocation:
- `soft.per_client.A: 5 → 4`

### Tier migration

No client changes tier on city (6 clients) or village (4 clients).

### Quotas by product and tier

| product | ladder | tier | clients | entitled | allocated | Δ allocated | fill rate |
| :-- | :-- | :-- | --: | --: | --: | --: | --: |
| soft | city | A | 2 | 10 → 8 | 10 → 8 | -2 | 90.9% → 72.7% |
| soft | village | A | 1 | 5 → 4 | 5 → 4 | -1 | 100.0% → 80.0% |
| soft | all |  | 10 | 22 → 19 | 22 → 19 | -3 | 66.7% → 57.6% |

10 product/tier rows without change not shown.

### Metrics by product

| product | clients | allocated | fill rate | full fill | coverage | gap | top 10 % | Gini |
| :-- | --: | --: | --: | --: | --: | --: | --: | --: |
| soft | 10 | 22 → 19 | 66.7% → 57.6% | 33.3% → 11.1% | 80.0% | 33.3% → 42.4% | 22.7% → 21.1% | 0.482 → 0.447 |

1 product without change not shown.

### Losers (3 clients; by units lost, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
| s01 | city | A | city-a | 5 → 4 | 4 |
| s02 | city | A | city-a | 5 → 4 | 4 |
| s07 | village | A | village-a | 5 → 4 | 4 |
"""
    )


def test_rule_removed_and_rule_added(shops: Path) -> None:
    tiering = shops / "after" / "tiering.yaml"
    _edit(tiering, "  - id: city-b\n    when: {market: city, volume: {gte: 250}}\n    tier: B\n", "")
    village_b = "  - id: village-b\n    when: {market: village, volume: {gte: 100}}\n    tier: B\n"
    _edit(tiering, "default_tier: C", village_b + "default_tier: C")
    md, changed = diff("before", "after", Path("clients.csv"), None)
    assert changed
    assert (
        md
        == f"""\
## Allocator diff: 2 clients change tier, 7 units move between tiers

- before: tiering `before/tiering.yaml`, allocation `before/allocation.yaml`
- after: tiering `after/tiering.yaml`, allocation `after/allocation.yaml`
{NO_SCENARIO}

### Rule changes

Tiering:
- `placement: removed city-b: {{when: {{market: city, volume: {{gte: 250}}}}, tier: B}}`
- `placement: added village-b (after village-a): {{when: {{market: village, volume: {{gte: 100}}}}, tier: B}}`

Allocation: no change.

### Tier migration

Ladder city (rows: tier before, columns: tier after):

| before \\ after | A | B | C | total |
| :-- | --: | --: | --: | --: |
| A | 2 | · | · | 2 |
| B | · | · | 1 | 1 |
| C | · | · | 3 | 3 |
| total | 2 | · | 4 | 6 |

Ladder village (rows: tier before, columns: tier after):

| before \\ after | A | B | C | total |
| :-- | --: | --: | --: | --: |
| A | 1 | · | · | 1 |
| B | · | 1 | · | 1 |
| C | · | 1 | 1 | 2 |
| total | 1 | 2 | 1 | 4 |

### Quotas by product and tier

| product | ladder | tier | clients | entitled | allocated | Δ allocated | fill rate |
| :-- | :-- | :-- | --: | --: | --: | --: | --: |
| soft | city | B | 1 → 0 | 3 → 0 | 3 → 0 | -3 | 75.0% → — |
| soft | city | C | 3 → 4 | 3 → 4 | 3 → 4 | +1 | 50.0% → 40.0% |
| soft | village | B | 1 → 2 | 0 → 3 | 0 → 3 | +3 | 0.0% → 42.9% |
| soft | village | C | 2 → 1 | 1 → 0 | 1 → 0 | -1 | 33.3% → — |
| soft | all |  | 10 | 22 | 22 | 0 | 66.7% |
| hard | city | B | 1 → 0 | 2 → 0 | 2 → 0 | -2 | — |
| hard | city | C | 3 → 4 | 3 → 4 | 3 → 4 | +1 | — |
| hard | village | B | 1 → 2 | 2 → 4 | 2 → 4 | +2 | — |
| hard | village | C | 2 → 1 | 2 → 1 | 2 → 1 | -1 | — |
| hard | all |  | 10 | 21 | 21 | 0 | — |

4 product/tier rows without change not shown.

### Metrics by product

| product | clients | allocated | fill rate | full fill | coverage | gap | top 10 % | Gini |
| :-- | --: | --: | --: | --: | --: | --: | --: | --: |
| soft | 10 | 22 | 66.7% | 33.3% → 44.4% | 80.0% | 33.3% | 22.7% | 0.482 |

1 product without change not shown.

### Gainers (1 client; by units gained, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
| s09 | village | C → B | default → village-b | 1 → 3 | 1 → 2 |

### Losers (1 client; by units lost, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
| s03 | city | B → C | city-b → default | 3 → 1 | 2 → 1 |

### Other affected clients (1 client; nothing gained or lost in all; by quota change, then tier change, then id)

| client | ladder | tier | placed by | soft | hard |
| :-- | :-- | :-- | :-- | --: | --: |
| s04 | city | C | city-b → default | 1 | 1 |
"""
    )


def test_no_change(shops: Path) -> None:
    md, changed = diff("before", "after", Path("clients.csv"), None)
    assert not changed
    assert (
        md
        == f"""\
## Allocator diff: no change

- before: tiering `before/tiering.yaml`, allocation `before/allocation.yaml`
- after: tiering `after/tiering.yaml`, allocation `after/allocation.yaml`
{NO_SCENARIO}

No rule, tier or quota changes.
"""
    )


def test_a_comment_or_layout_change_is_no_change(shops: Path) -> None:
    _edit(shops / "after" / "tiering.yaml", "volume: {gte: 250}}", "volume: {gte: 250.0}}  # the same number")
    _edit(shops / "after" / "tiering.yaml", "placement:\n", "# a comment\nplacement:   \n\n")
    assert diff("before", "after", Path("clients.csv"), None)[1] is False


def test_a_side_without_both_files_needs_a_scenario(shops: Path) -> None:
    with pytest.raises(AllocatorError) as exc:
        diff("before/tiering.yaml", "after", Path("clients.csv"), None)
    assert str(exc.value) == (
        "--before before/tiering.yaml: gives no allocation file; give a folder holding both rule files, "
        "or --scenario to supply the allocation file"
    )


def test_a_snapshot_is_needed(shops: Path) -> None:
    with pytest.raises(AllocatorError) as exc:
        diff("before", "after", None, None)
    assert str(exc.value) == "diff needs a snapshot: give --snapshot, or --scenario whose snapshot is used"
    with pytest.raises(AllocatorError) as exc:
        diff("before", "after", Path("missing.csv"), None)
    assert str(exc.value) == "missing.csv: no such file"


def test_a_folder_with_two_tiering_files_is_ambiguous_without_a_scenario(shops: Path) -> None:
    shutil.copy(shops / "tiering.yaml", shops / "after" / "other-tiering.yaml")
    with pytest.raises(AllocatorError) as exc:
        diff("before", "after", Path("clients.csv"), None)
    assert str(exc.value) == (
        "--after after: several tiering files (other-tiering.yaml, tiering.yaml); give one file, "
        "or --scenario whose tiering file has one of these names"
    )


def test_the_scenario_picks_among_several_files_of_one_kind_by_name(shops: Path) -> None:
    shutil.copy(shops / "tiering.yaml", shops / "after" / "other-tiering.yaml")
    _edit(shops / "after" / "other-tiering.yaml", "volume: {gte: 250}", "volume: {gte: 100}")
    md, changed = diff("before", "after", None, Path("scenario.yaml"))
    assert not changed
    assert "- after: tiering `after/tiering.yaml`, allocation `after/allocation.yaml`" in md


# ----------------------------------------------------------------------------- git


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with rules/ committed twice: the second commit lowers city-b's threshold."""
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    for name in ("tiering.yaml", "allocation.yaml"):
        shutil.copy(SHOPS / name, root / "rules" / name)
    shutil.copy(SHOPS / "clients.csv", root / "clients.csv")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "first")
    _edit(root / "rules" / "tiering.yaml", "volume: {gte: 250}", "volume: {gte: 100}")
    _git(root, "commit", "-q", "-am", "lower city-b")
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")  # git paths are from the repository root, wherever we are
    return root


def test_git_revision_against_the_working_tree(repo: Path) -> None:
    md, changed = diff("git:HEAD~1:rules", "../rules", Path("../clients.csv"), None)
    assert changed
    head = md.split("### Tier migration")[0]
    assert (
        head
        == """\
## Allocator diff: 1 client changes tier, 2 units move between tiers, 2 more units allocated

- before: tiering `git:HEAD~1:rules/tiering.yaml`, allocation `git:HEAD~1:rules/allocation.yaml`
- after: tiering `../rules/tiering.yaml`, allocation `../rules/allocation.yaml`
- snapshot `../clients.csv` (10 clients), no scenario: seed 0, period none (they only break ties)

### Rule changes

Tiering:
- `city-b.when.volume.gte: 250 → 100`

Allocation: no change.

"""
    )
    assert "| s05 | city | C → B | default → city-b | 1 → 2 | 1 → 2 |" in md


def test_git_file_against_git_file(repo: Path) -> None:
    md, changed = diff("git:HEAD:rules", "git:HEAD~1:rules/", Path("../clients.csv"), None)
    assert changed
    assert "- `city-b.when.volume.gte: 100 → 250`" in md
    assert "- before: tiering `git:HEAD:rules/tiering.yaml`, allocation `git:HEAD:rules/allocation.yaml`" in md


def test_git_errors_are_one_clear_line(repo: Path) -> None:
    cases = {
        "git:no-such-rev:rules": "git:no-such-rev:rules: unknown git revision 'no-such-rev'",
        "git:HEAD~1:nowhere": "git:HEAD~1:nowhere: no file or folder 'nowhere' at revision HEAD~1",
        "git:HEAD": "git:HEAD: expected git:REV:PATH, e.g. git:HEAD~1:rules",
    }
    for source, message in cases.items():
        with pytest.raises(AllocatorError) as exc:
            diff(source, "../rules", Path("../clients.csv"), None)
        assert str(exc.value) == message


def test_git_outside_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(SHOPS / "clients.csv", tmp_path / "clients.csv")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    with pytest.raises(AllocatorError) as exc:
        diff("git:HEAD:rules", "rules", Path("clients.csv"), None)
    assert str(exc.value) == "git:HEAD:rules: the current directory is not inside a git repository"


def test_problems_in_a_git_file_name_the_git_source(repo: Path) -> None:
    _edit(repo / "rules" / "tiering.yaml", "{gte: 600}", "{gt=: 600}")
    _git(repo, "commit", "-q", "-am", "typo")
    with pytest.raises(RuleFileError) as exc:
        diff("git:HEAD:rules", "../rules", Path("../clients.csv"), None)
    assert str(exc.value) == (
        "git:HEAD:rules/tiering.yaml:18:35: placement[0] (id=city-a).when.volume.gt=: "
        "unknown operator 'gt='; did you mean 'gt'?"
    )


# ----------------------------------------------------------------------------- rule changes


def test_rule_changes_by_id_and_key_path() -> None:
    before = {
        "placement": [{"id": "a", "when": {"v": {"gte": 1}}, "tier": "A"}, {"id": "b", "when": {"v": 2}, "tier": "B"}],
        "moves": {"max_up": 1},
        "products": [
            {"id": "p", "supply": 10, "eligible": [{"id": "e", "when": {"n": {"gte": 2}}, "exclude": True}]},
        ],
    }
    after = {
        "placement": [
            {"id": "b", "when": {"v": 2}, "tier": "B"},
            {"id": "a", "when": {"v": {"gte": 1.0}}, "tier": "A"},
        ],
        "moves": {"max_up": 1, "max_down": 2},
        "products": [
            {"id": "p", "supply": 9, "eligible": [{"id": "e", "when": {"n": {"gte": 3}}, "exclude": True}]},
            {"id": "q", "supply": 5, "description": "True"},
        ],
    }
    assert rule_changes(before, after) == [
        "placement order: a, b → b, a",
        "moves.max_down: (none) → 2",
        'products: added q (after p): {supply: 5, description: "True"}',
        "p.supply: 10 → 9",
        "p.eligible.e.when.n.gte: 2 → 3",
    ]
    assert rule_changes(after, after) == []
