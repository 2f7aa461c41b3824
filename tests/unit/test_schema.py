"""The JSON Schemas in docs/schema are the ones the models produce (run `allocator schema` after a change)."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schema"


def test_committed_schemas_are_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["allocation.schema.json", "scenario.schema.json", "tiering.schema.json"]
    for name in written:
        assert (tmp_path / name).read_text() == (DOCS / name).read_text(), (
            f"docs/schema/{name} is stale: run `allocator schema`"
        )


def test_example_files_name_their_schema() -> None:
    root = DOCS.parents[1]
    for path in [*root.glob("rules/*.yaml"), *root.glob("scenarios/*.yaml")]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        kind = "scenario" if path.parent.name == "scenarios" else "tiering" if "tiering" in path.name else "allocation"
        assert first == f"# yaml-language-server: $schema=../docs/schema/{kind}.schema.json", path
