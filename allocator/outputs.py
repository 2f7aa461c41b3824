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
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from allocator import interrupts
from allocator.allocation import Context, ProductResult
from allocator.errors import SnapshotError
from allocator.files import display_path
from allocator.folders import os_errors


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
            "ordered": cell_sums(codes, ordered, cells),
            "entitled": cell_sums(codes, entitled, cells),
            "allocated": cell_sums(codes, quota, cells),
            "ordering": cell_sums(codes, ordering, cells),
            "stocked_out": cell_sums(codes, ordering & (quota == 0), cells),
        }
        for what in ("ordered", "entitled", "allocated"):
            if max(sums[what], default=0) > INT64_MAX:
                raise SnapshotError(f"{res.product}: the {what} units of one tier add up to more than {INT64_MAX}")
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


INT64_MAX = 2**63 - 1
_HALF = 26  # values below 2**53 split into two halves whose per-cell float sums stay exact


def cell_sums(codes: np.ndarray, values: np.ndarray, cells: int) -> list[int]:
    """Exact whole-number sum of `values` (0 <= v < 2**53) per cell code, as Python ints.

    A float64 bincount rounds once a cell's total passes 2**53; each half of a value is below
    2**27, so its per-cell sum stays exact for fewer than 2**26 clients per cell.
    """
    v = np.asarray(values, dtype=np.int64)
    if v.size == 0 or int(v.max()) * v.size < 2**53:  # no partial sum can pass 2**53: one float pass is exact
        return [int(x) for x in np.bincount(codes, weights=v, minlength=cells).tolist()]
    high = np.bincount(codes, weights=v >> _HALF, minlength=cells)
    low = np.bincount(codes, weights=v & ((1 << _HALF) - 1), minlength=cells)
    return [(int(h) << _HALF) + int(lo) for h, lo in zip(high.tolist(), low.tolist(), strict=True)]


def _line(product: str, line: str, allocated: int, note: str) -> dict[str, Any]:
    return {"product": product, "line": line, "ladder": "", "tier": "", "allocated": allocated, "note": note}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


FORMULA_START = r"^(?:[\t\r]|\s*[=+\-@])"  # what a spreadsheet may run as a formula (OWASP)


def write_csv(df: pl.DataFrame, path: Path) -> None:
    """CSV with a fixed float format, so the bytes depend only on the values; empty text unquoted."""
    write_csv_parts([df], path)


def write_csv_parts(parts: Iterable[pl.DataFrame], path: Path) -> None:
    """Several frames with the same columns as one CSV, one at a time (memory stays flat).

    A text cell that starts with = + - @, a tab or a carriage return, or with blanks and then
    = + - @, gets a leading `'`, so that a spreadsheet shows it as text instead of running it
    (`=cmd|' /C calc'!A0`). Only text columns: numbers, negative ones too, stay numbers.
    """
    with path.open("wb") as f:
        for i, df in enumerate(parts):
            df = df.with_columns(_as_text(c) for c, t in df.schema.items() if _is_text(t))
            df.write_csv(f, include_header=i == 0, float_precision=4, null_value="")


def _is_text(dtype: pl.DataType) -> bool:
    return dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)


def _as_text(name: str) -> pl.Expr:
    text = pl.col(name).cast(pl.String)
    guarded = pl.when(text.str.contains(FORMULA_START)).then(pl.lit("'") + text).otherwise(text)
    return guarded.replace("", None).alias(name)


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


_TEMPORARY = re.compile(r"[a-z0-9_]{8}|old-[0-9]+")  # what mkdtemp and the fallback rename add


def _temporary_prefix(target: Path) -> str:
    return f".{target.name}.tmp-"


def clean_leftovers(target: Path) -> None:
    """Remove the temporary folders that killed runs left beside `target`: its own only, matched
    by exact name (never a pattern made of the target's name). Call under the run lock, which
    every run writing to `target` holds, so none of them belongs to a live run."""
    target = target.resolve()
    prefix = _temporary_prefix(target)
    try:
        entries = [e.name for e in os.scandir(target.parent)]
    except FileNotFoundError:
        return
    for name in entries:
        if name.startswith(prefix) and _TEMPORARY.fullmatch(name[len(prefix) :]):
            shutil.rmtree(target.parent / name, ignore_errors=True)


class _Staged:
    """A complete folder written beside its target, to be put in the target's place."""

    def __init__(self, target: Path, tmp: Path) -> None:
        self.target, self.tmp = target, tmp
        self.old: Path | None = None  # where the previous outputs went, without an atomic exchange
        self.published = False

    def publish(self) -> None:
        exchanged = self.target.exists() and _exchange(self.tmp, self.target)  # tmp: the previous outputs
        if not exchanged:
            if self.target.exists():  # no atomic exchange here: the shortest possible window
                self.old = self.target.parent / f"{_temporary_prefix(self.target)}old-{os.getpid()}"
                os.rename(self.target, self.old)
            os.rename(self.tmp, self.target)
        self.published = True
        _fsync_dir(self.target.parent)

    def retract(self) -> None:
        """Put the previous outputs back (the ledger could not record the new ones)."""
        if not self.published:
            return
        if self.old is None and self.tmp.exists():
            _exchange(self.tmp, self.target)
        else:
            os.rename(self.target, self.tmp)
            if self.old is not None:
                os.rename(self.old, self.target)
                self.old = None
        self.published = False
        _fsync_dir(self.target.parent)

    def discard(self) -> None:
        """Remove what is left beside the target: the new files, or the previous ones."""
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self.old is not None:
            shutil.rmtree(self.old, ignore_errors=True)


def write_atomically(
    target: Path, fill: Callable[[Path], None], record: Callable[[], AbstractContextManager[object]] | None = None
) -> None:
    """Let `fill` write a complete folder, then put it at `target` in place of any previous one.

    Everything is written and fsynced in a temporary folder beside the target; then the two are
    exchanged in one atomic rename, so at every instant `target` is either the complete previous
    outputs or the complete new ones, whenever the process is killed. With `record` (the ledger's
    transaction), the exchange happens inside it, and when its commit fails the previous outputs
    are put back: the outputs in place are the ones the ledger says were issued.
    """
    shown = display_path(target)
    target = target.resolve()
    with os_errors(shown, "cannot write the outputs"):
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = _Staged(target, Path(tempfile.mkdtemp(prefix=_temporary_prefix(target), dir=target.parent)))
    with interrupts.on_interrupt(lambda _: staged.discard()):
        try:
            with os_errors(shown, "cannot write the outputs"):
                _fill(staged.tmp, fill)
            with interrupts.deferred():
                try:
                    with (
                        record() if record is not None else nullcontext(),
                        os_errors(shown, "cannot write the outputs"),
                    ):
                        staged.publish()
                except BaseException:
                    staged.retract()
                    raise
                interrupts.set_status("the new outputs are written" + (" and recorded" if record else ""))
        finally:
            staged.discard()


def _fill(tmp: Path, fill: Callable[[Path], None]) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; outputs are as readable as any folder
    fill(tmp)
    for f in tmp.rglob("*"):
        if f.is_file():
            with f.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(tmp)
