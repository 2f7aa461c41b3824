"""Per-tier figures of a run: the summary table and the tier-amounts table, summed exactly.

`cell_sums` lives in `metrics` with the field's metrics; it is imported here for the callers
that know it from this module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from allocator.errors import SnapshotError
from allocator.inputs.plan_sheets import NotAllocated
from allocator.pipeline.allocation import INT64_MAX, ProductResult
from allocator.pipeline.metrics import METRICS, Histogram, cell_sums, histogram, line_figures, rounded
from allocator.pipeline.tiered import TieredClients


def _groups(res: ProductResult, ctx: TieredClients) -> tuple[np.ndarray, list[tuple[str, str, str]], np.ndarray]:
    """Each client's summary group, the groups as (segment, ladder, tier) in output order, and the
    clients the tier lines count (a segmented product's clients outside its segments are apart)."""
    cells = len(ctx.cells)
    if res.in_segments is None or res.segment is None:
        return ctx.codes, [("", lad, t) for lad, t in ctx.cells], np.ones(len(ctx.codes), dtype=bool)
    labels = res.segment.to_numpy()
    inside = res.in_segments
    names = sorted(set(labels[inside].tolist()))
    index = {name: i for i, name in enumerate(names)}
    seg = np.array([index.get(x, 0) for x in labels.tolist()], dtype=np.int64)
    keys = [(name, lad, t) for name in names for lad, t in ctx.cells]
    return seg * cells + ctx.codes, keys, inside


Cell = tuple[str, str]  # (ladder, tier)


@dataclass(frozen=True)
class TierView:
    """What the report shows of one product per (ladder, tier), made with the summary from the
    same pass over the clients, so the report reads no per-client data: each tier's summary
    figures (a segmented product's segments added up, its clients in the segments) and how many
    of the tier's clients got each quota (every client of the tier)."""

    figures: dict[Cell, dict[str, Any]]
    quotas: dict[Cell, dict[int, int]]


def summarize(
    results: Sequence[ProductResult], ctx: TieredClients, skipped: Sequence[NotAllocated] = ()
) -> pl.DataFrame:
    """summary.csv (see `summarize_run`)."""
    return summarize_run(results, ctx, skipped)[0]


def summarize_run(
    results: Sequence[ProductResult], ctx: TieredClients, skipped: Sequence[NotAllocated] = ()
) -> tuple[pl.DataFrame, dict[str, TierView]]:
    """Per product x [segment x] ladder x tier (groups that have clients, best first), then the
    product's own line (every client in its segments), clients outside the segments, budgets,
    locks, reserve and unallocated; last, the plans of a plan sheet that are not allocated, each
    with its reason. Each tier and product line has the field's metrics (`metrics.py`). With
    it, each product's `TierView` for the report."""
    rows: list[dict[str, Any]] = []
    views: dict[str, TierView] = {}
    for res in results:
        codes, keys, inside = _groups(res, ctx)
        lines, h = _tier_rows(res, codes if inside.all() else codes[inside], keys, inside)
        rows += lines
        views[res.product] = _view(res, ctx, lines, h, inside)
        if res.in_segments is not None:
            rows.append(_outside_line(res, ~res.in_segments))
        if res.hand is not None:
            rows += _hand_lines(res)
        elif res.reserve:
            rows.append(_line(res.product, "reserve", res.reserve, f"held for {res.reserve_owner}"))
        note = "; ".join([f"supply {res.supply}, available {res.available}", *res.notes])
        rows.append(_line(res.product, "unallocated", res.unallocated, note))
    for plan in skipped:
        why = f"not allocated: {plan.reason} (row {plan.row}, {plan.name}, {plan.method})"
        rows.append({**_line(plan.code, "not_allocated", 0, why), "allocated": None})
    schema = {
        "product": pl.String, "line": pl.String, "segment": pl.String, "ladder": pl.String, "tier": pl.String,
        "clients": pl.Int64, "ordered": pl.Int64, "entitled": pl.Int64, "allocated": pl.Int64,
        "fill_rate": pl.Float64, "stockout_rate": pl.Float64, **dict.fromkeys(METRICS, pl.Float64), "min_quota": pl.Int64,
        "max_quota": pl.Int64, "note": pl.String,
    }  # fmt: skip
    frame = pl.DataFrame(rows, schema=schema)
    return (frame if ctx.segment_column else frame.drop("segment")), views


def _view(
    res: ProductResult, ctx: TieredClients, lines: list[dict[str, Any]], h: Histogram, inside: np.ndarray
) -> TierView:
    """The product's `TierView`: from its summary lines and their histogram when its lines are
    the tiers themselves; a segmented product's tiers take one more pass (segments added up)."""
    if res.in_segments is None:
        tiers = {(r["ladder"], r["tier"]): r for r in lines if r["line"] == "tier"}
        return TierView(tiers, _counts(h, ctx.cells))
    cols = res.columns if inside.all() else res.columns.filter(pl.Series(inside))
    cells = len(ctx.cells)
    found, _, _ = figures(res, cols, ctx.codes[inside], cells, "tier")
    tiers = {ctx.cells[r["_cell"]]: r for r in found}
    return TierView(tiers, _counts(histogram(ctx.codes, res.columns["quota"].to_numpy(), cells), ctx.cells))


def _counts(h: Histogram, cells: Sequence[Cell]) -> dict[Cell, dict[int, int]]:
    """Per (ladder, tier) with clients: how many have each quota, from a histogram by cell."""
    out: dict[Cell, dict[int, int]] = {}
    for line, value, count in zip(h.line.tolist(), h.value.tolist(), h.count.tolist(), strict=True):
        out.setdefault(cells[line], {})[value] = count
    return out


def _tier_rows(
    res: ProductResult, codes: np.ndarray, keys: list[tuple[str, str, str]], inside: np.ndarray
) -> tuple[list[dict[str, Any]], Histogram]:
    """One line per (segment, ladder, tier) with clients, then the product's line: its clients
    in the segments (every client without segments), with the same figures; and the lines'
    histogram of quotas."""
    cols = res.columns if inside.all() else res.columns.filter(pl.Series(inside))
    rows, product, h = figures(res, cols, codes, len(keys), "tier")
    for row in rows:
        c = row.pop("_cell")
        row.update(zip(("segment", "ladder", "tier"), keys[c], strict=True))
        row["note"] = _amount_note(res, *keys[c])
    del product["_cell"]
    return [*rows, {**product, "line": "product"}], h


def figures(
    res: ProductResult, cols: pl.DataFrame, codes: np.ndarray, groups: int, line: str
) -> tuple[list[dict[str, Any]], dict[str, Any], Histogram]:
    """The summary figures of each group of clients of a product (`codes`, one per row of
    `cols`: ordered, entitled, quota) that has clients, exact, with the field's metrics (`_cell`
    is the group); the same figures for all of them together; the groups' quota histogram."""
    ordered_s = cols["ordered"]
    has_orders = ordered_s.null_count() == 0
    quota = cols["quota"].to_numpy()
    h = histogram(codes, quota, groups)
    ordered = ordered_s.fill_null(0).to_numpy() if has_orders else None
    got = line_figures(codes, quota, ordered, groups, whole=True, h=h)
    entitled = cell_sums(codes, cols["entitled"].fill_null(0).to_numpy(), groups)
    got["entitled"] = [*entitled, sum(entitled)]
    for what in ("ordered", "entitled", "allocated"):
        if max(got[what][:groups], default=0) > INT64_MAX:
            raise SnapshotError(f"{res.product}: the {what} units of one {line} add up to more than {INT64_MAX}")
    rows = []
    for c in range(groups + 1):
        if c < groups and not got["clients"][c]:
            continue
        rows.append(
            {
                "_cell": c, "product": res.product, "line": line, "segment": "", "ladder": "", "tier": "",
                "clients": got["clients"][c], "ordered": got["ordered"][c] if has_orders else None,
                "entitled": got["entitled"][c], "allocated": got["allocated"][c],
                "fill_rate": _rate(got["allocated"][c], got["ordered"][c]) if has_orders else None,
                "stockout_rate": _rate(got["stocked_out"][c], got["ordering"][c]) if has_orders else None,
                **{name: rounded(got[name][c]) for name in METRICS},
                "min_quota": got["min_quota"][c], "max_quota": got["max_quota"][c], "note": "",
            }
        )  # fmt: skip
    return rows[:-1], rows[-1], h


def _amount_note(res: ProductResult, segment: str, ladder: str, tier: str) -> str:
    if res.segment_amounts is not None:
        return f"amount {res.segment_amounts.get((segment, ladder, tier), 0)}"
    if res.tier_amounts is not None:
        return f"amount {res.tier_amounts.get((ladder, tier), 0)}"
    return ""


def _hand_lines(res: ProductResult) -> list[dict[str, Any]]:
    """Each owner's budget (assigned units in `allocated`, counted in the tier lines too), the
    locks (likewise), and the reserve still held: supply = tier lines + reserve + unallocated."""
    assert res.hand is not None
    rows = []
    for b in res.budgets:
        fate = "released to the policy" if b.released else "kept"
        note = f"{b.owner}: budget {b.units}, assigned {b.assigned} to {_count(b.clients, 'client')}, {b.left} {fate}"
        rows.append({**_line(res.product, "budget", b.assigned, note), "segment": b.segment or "",
                     "clients": b.clients, "entitled": b.units})  # fmt: skip
    locked = res.hand.locked
    if locked.any():
        units = sum(res.hand.lock_quota[locked].tolist())
        note = f"{_count(int(locked.sum()), 'quota')} locked, {_count(units, 'unit')} (counted in the tier lines)"
        rows.append({**_line(res.product, "lock", units, note), "clients": int(locked.sum())})
    if res.reserve:
        assigned = sum(b.assigned for b in res.budgets)
        released = res.hand.released
        kept = ", ".join(f"{b.owner} {b.left}" for b in res.budgets if not b.released and b.left)
        parts = [f"reserve {res.reserve}", f"assigned {assigned}"]
        parts += [f"released {released} to the policy"] if released else []
        parts += [f"kept {res.hand.kept} ({kept})"] if res.hand.kept else []
        rows.append(_line(res.product, "reserve", res.hand.kept, ", ".join(parts)))
    return rows


def _outside_line(res: ProductResult, outside: np.ndarray) -> dict[str, Any]:
    """The clients of a segmented product outside its chosen segments: how many, what they ordered."""
    ordered = res.columns["ordered"].filter(pl.Series(outside))
    n = int(outside.sum())
    return {
        **_line(res.product, "outside", 0, "not in the chosen segments: quota 0"),
        "clients": n,
        "ordered": int(ordered.sum()) if ordered.null_count() == 0 else None,
    }


def tier_amounts_table(results: Sequence[ProductResult], ctx: TieredClients) -> pl.DataFrame | None:
    """product, [segment,] ladder, tier, amount, customers, total: one row per tier (per segment and
    tier with segments) of each tier_amounts product."""
    rows = []
    for res in results:
        if res.tier_amounts is None and res.segment_amounts is None:
            continue
        codes, keys, inside = _groups(res, ctx)
        clients = np.bincount(codes[inside], minlength=len(keys))
        got = np.bincount(codes[inside], weights=res.columns["quota"].to_numpy()[inside], minlength=len(keys))
        for c, (seg, lad, tier) in enumerate(keys):
            if res.segment_amounts is not None and (seg, lad, tier) in res.segment_amounts:
                rows.append(
                    (res.product, seg, lad, tier, res.segment_amounts[(seg, lad, tier)], int(clients[c]), int(got[c]))
                )
            elif res.tier_amounts is not None and (lad, tier) in res.tier_amounts:
                rows.append((res.product, seg, lad, tier, res.tier_amounts[(lad, tier)], int(clients[c]), int(got[c])))
    if not rows:
        return None
    schema = {
        "product": pl.String,
        "segment": pl.String,
        "ladder": pl.String,
        "tier": pl.String,
        "amount": pl.Int64,
        "customers": pl.Int64,
        "total": pl.Int64,
    }
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame if ctx.segment_column else frame.drop("segment")


def _line(product: str, line: str, allocated: int, note: str) -> dict[str, Any]:
    return {
        "product": product,
        "line": line,
        "segment": "",
        "ladder": "",
        "tier": "",
        "allocated": allocated,
        "note": note,
    }


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None
