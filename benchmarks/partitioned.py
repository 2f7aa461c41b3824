"""A partitioned run, one process against a Dask LocalCluster: wall time and peak memory.

Generates benchmarks/generate.py's snapshot with a `district` field of P values (the clients
dealt round-robin, so every partition has N/P of them), runs `allocator run` on it with
`--executor local` and with `--executor dask --workers W`, each as a child process, and prints
a table: wall time, the peak of the summed RSS of the whole process tree (sampled every 0.1 s
with psutil) and the largest single process's peak. Checks that both wrote the same files.

    .venv/bin/python benchmarks/partitioned.py --partitions 8 --clients 250000 --products 20
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.generate import TIERING, allocation_yaml, snapshot


def write(folder: Path, partitions: int, per_partition: int, products: int) -> Path:
    """The snapshot with a district field, the allocation file declaring it, the partitioned scenario."""
    folder.mkdir(parents=True, exist_ok=True)
    n = partitions * per_partition
    names = [f"D{i:02d}" for i in range(partitions)]
    df = snapshot(n, products).with_columns(pl.Series("district", np.array(names)[np.arange(n) % partitions]))
    df.write_parquet(folder / "snapshot.parquet")
    fields = "fields:\n  district: {type: category, values: [" + ", ".join(names) + "]}\n"
    text = allocation_yaml(products, n).replace("version: 1\n", "version: 1\n" + fields, 1)
    (folder / "allocation.yaml").write_text(text, encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text(
        f"kind: scenario\nversion: 1\nname: partitioned {partitions} x {per_partition}\n"
        f"snapshot: snapshot.parquet\ntiering: {TIERING}\nallocation: allocation.yaml\n"
        "period: 2026Q4\nseed: 2026\npartition: {by: district, split: clients}\n",
        encoding="utf-8",
    )
    return scenario


def measure(args: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak summed RSS of the process tree (MB), largest single process's peak (MB)."""
    t0 = time.perf_counter()
    child = psutil.Popen(args, stdout=subprocess.DEVNULL)
    tree_peak = one_peak = 0
    while child.poll() is None:
        try:
            procs = [child, *child.children(recursive=True)]
            rss = [p.memory_info().rss for p in procs]
        except psutil.Error:  # a process ended between the listing and the reading
            continue
        tree_peak, one_peak = max(tree_peak, sum(rss)), max(one_peak, *rss)
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {child.returncode}")
    return wall, tree_peak / 2**20, one_peak / 2**20


def hashes(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file() and f.name != "timings.json"
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--clients", type=int, default=250_000, help="clients per partition")
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folder", type=Path, default=Path("benchmarks/out/partitioned"))
    args = parser.parse_args()
    scenario = write(args.folder, args.partitions, args.clients, args.products)
    allocator = str(Path(sys.executable).parent / "allocator")
    rows = []
    for name, extra in (
        ("local", []),
        (f"dask, {args.workers} workers", ["--executor", "dask", "--workers", str(args.workers)]),
    ):
        out = args.folder / ("out-local" if not extra else "out-dask")
        shutil.rmtree(out, ignore_errors=True)
        rows.append((name, *measure([allocator, "run", str(scenario), "--out", str(out), *extra])))
    same = hashes(args.folder / "out-local") == hashes(args.folder / "out-dask")
    print(f"{args.partitions} partitions x {args.clients:,} clients x {args.products} products "
          f"({psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB)")  # fmt: skip
    print("| executor | wall | peak RSS, all processes | peak RSS, largest process |")
    print("| --- | ---: | ---: | ---: |")
    for name, wall, tree, one in rows:
        print(f"| {name} | {wall:.1f} s | {tree:,.0f} MB | {one:,.0f} MB |")
    print(f"outputs byte-identical (every file but timings.json): {same}")


if __name__ == "__main__":
    main()
