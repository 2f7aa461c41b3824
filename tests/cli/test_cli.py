"""The command line end to end: exit codes, whole outputs, files written, nothing half-written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.pipeline import run as runner

TINY = Path(__file__).parent / "fixtures" / "tiny"

TINY_TABLE = """\
tiny · period 2026Q1 · seed 7 · 6 clients
base
product ┃ ladder      ┃ tier ┃ clients ┃ ordered ┃ entitled ┃ allocated ┃  fill ┃ stock-out ┃ full fill ┃ coverage ┃ note
━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━
p1      │ shops       │ A    │       2 │       7 │        5 │         4 │ 57.1% │      0.0% │     50.0% │   100.0% │
p1      │ shops       │ B    │       2 │       4 │        2 │         1 │ 25.0% │      0.0% │      0.0% │    50.0% │
p1      │ shops       │ C    │       2 │       4 │        2 │         2 │ 50.0% │      0.0% │     50.0% │   100.0% │
p1      │ reserve     │      │         │         │          │         1 │       │           │           │          │ held for managers
p1      │ unallocated │      │         │         │          │         0 │       │           │           │          │ supply 8, available 7
base: products, every tier
product ┃ clients ┃ ordered ┃ allocated ┃  fill ┃ full fill ┃ coverage ┃   gap ┃ top 10% ┃  Gini
━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━
p1      │       6 │      15 │         7 │ 46.7% │     40.0% │    83.3% │ 53.3% │   28.6% │ 0.309
wrote out/ (tiers.csv, quotas.csv, summary.csv, manifest.json, report.html)
"""


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the tiny scenario in a temporary working directory."""
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


def test_run_prints_the_per_tier_table_and_writes_every_file(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (TINY_TABLE, "")
    written = sorted(p.name for p in Path("out").iterdir())
    assert written == ["manifest.json", "quotas.csv", "report.html", "summary.csv", "tiers.csv", "timings.json"]
    assert Path("out/quotas.csv").read_text() == (
        "client_id,product,ladder,tier,ordered,entitled,excluded_by,quota,source\n"
        "c1,p1,shops,A,5,3,,2,rules\n"
        "c2,p1,shops,A,2,2,,2,rules\n"
        "c3,p1,shops,B,4,2,,1,rules\n"
        "c4,p1,shops,B,0,0,,0,rules\n"
        "c5,p1,shops,C,1,1,,1,rules\n"
        "c6,p1,shops,C,3,1,,1,rules\n"
    )
    assert Path("out/tiers.csv").read_text() == (
        "client_id,ladder,previous_tier,placed_tier,tier,placed_by,adjustments,move_limit\n"
        "c1,shops,,A,A,big,,\n"
        "c2,shops,,A,A,big,,\n"
        "c3,shops,,B,B,mid,,\n"
        "c4,shops,,B,B,mid,,\n"
        "c5,shops,,C,C,,,\n"
        "c6,shops,,C,C,,,\n"
    )
    # the field's metrics, by hand (quotas A: 2, 2 of orders 5, 2; B: 1, 0 of 4, 0; C: 1, 1 of 1, 3):
    # A full fill 1 of 2 ordering, coverage 2/2, gap (7 - 4) / 7, top 10 % 2 of 4, Gini 0;
    # B full fill 0 of 1 (c4 ordered nothing), coverage 1/2, gap 3/4, top 1 of 1, Gini of (0, 1) = 1/2;
    # product: full fill 2 of 5, coverage 5/6, gap 8/15, top 2 of 7, Gini of (0, 1, 1, 1, 2, 2) = 13/42
    assert Path("out/summary.csv").read_text() == (
        "product,line,ladder,tier,clients,ordered,entitled,allocated,fill_rate,stockout_rate,"
        "full_fill_rate,coverage,gap_rate,top10_share,gini,min_quota,max_quota,note\n"
        "p1,tier,shops,A,2,7,5,4,0.5714,0.0000,0.5000,1.0000,0.4286,0.5000,0.0000,2,2,\n"
        "p1,tier,shops,B,2,4,2,1,0.2500,0.0000,0.0000,0.5000,0.7500,1.0000,0.5000,0,1,\n"
        "p1,tier,shops,C,2,4,2,2,0.5000,0.0000,0.5000,1.0000,0.5000,0.5000,0.0000,1,1,\n"
        "p1,product,,,6,15,9,7,0.4667,0.0000,0.4000,0.8333,0.5333,0.2857,0.3095,0,2,\n"
        "p1,reserve,,,,,,1,,,,,,,,,,held for managers\n"
        'p1,unallocated,,,,,,0,,,,,,,,,,"supply 8, available 7"\n'
    )


def test_manifest_records_provenance(tiny: Path) -> None:
    import hashlib
    import json

    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    manifest = json.loads(Path("out/manifest.json").read_text())
    sha = hashlib.sha256((tiny / "clients.csv").read_bytes()).hexdigest()
    assert manifest["inputs"]["snapshot"] == {"file": "clients.csv", "rows": 6, "sha256": sha}
    assert manifest["seed"] == 7 and manifest["period"] == "2026Q1"
    assert manifest["products"] == [
        {
            "allocated": 7,
            "available": 7,
            "product": "p1",
            "reserve": 1,
            "reserve_owner": "managers",
            "supply": 8,
            "unallocated": 0,
        }
    ]
    assert set(manifest["outputs"]) == {"quotas.csv", "summary.csv", "tiers.csv"}


def test_same_inputs_and_seed_give_byte_identical_files(tiny: Path) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "first"]) == 0
    assert main(["run", "tiny/scenario.yaml", "--out", "second"]) == 0
    for name in ("tiers.csv", "quotas.csv", "summary.csv", "manifest.json"):
        assert Path("first", name).read_bytes() == Path("second", name).read_bytes(), name


