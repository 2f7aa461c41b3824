"""`make bench`: Allocator against hand-written numpy references on synthetic snapshots, in one run.

For 10k, 100k and 1M clients x 20 products it runs, each in its own process (so peak memory is
that process's own), Allocator and its reference alternately three times (the medians are shown):

- allocator csv: the full `allocator run` (load and check, tier, allocate, write every file:
  tiers.csv, quotas.csv, summary.csv, manifest.json with every sha256, report.html, fsynced and
  exchanged atomically);
- numpy csv: benchmarks/reference.py, a hand-written numpy program doing the same tiering and
  allocation and writing the same tiers.csv and quotas.csv (and nothing else, unsynced); the two
  files must be byte-identical to Allocator's;
- allocator parquet / numpy parquet: the same with `outputs: {format: parquet}` and the
  reference writing tiers.parquet and quotas.parquet; the files must hold the same rows (they
  are compared frame by frame, and their bytes are reported);
- exact: the run with `--engine exact`, which posts every client to durable-rules (the naive
  use of the engine); at 1M extrapolated linearly from 100k and marked so.

Then 10M x 20 with Parquet, Allocator and the reference, for time, peak memory and the scaling
from 1M. `--sizes 10000,100000` runs fewer sizes, `--no-exact` skips the exact mode, `--no-10m`
skips the ten million. It prints each measurement as it goes, then the README's table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from allocator.outputs.tables import sha256_file
from benchmarks.generate import write

OUT = Path("benchmarks/out")
SIZES = (10_000, 100_000, 1_000_000)
BIG = 10_000_000
PRODUCTS = 20
REPEAT = 3  # runs of each program per size and format below 10M, alternated; the median is shown
FILES = {"csv": ("tiers.csv", "quotas.csv"), "parquet": ("tiers.parquet", "quotas.parquet")}


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_mb: float


@dataclass(frozen=True)
class Row:
    clients: int
    format: str
    ours: Measured
    ref: Measured
    same: str
    quotas_mb: float


def measure(argv: list[str]) -> Measured:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed: {err}")
    return Measured(wall, usage.ru_maxrss / 1024)


def median(runs: list[Measured]) -> Measured:
    """The median wall time and the median peak memory of alternated runs."""
    return Measured(statistics.median(r.seconds for r in runs), statistics.median(r.peak_mb for r in runs))


def same_files(a: Path, b: Path, form: str) -> str:
    """'bytes' when both tables are byte-identical, 'rows' when they hold the same rows, else 'DIFFERENT'."""
    names = FILES[form]
    if all(sha256_file(a / n) == sha256_file(b / n) for n in names):
        return "bytes"
    read = pl.read_csv if form == "csv" else pl.read_parquet
    if all(read(a / n).equals(read(b / n)) for n in names):
        return "rows"
    return "DIFFERENT"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()}"


def scenarios(n: int) -> tuple[Path, Path]:
    """The generated folder's scenario, and the same scenario writing Parquet."""
    folder = OUT / f"n{n}"
    scenario = folder / "scenario.yaml"
    if not scenario.exists():
        write(folder, n, PRODUCTS)
    parquet = folder / "scenario-parquet.yaml"
    parquet.write_text(scenario.read_text(encoding="utf-8") + "outputs: {format: parquet}\n", encoding="utf-8")
    return scenario, parquet


def pair(n: int, form: str) -> Row:
    """Allocator and the reference on one size and format, then their files compared."""
    py = sys.executable
    allocator = str(Path(py).with_name("allocator"))
    folder = OUT / f"n{n}"
    scenario = scenarios(n)[form == "parquet"]
    times: dict[str, list[Measured]] = {"ours": [], "ref": []}
    for _ in range(REPEAT if n < BIG else 1):  # alternated, so that a slow moment hits both alike
        times["ours"].append(measure([allocator, "run", str(scenario), "--out", str(folder / "allocator")]))
        times["ref"].append(measure([py, "-m", "benchmarks.reference", str(folder), str(folder / "numpy"), form]))
    ours, ref = (median(times[k]) for k in ("ours", "ref"))
    same = same_files(folder / "allocator", folder / "numpy", form)
    quotas = (folder / "allocator" / FILES[form][1]).stat().st_size / 2**20
    for sub in ("allocator", "numpy"):
        shutil.rmtree(folder / sub, ignore_errors=True)
    row = Row(n, form, ours, ref, same, quotas)
    print(
        f"{n:>10,} clients x {PRODUCTS} {form:7}: allocator {ours.seconds:6.1f} s {ours.peak_mb:6.0f} MB | "
        f"numpy {ref.seconds:6.1f} s {ref.peak_mb:6.0f} MB | ratio {ours.seconds / ref.seconds:.2f}x | "
        f"memory {ours.peak_mb / ref.peak_mb:.2f}x | tiers and quotas: same {same} | quotas file {quotas:,.0f} MB",
        flush=True,
    )
    return row


def exact(n: int) -> Measured:
    allocator = str(Path(sys.executable).with_name("allocator"))
    folder = OUT / f"n{n}"
    got = measure([allocator, "run", str(scenarios(n)[0]), "--out", str(folder / "exact"), "--engine", "exact"])
    shutil.rmtree(folder / "exact", ignore_errors=True)
    print(f"{n:>10,} clients x {PRODUCTS} exact engine mode: {got.seconds:.1f} s {got.peak_mb:.0f} MB", flush=True)
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--no-exact", action="store_true")
    parser.add_argument("--no-10m", action="store_true")
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    print(f"machine: {machine()}", flush=True)
    rows = [pair(n, form) for n in sizes for form in ("csv", "parquet")]
    engine = {} if args.no_exact else {n: exact(n) for n in sizes if n <= 100_000}
    if not args.no_10m:
        rows.append(pair(BIG, "parquet"))
    print("\n| clients × 20 | format | Allocator s | peak MB | numpy reference s | peak MB | time ratio | memory ratio | files |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ours, ref = r.ours, r.ref
        print(
            f"| {r.clients:,} | {r.format} | {ours.seconds:.1f} | {ours.peak_mb:,.0f} | {ref.seconds:.1f} | "
            f"{ref.peak_mb:,.0f} | {ours.seconds / ref.seconds:.2f}× | {ours.peak_mb / ref.peak_mb:.2f}× | same {r.same} |"
        )
    csv = {r.clients: r.ours for r in rows if r.format == "csv"}
    for n, got in engine.items():
        print(f"exact engine mode at {n:,}: {got.seconds:.1f} s, {got.seconds / csv[n].seconds:.1f}× the grouped run")
    if 100_000 in engine and 1_000_000 in csv:
        guess = engine[100_000].seconds * 10
        print(f"exact engine mode at 1,000,000 (extrapolated ×10 from 100k): {guess:.0f} s, "
              f"{guess / csv[1_000_000].seconds:.0f}× the grouped run")  # fmt: skip
    parquet = {r.clients: r.ours for r in rows if r.format == "parquet"}
    if BIG in parquet and 1_000_000 in parquet:
        big, one = parquet[BIG], parquet[1_000_000]
        print(f"scaling 1M -> 10M (Parquet): {big.seconds / one.seconds:.1f}× the time, "
              f"{big.peak_mb / one.peak_mb:.1f}× the peak memory, for 10× the clients")  # fmt: skip


if __name__ == "__main__":
    main()
