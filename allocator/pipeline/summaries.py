"""Per-tier figures of a run: the summary table and the tier-amounts table, summed exactly."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from allocator.errors import SnapshotError
from allocator.pipeline.allocation import INT64_MAX, ProductResult, TieredClients


def summarize(results: Sequence[ProductResult], ctx: TieredClients) -> pl.DataFrame:
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


def tier_amounts_table(results: Sequence[ProductResult], ctx: TieredClients) -> pl.DataFrame | None:
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
