"""`make bench`: Allocator against two baselines on synthetic snapshots, measured in one run.

For 10k, 100k and 1M clients x 20 products it runs, each in its own process (so peak memory is
that process's own):

- allocator: the full `allocator run` (load and check, tier, allocate, write every file);
- exact: the same run with `--engine exact`, which posts every client to durable-rules (the
  naive use of the engine); at 1M it is extrapolated linearly from 100k and marked so;
- numpy: benchmarks/reference.py, a hand-written numpy program doing the same tiering and
  allocation and writing the same tiers.csv and quotas.csv, whose quotas are checked equal.

It prints wall time, peak RSS and the ratios, and the machine it ran on.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from benchmarks.generate import write

OUT = Path("benchmarks/out")
SIZES = (10_000, 100_000, 1_000_000)
PRODUCTS = 20


def measure(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed: {err}")
    return wall, usage.ru_maxrss / 1024


def same_quotas(a: Path, b: Path) -> bool:
    cols = ["client_id", "product", "tier", "quota"]
    return pl.read_csv(a / "quotas.csv", columns=cols).equals(pl.read_csv(b / "quotas.csv", columns=cols))


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


def main() -> None:
    py = sys.executable
    allocator = str(Path(py).with_name("allocator"))
    rows = []
    print(f"machine: {machine()}")
    for n in SIZES:
        folder = OUT / f"n{n}"
        scenario = folder / "scenario.yaml"
        if not scenario.exists():
            write(folder, n, PRODUCTS)
        ours = measure([allocator, "run", str(scenario), "--out", str(folder / "allocator")])
        ref = measure([py, "-m", "benchmarks.reference", str(folder), str(folder / "numpy")])
        equal = same_quotas(folder / "allocator", folder / "numpy")
        if n <= 100_000:
            exact = measure([allocator, "run", str(scenario), "--out", str(folder / "exact"), "--engine", "exact"])
            note = ""
        else:
            base = next(r for r in rows if r["clients"] == 100_000)
            exact = (base["exact_s"] * n / 100_000, float("nan"))
            note = "exact extrapolated x10 from 100k"
        rows.append(
            {"clients": n, "allocator_s": ours[0], "allocator_mb": ours[1], "numpy_s": ref[0], "numpy_mb": ref[1],
             "exact_s": exact[0], "exact_mb": exact[1], "quotas_equal_numpy": equal, "note": note}
        )  # fmt: skip
        for sub in ("allocator", "numpy", "exact"):
            shutil.rmtree(folder / sub, ignore_errors=True)
        r = rows[-1]
        print(
            f"{n:>9,} clients x {PRODUCTS}: allocator {r['allocator_s']:6.1f} s {r['allocator_mb']:6.0f} MB | "
            f"numpy {r['numpy_s']:6.1f} s {r['numpy_mb']:6.0f} MB | exact {r['exact_s']:7.1f} s | "
            f"allocator/numpy {r['allocator_s'] / r['numpy_s']:.2f}x | exact/allocator {r['exact_s'] / r['allocator_s']:.1f}x | "
            f"quotas equal: {equal} {note}",
            flush=True,
        )
    print()
    print(
        "| clients | allocator s | allocator peak MB | numpy s | numpy peak MB | exact engine s | allocator / numpy | exact / allocator |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        exact = f"{r['exact_s']:.1f}" + (" (extrapolated)" if r["note"] else "")
        print(
            f"| {r['clients']:,} | {r['allocator_s']:.1f} | {r['allocator_mb']:.0f} | {r['numpy_s']:.1f} | {r['numpy_mb']:.0f} | "
            f"{exact} | {r['allocator_s'] / r['numpy_s']:.2f}x | {r['exact_s'] / r['allocator_s']:.1f}x |"
        )
    t = {r["clients"]: r["allocator_s"] for r in rows}
    print(
        f"\nscaling: 100k/10k {t[100_000] / t[10_000]:.1f}x, 1M/100k {t[1_000_000] / t[100_000]:.1f}x (10x more clients)"
    )


if __name__ == "__main__":
    main()
