"""Partitioned runs: local and Dask give the same bytes, supplies add up, retries, clean failures."""

from __future__ import annotations

import csv
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from tests.partitions.conftest import DISTRICTS, SUPPLIES, hashes, make_scenario


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["run", *args])
    return code, capsys.readouterr().err


def _largest_remainder(weights: list[int], total: int) -> list[int]:
    """Textbook Hamilton, ties to the first: the expected split, worked out apart from the code."""
    exact = [Fraction(w * total, sum(weights)) for w in weights]
    out = [int(e) for e in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def test_local_and_dask_write_the_same_bytes(
    tmp_path: Path, scheduler: str, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = make_scenario(tmp_path / "in")
    assert _run(capsys, str(scenario), "--out", str(tmp_path / "local")) == (0, "")
    assert _run(
        capsys, str(scenario), "--out", str(tmp_path / "dask"), "--executor", "dask", "--scheduler", scheduler
    ) == (0, "")
    local, dask = hashes(tmp_path / "local"), hashes(tmp_path / "dask")
    assert local == dask
    folders = [f"partitions/{d}" for d in ("东城", "南山", "西城")]
    per_partition = ["manifest.json", "quotas.csv", "report.html", "summary.csv", "tiers.csv", "comparison.csv",
                     "variants/less/manifest.json", "variants/less/quotas.csv", "variants/less/summary.csv", "variants/less/tiers.csv"]  # fmt: skip
    expected = {"manifest.json", "partitions.csv", "report.html"} | {f"{f}/{n}" for f in folders for n in per_partition}
    assert set(local) == expected


def test_supplies_add_up_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = make_scenario(tmp_path / "in")
    assert _run(capsys, str(scenario), "--out", str(tmp_path / "out")) == (0, "")
    table = pl.read_csv(tmp_path / "out" / "partitions.csv")
    clients = pl.read_parquet(tmp_path / "in" / "snapshot.parquet")["district"].value_counts()
    count = dict(clients.iter_rows())
    order = [d for d in DISTRICTS if d in count]  # the declared order: 东城, 西城, 南山
    supplies = {**SUPPLIES, "less": 0}
    for variant, product, supply in [*((("base", p, s) for p, s in SUPPLIES.items())), ("less", "p01", 1050)]:
        rows = table.filter((pl.col("variant") == variant) & (pl.col("product") == product))
        assert rows["partition"].to_list() == order
        assert rows["supply"].to_list() == _largest_remainder([count[d] for d in order], supply)
        assert rows["supply"].sum() == supply
        assert (rows["reserve"] + rows["allocated"] + rows["unallocated"]).to_list() == rows["supply"].to_list()
    del supplies


def test_fixed_weights_break_ties_in_partition_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = make_scenario(tmp_path / "in", "{by: district, split: {东城: 1, 西城: 1, 南山: 1}}")
    assert _run(capsys, str(scenario), "--out", str(tmp_path / "out")) == (0, "")
    with (tmp_path / "out" / "partitions.csv").open(encoding="utf-8") as f:
        base = [(r["partition"], r["product"], r["supply"]) for r in csv.DictReader(f) if r["variant"] == "base"]
    assert base == [
        ("东城", "p00", "334"), ("东城", "p01", "701"), ("东城", "p02", "17"),
        ("西城", "p00", "333"), ("西城", "p01", "700"), ("西城", "p02", "17"),
        ("南山", "p00", "333"), ("南山", "p01", "700"), ("南山", "p02", "16"),
    ]  # fmt: skip


def test_one_partition_is_the_plain_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    whole = make_scenario(tmp_path / "in", districts=1)
    plain = make_scenario(tmp_path / "plain", partition=None, districts=1)
    assert _run(capsys, str(whole), "--out", str(tmp_path / "a")) == (0, "")
    assert _run(capsys, str(plain), "--out", str(tmp_path / "b")) == (0, "")
    one = tmp_path / "a" / "partitions" / "东城"
    for name in ("quotas.csv", "tiers.csv", "summary.csv", "variants/less/quotas.csv", "comparison.csv"):
        assert (one / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_killed_worker_is_retried(
    tmp_path: Path, scheduler: str, hooks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = make_scenario(tmp_path / "in")
    assert _run(capsys, str(scenario), "--out", str(tmp_path / "local")) == (0, "")
    (hooks / "西城.once").write_text("", encoding="utf-8")
    code = _run(capsys, str(scenario), "--out", str(tmp_path / "dask"), "--executor", "dask", "--scheduler", scheduler)
    assert code == (0, "")
    assert not (hooks / "西城.once").exists()  # the hook fired: a worker died once
    assert hashes(tmp_path / "dask") == hashes(tmp_path / "local")
    assert sorted(p.name for p in (tmp_path / "dask" / "partitions").iterdir()) == ["东城", "南山", "西城"]


def test_a_task_that_always_dies_fails_the_run_cleanly(
    tmp_path: Path, scheduler: str, hooks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = make_scenario(tmp_path / "in")
    out = tmp_path / "out"
    assert _run(capsys, str(scenario), "--out", str(out)) == (0, "")
    before = hashes(out)
    timings = (out / "timings.json").read_bytes()
    (hooks / "南山.always").write_text("2", encoding="utf-8")  # die once the other two are written
    try:
        code, err = _run(capsys, str(scenario), "--out", str(out), "--executor", "dask", "--scheduler", scheduler)
    finally:
        (hooks / "南山.always").unlink()
    assert (code, err) == (
        2,
        f"{out}: cannot write the outputs: partition '南山' of district failed: its worker died each of the 2 times "
        "the task ran; the previous outputs are untouched\n",
    )
    assert hashes(out) == before and (out / "timings.json").read_bytes() == timings
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.lock", "in", "out"]  # no staging folder left


def test_an_unknown_partition_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = make_scenario(tmp_path / "in", "{by: distrct, split: clients}")
    code, err = _run(capsys, str(scenario), "--out", str(tmp_path / "out"))
    assert (code, err) == (2, f"{scenario}:12:17: partition.by: unknown field 'distrct'; did you mean 'district'?\n")
    assert not (tmp_path / "out").exists()
