"""A small partitioned scenario (3,000 clients in three districts) and one Dask LocalCluster per module."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from allocator.commands.partitioned import KILL_HOOK

TIERING = Path(__file__).resolve().parents[2] / "rules" / "tiering.yaml"
DISTRICTS = ("东城", "西城", "南山")
SUPPLIES = {"p00": 1000, "p01": 2101, "p02": 50}


def make_scenario(folder: Path, partition: str | None = "{by: district, split: clients}", districts: int = 3) -> Path:
    """snapshot.parquet, allocation.yaml and scenario.yaml in `folder`; the scenario's path."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2026)
    n = 3000
    city = rng.random(n) < 0.6
    volume = np.round(np.exp(rng.normal(np.where(city, np.log(200.0), np.log(90.0)), 0.9)))
    columns: dict[str, object] = {
        "client_id": [f"R{i:05d}" for i in range(n)],
        "market": np.where(city, "city", "village"),
        "volume": volume,
        "amount": np.round(volume * 150.0, 2),
        "violations": rng.choice(3, size=n, p=[0.9, 0.07, 0.03]),
        "current_tier": ["C"] * n,
        "district": np.array(DISTRICTS[:districts])[rng.integers(0, districts, n)],
    }
    for p in SUPPLIES:
        columns[f"order_{p}"] = rng.integers(0, 8, size=n)
    pl.DataFrame(columns).write_parquet(folder / "snapshot.parquet")
    lines = [
        "kind: allocation",
        "version: 1",
        "fields:",
        f"  district: {{type: category, values: [{', '.join(DISTRICTS)}]}}",
    ]
    lines.append("products:")
    for p, supply in SUPPLIES.items():
        lines += [
            f"  - id: {p}", f"    supply: {supply}", f"    order_column: order_{p}",
            "    reserve: {share: 0.05, owner: managers}", "    per_client: {A: 5, B: 3, C: 1, D: 0}",
            "    max_per_client: 4", "    eligible:", "      - {id: offenders, when: {violations: {gte: 2}}, exclude: true}",
        ]  # fmt: skip
    (folder / "allocation.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (
        "kind: scenario\nversion: 1\nname: partitioned\nsnapshot: snapshot.parquet\n"
        f"tiering: {TIERING}\nallocation: allocation.yaml\nperiod: 2026Q4\nseed: 7\n"
        "variants:\n  - name: less\n    supply_factor: {p01: 0.5}\n"
    )
    if partition is not None:
        text += f"partition: {partition}\n"
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    return folder / "scenario.yaml"


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` by relative path, timings.json left out (wall times)."""
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.name != "timings.json"
    }


@pytest.fixture(scope="module")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kill hooks' folder: <partition folder>.once or .always files in it kill a worker."""
    return tmp_path_factory.mktemp("hooks")


@pytest.fixture(scope="module")
def scheduler(hooks: Path) -> Iterator[str]:
    """The address of one LocalCluster of 2 worker processes for the module; a task is retried
    once when its worker dies (allowed-failures 1), so a task killed every time fails on the second."""
    import logging

    import dask
    from distributed import LocalCluster

    os.environ[KILL_HOOK] = str(hooks)  # the worker processes inherit it
    try:
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": 1}),
            LocalCluster(
                n_workers=2, processes=True, threads_per_worker=1, silence_logs=logging.CRITICAL, dashboard_address=None
            ) as cluster,  # fmt: skip
        ):
            yield str(cluster.scheduler_address)
    finally:
        del os.environ[KILL_HOOK]
