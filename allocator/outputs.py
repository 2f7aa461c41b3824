"""Output tables and files: the per-tier summary, CSVs and the manifest, written atomically.

Everything a run writes goes first into a temporary folder beside the target; only when every
file is complete is it renamed into place, so a failed or killed run leaves the previous
outputs as they were. CSVs and manifest.json depend only on the inputs and the seed (timings
go to timings.json), so the same run twice gives byte-identical files.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from allocator.allocation import Context, ProductResult


def summarize(results: Sequence[ProductResult], ctx: Context) -> pl.DataFrame:
    """Per product x ladder x tier (tiers that have clients, best first), then reserve and unallocated."""
    rows: list[dict[str, Any]] = []
    codes = ctx.codes
    cells = len(ctx.cells)
    clients = np.bincount(codes, minlength=cells)
    present = np.flatnonzero(clients)
    for res in results:
        cols = res.columns
        quota = cols["quota"].to_numpy()
        ordered_s = cols["ordered"]
        has_orders = ordered_s.null_count() == 0
        ordered = ordered_s.fill_null(0).to_numpy()
        entitled = cols["entitled"].fill_null(0).to_numpy()
        ordering = ordered > 0
        sums = {
            "ordered": np.bincount(codes, weights=ordered, minlength=cells),
            "entitled": np.bincount(codes, weights=entitled, minlength=cells),
            "allocated": np.bincount(codes, weights=quota, minlength=cells),
            "ordering": np.bincount(codes, weights=ordering, minlength=cells),
            "stocked_out": np.bincount(codes, weights=ordering & (quota == 0), minlength=cells),
        }
        low = np.full(cells, np.iinfo(np.int64).max)
        high = np.full(cells, np.iinfo(np.int64).min)
        np.minimum.at(low, codes, quota)
        np.maximum.at(high, codes, quota)
        for c in present.tolist():
            lad, tier = ctx.cells[c]
            got = {k: int(v[c]) for k, v in sums.items()}
            rows.append(
                {
                    "product": res.product, "line": "tier", "ladder": lad, "tier": tier, "clients": int(clients[c]),
                    "ordered": got["ordered"] if has_orders else None,
                    "entitled": got["entitled"], "allocated": got["allocated"],
                    "fill_rate": _rate(got["allocated"], got["ordered"]) if has_orders else None,
                    "stockout_rate": _rate(got["stocked_out"], got["ordering"]) if has_orders else None,
                    "min_quota": int(low[c]), "max_quota": int(high[c]),
                    "note": f"amount {res.tier_amounts.get((lad, tier), 0)}" if res.tier_amounts is not None else "",
                }
            )  # fmt: skip
        if res.reserve:
            rows.append(_line(res.product, "reserve", res.reserve, f"held for {res.reserve_owner}"))
        note = "; ".join([f"supply {res.supply}, available {res.available}", *res.notes])
        rows.append(_line(res.product, "unallocated", res.unallocated, note))
    schema = {
        "product": pl.String, "line": pl.String, "ladder": pl.String, "tier": pl.String,
        "clients": pl.Int64, "ordered": pl.Int64, "entitled": pl.Int64, "allocated": pl.Int64,
        "fill_rate": pl.Float64, "stockout_rate": pl.Float64, "min_quota": pl.Int64,
        "max_quota": pl.Int64, "note": pl.String,
    }  # fmt: skip
    return pl.DataFrame(rows, schema=schema)


def tier_amounts_table(results: Sequence[ProductResult], ctx: Context) -> pl.DataFrame | None:
    """product, ladder, tier, amount, customers, total: one row per tier of each tier_amounts product."""
    clients = np.bincount(ctx.codes, minlength=len(ctx.cells))
    rows = []
    for res in results:
        if res.tier_amounts is None:
            continue
        got = np.bincount(ctx.codes, weights=res.columns["quota"].to_numpy(), minlength=len(ctx.cells))
        for c, (lad, tier) in enumerate(ctx.cells):
            if (lad, tier) in res.tier_amounts:
                amount = res.tier_amounts[(lad, tier)]
                rows.append((res.product, lad, tier, amount, int(clients[c]), int(got[c])))
    if not rows:
        return None
    schema = {
        "product": pl.String,
        "ladder": pl.String,
        "tier": pl.String,
        "amount": pl.Int64,
        "customers": pl.Int64,
        "total": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


def _line(product: str, line: str, allocated: int, note: str) -> dict[str, Any]:
    return {"product": product, "line": line, "ladder": "", "tier": "", "allocated": allocated, "note": note}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """CSV with a fixed float format, so the bytes depend only on the values; empty text unquoted."""
    write_csv_parts([df], path)


def write_csv_parts(parts: Iterable[pl.DataFrame], path: Path) -> None:
    """Several frames with the same columns as one CSV, one at a time (memory stays flat)."""
    with path.open("wb") as f:
        for i, df in enumerate(parts):
            text = [c for c, t in df.schema.items() if t == pl.String]
            df = df.with_columns(pl.col(c).replace("", None) for c in text)
            df.write_csv(f, include_header=i == 0, float_precision=4, null_value="")


def write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        err = ctypes.get_errno()
        if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            return False
        raise OSError(err, os.strerror(err), str(a))
    return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_leftovers(target: Path) -> None:
    """Remove temporary folders that a killed run left beside `target` (call under the run lock)."""
    target = target.resolve()
    for stale in target.parent.glob(f".{target.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def write_atomically(target: Path, fill: Callable[[Path], None]) -> None:
    """Let `fill` write a complete folder, then put it at `target` in place of any previous one.

    Everything is written and fsynced in a temporary folder beside the target; then the two are
    exchanged in one atomic rename, so at every instant `target` is either the complete previous
    outputs or the complete new ones, whenever the process is killed.
    """
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; outputs are as readable as any folder
    try:
        fill(tmp)
        for f in tmp.rglob("*"):
            if f.is_file():
                with f.open("rb") as fh:
                    os.fsync(fh.fileno())
        _fsync_dir(tmp)
        if target.exists() and _exchange(tmp, target):
            _fsync_dir(target.parent)
            shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous outputs
            return
        old = None
        if target.exists():  # no atomic exchange here: the shortest possible window
            old = target.parent / f".{target.name}.tmp-old-{os.getpid()}"
            os.rename(target, old)
        os.rename(tmp, target)
        _fsync_dir(target.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
