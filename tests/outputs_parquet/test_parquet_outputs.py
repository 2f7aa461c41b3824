"""`outputs: {format: parquet}`: tiers.parquet and quotas.parquet hold the rows of tiers.csv and
quotas.csv; dictionary-encoded text, typed integers, the same bytes twice; the folder's rules
(manifest hashes, replacing a run's own files, refusing a foreign one); publish reads them."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from allocator.cli import main
from allocator.outputs.run_files import read_quotas, read_tiers, scan_text
from allocator.outputs.tables import sha256_file, write_csv
from tests.outputs_files.conftest import RunTo, scenario_text
from tests.outputs_parquet.parquet_footer import read_footer

VARIANTS = "variants:\n  - name: less\n    supply_factor: {p2: 0.5}\n  - name: higher mid\n    thresholds: {mid.when.volume.gte: 58}\n"  # fmt: skip
HAND = "locks: locks.csv\nassignments: assignments.csv\n"  # a lock (source), an assignments file (assigned)
FOLDERS = ("", "variants/less", "variants/higher-mid")
TIERS = ("client_id", "ladder", "previous_tier", "placed_tier", "tier", "placed_by", "adjustments", "move_limit")


def _scenario(fmt: str, keep: str = "[name, district]") -> str:
    return scenario_text(f"{{format: {fmt}, keep_columns: {keep}}}", VARIANTS) + HAND


@pytest.fixture
def both(run_to: RunTo) -> tuple[Path, Path]:
    """The shops scenario with variants (one with its own tiers), segments, kept columns, a lock
    and an assignments file, run once with CSV and once with Parquet outputs."""
    Path("locks.csv").write_text("client_id,product,quota,reason,by\nc3,中华,2,flagship,zhou\n", encoding="utf-8")
    Path("assignments.csv").write_text("owner,client_id,product,units,reason\n", encoding="utf-8")
    return run_to("csv", _scenario("csv")), run_to("parquet", _scenario("parquet"))


QUOTAS = {
    "client_id": pl.String, "name": pl.String, "district": pl.String, "product": pl.String, "ladder": pl.String,
    "tier": pl.String, "segment": pl.String, "ordered": pl.Int64, "entitled": pl.Int64, "excluded_by": pl.String,
    "quota": pl.Int64, "source": pl.String, "assigned": pl.Int64,
}  # fmt: skip
BASE_QUOTAS = [
    ("=cmd|' /C calc'!A0", "烟酒店甲", "城区", "中华", "shops", "A", None, 5, 3, None, 2, "rules", 0),
    ("c2", "便利店乙", "城区", "中华", "shops", "A", None, 2, 2, None, 1, "rules", 0),
    ("c3", "超市丙", "农村", "中华", "shops", "B", None, 4, 2, None, 2, "lock", 0),
    ("c4", "小卖部丁", "农村", "中华", "shops", "B", None, 0, 0, None, 0, "rules", 0),
    ("c5", "Shop, E", "城区", "中华", "shops", "C", None, 1, 1, None, 1, "rules", 0),
    ("c6", None, "农村", "中华", "shops", "C", None, 3, 1, None, 0, "rules", 0),
    ("=cmd|' /C calc'!A0", "烟酒店甲", "城区", "p2", "shops", "A", "城区", None, 0, None, 0, "rules", 0),
    ("c2", "便利店乙", "城区", "p2", "shops", "A", "城区", None, 0, None, 0, "rules", 0),
    ("c3", "超市丙", "农村", "p2", "shops", "B", "农村", None, 3, None, 3, "rules", 0),
    ("c4", "小卖部丁", "农村", "p2", "shops", "B", "农村", None, 3, None, 3, "rules", 0),
    ("c5", "Shop, E", "城区", "p2", "shops", "C", "城区", None, 0, None, 0, "rules", 0),
    ("c6", None, "农村", "p2", "shops", "C", "农村", None, 1, None, 1, "rules", 0),
]  # fmt: skip


def test_the_parquet_and_csv_outputs_hold_the_same_rows(both: tuple[Path, Path]) -> None:
    csv, parquet = both
    for sub in FOLDERS:
        c, p = csv / sub, parquet / sub
        for read, stem in ((read_quotas, "quotas"), (read_tiers, "tiers")):
            # The whole frames: as polars reads the Parquet file itself, and as the run folder's reader reads each.
            assert_frame_equal(pl.read_parquet(p / f"{stem}.parquet"), read(c))
            assert_frame_equal(read(p), read(c))
            # Written as a CSV by the run's own writer, the Parquet rows are quotas.csv byte for byte.
            write_csv(pl.read_parquet(p / f"{stem}.parquet"), p.parent / "again.csv")
            assert (p.parent / "again.csv").read_bytes() == (c / f"{stem}.csv").read_bytes(), (sub, stem)
        for name in ("summary.csv", "tier_amounts.csv"):  # the files that stay CSV are the same bytes
            assert (p / name).read_bytes() == (c / name).read_bytes(), (sub, name)
    assert (parquet / "comparison.csv").read_bytes() == (csv / "comparison.csv").read_bytes()
    assert read_quotas(parquet).schema == pl.Schema(QUOTAS)
    assert read_quotas(parquet).rows() == BASE_QUOTAS
    assert read_tiers(parquet / "variants/higher-mid")["tier"].to_list() == ["A", "A", "B", "C", "C", "C"]
    assert read_tiers(parquet)["tier"].to_list() == ["A", "A", "B", "B", "C", "C"]


def test_the_folder_holds_parquet_tables_and_csv_summaries(both: tuple[Path, Path]) -> None:
    parquet = both[1]
    assert sorted(str(p.relative_to(parquet)) for p in parquet.rglob("*") if p.is_file()) == [
        "comparison.csv", "manifest.json", "quotas.parquet", "report.html", "summary.csv", "tier_amounts.csv",
        "tiers.parquet", "timings.json",
        "variants/higher-mid/manifest.json", "variants/higher-mid/quotas.parquet", "variants/higher-mid/summary.csv",
        "variants/higher-mid/tier_amounts.csv", "variants/higher-mid/tiers.parquet",
        "variants/less/manifest.json", "variants/less/quotas.parquet", "variants/less/summary.csv",
        "variants/less/tier_amounts.csv", "variants/less/tiers.parquet",
    ]  # fmt: skip
    for sub in FOLDERS:
        folder = parquet / sub
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        names = ("quotas.parquet", "summary.csv", "tier_amounts.csv", "tiers.parquet")
        assert manifest["outputs"] == {n: sha256_file(folder / n) for n in names}, sub


def test_text_columns_are_dictionary_encoded_and_integers_are_int64(both: tuple[Path, Path]) -> None:
    """Read from each file's footer (no pyarrow): every text column has a dictionary page and
    RLE_DICTIONARY data pages. (polars chooses per column chunk: in a file of a million clients
    client_id, a distinct value per row of each row group, is stored plain, and the rest as here.)"""
    for sub in FOLDERS:
        for stem, rows, columns in (("quotas", 12, QUOTAS), ("tiers", 6, dict.fromkeys(TIERS, pl.String))):
            footer = read_footer(both[1] / sub / f"{stem}.parquet")
            assert footer.rows == rows
            assert footer.types == {c: "INT64" if t == pl.Int64 else "BYTE_ARRAY" for c, t in columns.items()}
            text = [c for _, chunks in footer.row_groups for c in chunks if footer.types[c.column] == "BYTE_ARRAY"]
            assert sorted({c.column for c in text}) == sorted(c for c, t in columns.items() if t == pl.String)
            for chunk in text:
                assert chunk.dictionary_page and "RLE_DICTIONARY" in chunk.encodings, (sub, chunk)
            assert footer.created_by.startswith("Polars")


def test_no_formula_guard_in_parquet(both: tuple[Path, Path]) -> None:
    csv, parquet = both
    assert pl.read_parquet(parquet / "quotas.parquet")["client_id"][0] == "=cmd|' /C calc'!A0"
    assert (csv / "quotas.csv").read_text(encoding="utf-8").splitlines()[1].startswith("'=cmd|' /C calc'!A0,")
    # Every column as text, as the notice reads them: both formats the same, the guard taken off.
    assert_frame_equal(scan_text(parquet, "quotas").collect(), scan_text(csv, "quotas").collect())


def test_the_same_run_twice_writes_the_same_bytes(run_to: RunTo) -> None:
    first = run_to("first", _scenario("parquet", "[name]").replace(HAND, ""))
    second = run_to("second", _scenario("parquet", "[name]").replace(HAND, ""))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file() and p.name != "timings.json")
    assert len(files) == 17
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_a_run_into_the_folder_replaces_the_other_formats_files(
    run_to: RunTo, capsys: pytest.CaptureFixture[str]
) -> None:
    def tables(out: Path) -> list[str]:
        return sorted(p.name for p in out.iterdir() if p.stem in ("tiers", "quotas"))

    out = run_to("out", scenario_text("{format: parquet}"))
    assert tables(out) == ["quotas.parquet", "tiers.parquet"]
    capsys.readouterr()
    Path("scenario.yaml").write_text(scenario_text("{format: csv}"), encoding="utf-8")
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    assert tables(out) == ["quotas.csv", "tiers.csv"]
    wrote = "wrote out/ (tiers.{0}, quotas.{0}, summary.csv, manifest.json, report.html)"
    assert capsys.readouterr().out.splitlines()[-1] == wrote.format("csv")
    Path("scenario.yaml").write_text(scenario_text("{format: parquet}"), encoding="utf-8")
    assert main(["run", "scenario.yaml", "--out", "out"]) == 0
    assert tables(out) == ["quotas.parquet", "tiers.parquet"]
    assert capsys.readouterr().out.splitlines()[-1] == wrote.format("parquet")
    (out / "quotas.parquet.bak").write_bytes((out / "quotas.parquet").read_bytes())
    assert main(["run", "scenario.yaml", "--out", "out"]) == 2
    assert capsys.readouterr().err == (
        "out: refusing to replace this folder with the outputs: it contains files that allocator "
        "did not write (quotas.parquet.bak); give --out a new or empty folder, or one that allocator wrote\n"
    )
    assert tables(out) == ["quotas.parquet", "tiers.parquet"]


def test_a_format_that_is_not_csv_or_parquet_is_refused(run_to: RunTo, capsys: pytest.CaptureFixture[str]) -> None:
    Path("scenario.yaml").write_text(scenario_text("{format: xls}"), encoding="utf-8")
    for command in (["validate", "scenario.yaml"], ["run", "scenario.yaml", "--out", "out"]):
        assert main(command) == 2
        assert capsys.readouterr().err == "scenario.yaml:9:19: outputs.format: 'xls' is not one of csv, parquet\n"
    assert not Path("out").exists()
