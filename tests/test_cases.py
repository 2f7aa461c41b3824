"""Behaviour cases as data: every YAML file under tests/cases/ is one or more test cases.

- errors/*.yaml: a bad file (plus any files it needs) and the exact message `validate` prints.
- tiering/*.yaml: tiering rules, client rows and the whole expected tiers.csv row of each client.

`pytest -k NAME` selects one case file by its stem.
"""

from __future__ import annotations

import csv
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml

from allocator.cli import main
from allocator.inputs.scenarios import snapshot_columns
from allocator.inputs.snapshots import load_snapshot
from allocator.inputs.tiering_rules import load_tiering
from allocator.pipeline.tiering import tier_clients

CASES = Path(__file__).parent / "cases"
MEMORY_BOUND = 64 * 2**20  # bytes of Python allocations while checking one bad input


def _cases(kind: str) -> list[Any]:
    out = []
    for path in sorted((CASES / kind).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = data.get("cases", [data])
        for i, case in enumerate(cases):
            name = path.stem if len(cases) == 1 else f"{path.stem}-{case.get('name', i)}"
            out.append(pytest.param(case, id=name))
    return out


def _write_files(tmp: Path, files: dict[str, Any]) -> None:
    for name, content in files.items():
        target = tmp / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict) and "hex" in content:
            target.write_bytes(bytes.fromhex(content["hex"]))
        elif isinstance(content, dict) and "repeat" in content:
            target.write_text(content["head"] + content["repeat"] * content["times"], encoding="utf-8")
        else:
            target.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("case", _cases("errors"))
def test_error_case(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_files(tmp_path, case["files"])
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    tracemalloc.start()
    try:
        code = main(["validate", *case["validate"]])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert err == case["expected"]
    assert code == 2
    assert "Traceback" not in out + err
    # Bounded memory (an alias bomb must be refused, not expanded) and nothing executed or written.
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB"
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def _clients_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if r.get(k) is None else r[k] for k in columns})


@pytest.mark.parametrize("case", _cases("tiering"))
def test_tiering_case(case: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "tiering.yaml").write_text(case["rules"], encoding="utf-8")
    rules = load_tiering(tmp_path / "tiering.yaml")
    _clients_csv(tmp_path / "clients.csv", case["clients"])
    columns = snapshot_columns(rules, None)
    snapshot = load_snapshot(tmp_path / "clients.csv", "clients.csv", columns)
    _, tiers = tier_clients(rules, snapshot)
    got = {r["client_id"]: {k: v for k, v in r.items() if k != "client_id"} for r in tiers.iter_rows(named=True)}
    expected = {
        cid: {"previous_tier": None, "adjustments": "", "move_limit": "", "placed_by": None, **row}
        for cid, row in case["expected"].items()
    }
    assert got == expected
