"""`outputs: {csv_bom: true}`: every CSV of the run starts with a UTF-8 BOM, and its readers still read it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from allocator.inputs.csv_reading import read_csv_text
from allocator.outputs.tables import sha256_file
from tests.outputs_files.conftest import RunTo, scenario_text

BOM = b"\xef\xbb\xbf"
TINY = "variants:\n  - name: less\n    supply_factor: {中华: 0.5}\n"


def _no_segments() -> None:
    """The shops with one product (a comparison of segmented products is printed elsewhere)."""
    text = Path("allocation.yaml").read_text(encoding="utf-8")
    Path("allocation.yaml").write_text(text[: text.index("  - id: p2")], encoding="utf-8")


def test_every_csv_starts_with_a_bom_and_is_otherwise_the_same_bytes(run_to: RunTo) -> None:
    _no_segments()
    plain = run_to("plain", scenario_text(None, TINY))
    bom = run_to("bom", scenario_text("{csv_bom: true}", TINY))
    written = sorted(p.relative_to(bom) for p in bom.rglob("*.csv"))
    assert [str(p) for p in written] == [
        "comparison.csv", "quotas.csv", "summary.csv", "tiers.csv", "variants/less/quotas.csv",
        "variants/less/summary.csv", "variants/less/tiers.csv",
    ]  # fmt: skip
    for name in written:
        assert (bom / name).read_bytes() == BOM + (plain / name).read_bytes(), name
    manifest = json.loads((bom / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"] == {n: sha256_file(bom / n) for n in ("quotas.csv", "summary.csv", "tiers.csv")}


def test_readers_of_the_csvs_read_them_with_a_bom_as_without(run_to: RunTo) -> None:
    _no_segments()
    plain = run_to("plain", scenario_text(None))
    bom = run_to("bom", scenario_text("{csv_bom: true}"))
    for name in ("quotas.csv", "summary.csv", "tiers.csv"):
        # polars (what `publish` reads quotas.csv with), the csv module as Excel's "utf-8-sig", our own reader
        assert pl.read_csv(bom / name, infer_schema=False).equals(pl.read_csv(plain / name, infer_schema=False))
        with (bom / name).open(encoding="utf-8-sig", newline="") as f, (plain / name).open(newline="") as g:
            assert list(csv.reader(f)) == list(csv.reader(g))
        got, want = (read_csv_text((folder / name).read_bytes(), name) for folder in (bom, plain))
        assert (got[0], got[1].rows()) == (want[0], want[1].rows())
    assert pl.read_csv(bom / "quotas.csv").columns[0] == "client_id"


def test_explain_and_diff_read_a_scenario_that_asks_for_a_bom(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _no_segments()
    outputs = {}
    for name, text in (("plain", scenario_text(None)), ("bom", scenario_text("{csv_bom: true}"))):
        Path(f"{name}.yaml").write_text(text, encoding="utf-8")
        assert main(["explain", "c3", f"{name}.yaml"]) == 0
        explained = capsys.readouterr().out
        assert main(["diff", "--before", "tiering.yaml", "--after", "tiering.yaml", "--scenario", f"{name}.yaml"]) == 0
        named = (f"({name}.yaml)", f"`{name}.yaml`")
        outputs[name] = tuple(
            t.replace(named[0], "(S)").replace(named[1], "S") for t in (explained, capsys.readouterr().out)
        )
    assert outputs["bom"] == outputs["plain"]
    assert outputs["bom"][1].splitlines()[0] == "## Allocator diff: no change"
    assert outputs["bom"][0].splitlines()[0] == "Client c3 · 城区 week (S) · period 2026W10 · seed 7"