def test_shuffled_snapshot_rows_give_the_same_files(tiny: Path) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "first"]) == 0
    lines = (tiny / "clients.csv").read_text().splitlines()
    (tiny / "clients.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    assert main(["run", "tiny/scenario.yaml", "--out", "second"]) == 0
    for name in ("tiers.csv", "quotas.csv", "summary.csv"):
        assert Path("first", name).read_bytes() == Path("second", name).read_bytes(), name


def test_bad_snapshot_exits_2_and_keeps_previous_outputs(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 0
    before = {p.name: p.read_bytes() for p in Path("out").iterdir()}
    (tiny / "clients.csv").write_text("client_id,volume,order_p1\nc1,-3,1\nc2,abc,1\nc1,5,1\n")
    capsys.readouterr()
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "tiny/clients.csv: row 2, column volume: -3 is below the minimum 0\n"
        "tiny/clients.csv: row 3, column volume: 'abc' is not a number\n"
        "tiny/clients.csv: row 4, column client_id: duplicate client id 'c1' (first on row 2)\n"
    )
    assert {p.name: p.read_bytes() for p in Path("out").iterdir()} == before
    assert sorted(p.name for p in Path(".").iterdir()) == [".out.lock", "out", "tiny"]  # no leftovers but the lock file


def test_bad_rule_file_exits_2_without_traceback(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (tiny / "tiering.yaml").read_text().replace("{gte: 100}", "{gte: 100, gt=: 5}")
    (tiny / "tiering.yaml").write_text(text)
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 2
    _, err = capsys.readouterr()
    assert err == (
        "tiny/tiering.yaml:8:41: placement[0] (id=big).when.volume.gt=: unknown operator 'gt='; did you mean 'gt'?\n"
    )
    assert not Path("out").exists()


def test_validate_ok_lists_each_file(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tiny/tiering.yaml", "tiny/allocation.yaml", "tiny/scenario.yaml"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out == (
        "tiny/tiering.yaml: ok (tiering: 1 ladders, 2 placement rules, 0 adjustments)\n"
        "tiny/tiering.yaml:6:3: ladders.shops: warning: no placement rule covers clients where volume < 50 on ladder shops;"
        " they get the default tier C\n"
        "tiny/allocation.yaml: ok (allocation: 1 products, checked against tiny/tiering.yaml)\n"
        "tiny/scenario.yaml: ok (scenario 'tiny': 0 variants, snapshot checked)\n"
    )


def test_validate_strict_exits_1_on_rule_analysis_findings(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        (tiny / "tiering.yaml")
        .read_text()
        .replace("{id: mid, when: {volume: {gte: 50}}", "{id: mid, when: {volume: {gte: 150}}")
    )
    (tiny / "tiering.yaml").write_text(text)
    assert main(["validate", "--strict", "tiny/tiering.yaml"]) == 1
    assert main(["validate", "tiny/tiering.yaml"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[:3] == [
        "tiny/tiering.yaml: ok (tiering: 1 ladders, 2 placement rules, 0 adjustments)",
        "tiny/tiering.yaml:9:5: placement[1] (id=mid): warning: can never place a client on ladder shops: big always matches first",
        "tiny/tiering.yaml:6:3: ladders.shops: warning: no placement rule covers clients where volume < 100 on ladder shops; they get the default tier C",
    ]


def test_internal_error_exits_3_with_a_hint(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner, "tier_clients", broken)
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 3
    _, err = capsys.readouterr()
    assert err == (
        "allocator: internal error: RuntimeError: boom\n"
        "this is a bug in allocator; run again with --debug for the traceback and report it\n"
    )
    assert main(["--debug", "run", "tiny/scenario.yaml", "--out", "out"]) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err
    assert not Path("out").exists()


def test_a_long_internal_error_is_cut_to_one_line(
    tiny: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # durable-rules puts every fact of a batch into its exception text: thousands of characters
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("x" * 400 + "\nsecond line")

    monkeypatch.setattr(runner, "tier_clients", broken)
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 3
    _, err = capsys.readouterr()
    assert err == (
        f"allocator: internal error: RuntimeError: {'x' * 300}… (412 characters; see --debug)\n"
        "this is a bug in allocator; run again with --debug for the traceback and report it\n"
    )


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["frobnicate"])
    assert exc.value.code == 2
    assert "allocator: error: argument command: invalid choice: 'frobnicate'" in capsys.readouterr().err
