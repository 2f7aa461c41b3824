"""Each input file is parsed at most once per command: YAML files and the snapshot.

Every YAML parse goes through `safe_yaml.load_yaml_text` and every snapshot read through
`snapshots._read_bytes`; both are counted, per file, while a whole command runs.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.inputs import safe_yaml, snapshots

SHOPS = Path(__file__).parents[1] / "diff" / "fixtures" / "shops"


@pytest.fixture
def counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    shutil.copytree(SHOPS, tmp_path / "shops")
    monkeypatch.chdir(tmp_path / "shops")
    seen: Counter[str] = Counter()
    parse, read = safe_yaml.load_yaml_text, snapshots._read_bytes

    def load_yaml_text(text: str, file: str) -> safe_yaml.Document:
        seen[file] += 1
        return parse(text, file)

    def read_bytes(path: Path, display: str) -> bytes:
        seen[display] += 1
        return read(path, display)

    monkeypatch.setattr(safe_yaml, "load_yaml_text", load_yaml_text)
    monkeypatch.setattr(snapshots, "_read_bytes", read_bytes)
    return seen


ONCE_EACH = {"scenario.yaml": 1, "tiering.yaml": 1, "allocation.yaml": 1, "clients.csv": 1}


def test_run(counted: Counter[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    assert dict(counted) == ONCE_EACH


def test_run_without_out_reads_the_scenario_once_for_the_folder_name_too(counted: Counter[str]) -> None:
    assert main(["run", "scenario.yaml"]) == 0
    assert dict(counted) == ONCE_EACH


def test_batch(counted: Counter[str]) -> None:
    assert main(["batch", "scenario.yaml", "--out", "out"]) == 0
    assert dict(counted) == ONCE_EACH


def test_explain(counted: Counter[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "s05", "scenario.yaml"]) == 0
    assert dict(counted) == ONCE_EACH


def test_validate(counted: Counter[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tiering.yaml", "allocation.yaml", "scenario.yaml"]) == 0
    # the scenario is checked with the rule files it names, as they were read for their own checks
    assert dict(counted) == ONCE_EACH


def test_diff_with_the_scenario_supplying_the_tiering_file(counted: Counter[str]) -> None:
    shutil.copy("allocation.yaml", "new-allocation.yaml")
    text = Path("new-allocation.yaml").read_text(encoding="utf-8")
    Path("new-allocation.yaml").write_text(text.replace("A: 5, B: 3", "A: 4, B: 3"), encoding="utf-8")
    assert main(["diff", "--before", "allocation.yaml", "--after", "new-allocation.yaml", "--scenario", "scenario.yaml"]) == 1
    assert dict(counted) == {**ONCE_EACH, "new-allocation.yaml": 1}


def test_diff_of_two_folders_with_a_snapshot(counted: Counter[str]) -> None:
    for side in ("before", "after"):
        Path(side).mkdir()
        for name in ("tiering.yaml", "allocation.yaml"):
            shutil.copy(name, Path(side) / name)
    assert main(["diff", "--before", "before", "--after", "after", "--snapshot", "clients.csv"]) == 0
    assert dict(counted) == {
        "before/tiering.yaml": 1, "before/allocation.yaml": 1, "after/tiering.yaml": 1, "after/allocation.yaml": 1,
        "clients.csv": 1,
    }  # fmt: skip
