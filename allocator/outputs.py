"""Output tables and files: the per-tier summary, CSVs and the manifest, written atomically.

Everything a run writes goes first into a temporary folder beside the target; only when every
file is complete is it renamed into place, so a failed or killed run leaves the previous
outputs as they were. CSVs and manifest.json depend only on the inputs and the seed (timings
go to timings.json), so the same run twice gives byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from allocator.allocation import ProductResult

SUMMARY_COLUMNS = [
    "product",
    "line",
    "ladder",
    "tier",
    "clients",
    "ordered",
    "entitled",
    "allocated",
    "fill_rate",
    "stockout_rate",
    "min_quota",
    "max_quota",
    "note",
]


def summarize(results: Sequence[ProductResult], ladders: dict[str, tuple[str, ...]]) -> pl.DataFrame:
    """Per product x ladder x tier, best tier first; then reserve and unallocated lines."""
    rows: list[dict[str, Any]] = []
    rank = {(lad, t): (li, ti) for li, (lad, ts) in enumerate(ladders.items()) for ti, t in enumerate(ts)}
    for res in results:
        q = res.quotas
        has_orders = q["ordered"].null_count() == 0
        stats = (
            q.group_by("ladder", "tier")
            .agg(
                pl.len().alias("clients"),
                pl.col("ordered").sum().alias("ordered"),
                pl.col("entitled").sum().alias("entitled"),
                pl.col("quota").sum().alias("allocated"),
                (pl.col("ordered") > 0).sum().alias("ordering"),
                ((pl.col("ordered") > 0) & (pl.col("quota") == 0)).sum().alias("stocked_out"),
                pl.col("quota").min().alias("min_quota"),
                pl.col("quota").max().alias("max_quota"),
            )
            .to_dicts()
        )
        stats.sort(key=lambda r: rank[(r["ladder"], r["tier"])])
        for s in stats:
            rows.append(
                {
                    "product": res.product,
                    "line": "tier",
                    "ladder": s["ladder"],
                    "tier": s["tier"],
                    "clients": s["clients"],
                    "ordered": s["ordered"] if has_orders else None,
                    "entitled": s["entitled"],
                    "allocated": s["allocated"],
                    "fill_rate": _rate(s["allocated"], s["ordered"]) if has_orders else None,
                    "stockout_rate": _rate(s["stocked_out"], s["ordering"]) if has_orders else None,
                    "min_quota": s["min_quota"],
                    "max_quota": s["max_quota"],
                    "note": "",
                }
            )
        if res.reserve:
            rows.append(_line(res.product, "reserve", res.reserve, f"held for {res.reserve_owner}"))
        rows.append(
            _line(res.product, "unallocated", res.unallocated, f"supply {res.supply}, available {res.available}")
        )
    schema = {
        "product": pl.String,
        "line": pl.String,
        "ladder": pl.String,
        "tier": pl.String,
        "clients": pl.Int64,
        "ordered": pl.Int64,
        "entitled": pl.Int64,
        "allocated": pl.Int64,
        "fill_rate": pl.Float64,
        "stockout_rate": pl.Float64,
        "min_quota": pl.Int64,
        "max_quota": pl.Int64,
        "note": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _line(product: str, line: str, allocated: int, note: str) -> dict[str, Any]:
    return {"product": product, "line": line, "ladder": "", "tier": "", "allocated": allocated, "note": note}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """CSV with a fixed float format, so the bytes depend only on the values; empty text unquoted."""
    text = [c for c, t in df.schema.items() if t == pl.String]
    df.with_columns(pl.col(c).replace("", None) for c in text).write_csv(path, float_precision=4, null_value="")


def write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_atomically(target: Path, fill: Callable[[Path], None]) -> None:
    """Let `fill` write a complete folder, then put it at `target` in place of any previous one."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        fill(tmp)
        for f in tmp.rglob("*"):
            if f.is_file():
                with f.open("rb") as fh:
                    os.fsync(fh.fileno())
        old = None
        if target.exists():
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
