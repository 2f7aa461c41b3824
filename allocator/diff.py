"""`allocator diff`: what a rule change does to real clients, as Markdown for a pull request.

Each side (`--before`, `--after`) names rule files as `allocator.rulediff` reads them: a file,
a folder, or `git:REV:PATH`. With a scenario, the scenario supplies every rule file a side does
not give, the snapshot (unless one is given), the period, the seed and its `supply:` overrides;
a folder holding several files of one kind is resolved by the scenario's file name. Without a
scenario each side must give both rule files, and the seed is 0 and the period "none" (they only
break ties, the same way on both sides). Both sides run on the same snapshot, each as a one-off
scenario through `run_scenario`, so a diff shows exactly what `allocator run` would.

Without a scenario, sides that give tiering files only are compared on their tiers alone (the
reviewer of a tiering-only pull request still sees the migration); quotas need an allocation file.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from allocator.allocation_rules import AllocationRules, ProductRules
from allocator.errors import AllocatorError
from allocator.escape import markdown, markdown_code
from allocator.files import display_path
from allocator.reading import file_problem
from allocator.rulediff import KINDS, RuleFile, complete, file_changes, load_side, load_tiering_side, rule_files
from allocator.runner import run_scenario
from allocator.scenarios import NO_PERIOD, Scenario, load_scenario, snapshot_columns
from allocator.snapshots import load_snapshot
from allocator.tiering import tier_clients
from allocator.tiering_rules import TieringRules

TOP = 20
ZERO = "·"
NEEDS_ALLOCATION = (
    "Quotas need an allocation file: give --before and --after a folder holding both rule files, "
    "or --scenario to supply the allocation file."
)
QUOTA_COLUMNS = {
    "client_id": pl.String,
    "product": pl.String,
    "ladder": pl.String,
    "tier": pl.String,
    "ordered": pl.Int64,
    "entitled": pl.Int64,
    "quota": pl.Int64,
}


@dataclass(frozen=True)
class Side:
    files: dict[str, RuleFile]
    tiering: TieringRules
    allocation: AllocationRules | None  # None: tiers only (no allocation file on either side)
    tiers: pl.DataFrame  # client_id, ladder, tier, placed_by
    quotas: pl.DataFrame  # client_id, product, ladder, tier, ordered, entitled, quota


def diff(before: str, after: str, snapshot: Path | None, scenario: Path | None) -> tuple[str, bool]:
    """Markdown comparing two rule versions on one snapshot, and whether anything differs."""
    spec = load_scenario(scenario) if scenario is not None else None
    snap = snapshot if snapshot is not None else spec.snapshot if spec is not None else None
    if snap is None:
        raise AllocatorError("diff needs a snapshot: give --snapshot, or --scenario whose snapshot is used")
    if why := file_problem(snap):  # a FIFO or device would block or never end
        raise AllocatorError(f"{display_path(snap)}: {why}")
    with tempfile.TemporaryDirectory(prefix="allocator-diff-") as tmp:
        given = {
            name: rule_files(text, name, Path(tmp) / name, spec)
            for name, text in (("before", before), ("after", after))
        }
        if spec is None and not any("allocation" in files for files in given.values()):
            sides = {name: _tiers_only(files, snap) for name, files in given.items()}
            changes = {"tiering": file_changes(given["before"]["tiering"], given["after"]["tiering"])}
        else:
            files = {
                name: complete(given[name], name, text, spec) for name, text in (("before", before), ("after", after))
            }
            loaded = {name: load_side(f) for name, f in files.items()}
            sides = _run_sides(files, loaded, snap, spec, Path(tmp))
            changes = {kind: file_changes(files["before"][kind], files["after"][kind]) for kind in KINDS}
    return _markdown(sides["before"], sides["after"], changes, snap, scenario, spec)


def _tiers_only(files: dict[str, RuleFile], snap: Path) -> Side:
    """A side with a tiering file alone: its tiers on the snapshot, as `allocator run` places them."""
    tiering = load_tiering_side(files["tiering"])
    clients = load_snapshot(snap, display_path(snap), snapshot_columns(tiering, None))
    _, tiers = tier_clients(tiering, clients)
    quotas = pl.DataFrame(schema=QUOTA_COLUMNS)
    return Side(files, tiering, None, tiers.select("client_id", "ladder", "tier", "placed_by"), quotas)


def _run_sides(
    files: dict[str, dict[str, RuleFile]],
    loaded: dict[str, tuple[TieringRules, AllocationRules]],
    snap: Path,
    spec: Scenario | None,
    tmp: Path,
) -> dict[str, Side]:
    """Run each side as a one-off scenario: the same run as `allocator run`, base variant only."""
    out = {}
    for name, (t, a) in loaded.items():
        overrides = spec.spec.supply if spec is not None else {}
        supply = {p.id: overrides[p.id] for p in a.products if p.id in overrides}
        scenario = {
            "kind": "scenario",
            "version": 1,
            "name": f"diff {name}",
            "snapshot": str(snap.resolve()),
            "tiering": str(files[name]["tiering"].path.resolve()),
            "allocation": str(files[name]["allocation"].path.resolve()),
            "period": spec.spec.period if spec is not None else NO_PERIOD,
            "seed": spec.spec.seed if spec is not None else 0,
            "supply": supply,
        }
        path = tmp / f"{name}-scenario.yaml"
        path.write_text(json.dumps(scenario, ensure_ascii=False), encoding="utf-8")
        result = run_scenario(path)
        base = result.variants[0]
        cols = ["client_id", "product", "ladder", "tier", "ordered", "entitled", "quota"]
        quotas = pl.concat([p.quotas.select(cols) for p in base.products])
        out[name] = Side(files[name], t, a, result.tiers.select("client_id", "ladder", "tier", "placed_by"), quotas)
    return out


# ----------------------------------------------------------------------------- markdown


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _ba(before: object, after: object) -> str:
    shown = ["—" if v is None else str(v) for v in (before, after)]
    return shown[0] if shown[0] == shown[1] else f"{shown[0]} → {shown[1]}"


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _signed(n: int) -> str:
    return f"+{n}" if n > 0 else str(n)


def _table(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """A Markdown table: `header` is Markdown already (the caller escapes ids in it); every row cell is data."""
    align = [":--" if i < left else "--:" for i in range(len(header))]
    body = [[markdown(c) for c in r] for r in rows]
    return ["| " + " | ".join(r) + " |" for r in (header, align, *body)]


def _markdown(
    b: Side, a: Side, changes: dict[str, list[str]], snap: Path, scenario: Path | None, spec: Scenario | None
) -> tuple[str, bool]:
    t = b.tiers.join(a.tiers, on="client_id", how="full", coalesce=True, suffix="_after")
    moved_tier = (t["ladder"] != t["ladder_after"]) | (t["tier"] != t["tier_after"])
    qb = b.quotas.select("client_id", "product", "quota")
    qa = a.quotas.select("client_id", "product", pl.col("quota").alias("quota_after"))
    q = qb.join(qa, on=["client_id", "product"], how="full", coalesce=True).fill_null(0)
    quota_moves = q.filter(pl.col("quota") != pl.col("quota_after"))
    n_tier = int(moved_tier.sum())
    groups = _tier_groups(b, a)
    units = _units_moved(groups)
    tiers_only = b.allocation is None
    changed = bool(any(changes.values()) or n_tier or quota_moves.height)
    net = sum((r["allocated_after"] or 0) - (r["allocated"] or 0) for r in groups)
    more = f", {_plural(abs(net), 'more unit', 'more units')} allocated" if net > 0 else ""
    more = f", {_plural(-net, 'unit', 'units')} less allocated" if net < 0 else more
    title = f"{_plural(n_tier, 'client changes', 'clients change')} tier"
    title += "" if tiers_only else f", {_plural(units, 'unit moves', 'units move')} between tiers{more}"
    lines = [
        f"## Allocator diff: {title}" if changed else "## Allocator diff: no change",
        "",
        *_sources(b, a, snap, t.height, scenario, spec),
        "",
    ]
    if not changed:
        return "\n".join(
            [*lines, "No rule or tier changes." if tiers_only else "No rule, tier or quota changes.", ""]
        ), False
    lines += ["### Rule changes", ""]
    for kind, items in changes.items():
        lines += (
            [f"{kind.capitalize()}:", *("- " + markdown_code(c) for c in items), ""]
            if items
            else [f"{kind.capitalize()}: no change.", ""]
        )
    lines += ["### Tier migration", "", *_migration(b, a, t)]
    lines += ["### Quotas", "", NEEDS_ALLOCATION, ""] if tiers_only else ["### Quotas by product and tier", ""]
    lines += [] if tiers_only else _quota_table(groups, b, a)
    lines += _clients(b, a, t.with_columns(moved_tier.alias("moved")), q)
    return "\n".join(lines), True


def _sources(b: Side, a: Side, snap: Path, n: int, scenario: Path | None, spec: Scenario | None) -> list[str]:
    out = []
    for name, side in (("before", b), ("after", a)):
        parts = [
            f"{kind} {markdown_code(f.label)}" + (" (from the scenario)" if f.from_scenario else "")
            for kind, f in side.files.items()
        ]
        out.append(f"- {name}: " + ", ".join(parts))
    where = f"- snapshot {markdown_code(display_path(snap))} ({_plural(n, 'client', 'clients')})"
    if b.allocation is None:
        out.append(f"{where}, no scenario and no allocation file: tiers only")
    elif spec is not None and scenario is not None:
        period = markdown(spec.spec.period)
        out.append(f"{where}, scenario {markdown_code(display_path(scenario))}, period {period}, seed {spec.spec.seed}")
        for pid, supply in spec.spec.supply.items():
            out.append(f"- supply of {markdown(pid)} set to {supply} by the scenario, on both sides")
    else:
        out.append(f"{where}, no scenario: seed 0, period none (they only break ties)")
    return out


def _migration(b: Side, a: Side, t: pl.DataFrame) -> list[str]:
    counts = t.group_by("ladder", "ladder_after", "tier", "tier_after").len().rows()
    pairs: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
    for lb, la, tb, ta, n in counts:
        pairs.setdefault((lb, la), {})[(tb, ta)] = n
    ladder_order = [*b.tiering.ladders, *(lad for lad in a.tiering.ladders if lad not in b.tiering.ladders)]
    out: list[str] = []
    still: list[str] = []
    for (lb, la), cells in sorted(
        pairs.items(), key=lambda p: (ladder_order.index(p[0][0]), ladder_order.index(p[0][1]))
    ):
        if lb == la and all(tb == ta for tb, ta in cells):
            still.append(f"{markdown(lb)} ({_plural(sum(cells.values()), 'client', 'clients')})")
            continue
        rows_t = [*b.tiering.ladders.get(lb, ()), *sorted({tb for tb, _ in cells} - set(b.tiering.ladders.get(lb, ())))]
        cols_t = [*a.tiering.ladders.get(la, ()), *sorted({ta for _, ta in cells} - set(a.tiering.ladders.get(la, ())))]
        title = (
            f"Ladder {markdown(lb)}"
            if lb == la
            else f"Clients moving from ladder {markdown(lb)} to ladder {markdown(la)}"
        )
        rows = []
        for tb in [*rows_t, None]:
            row = [cells.get((tb, ta), 0) if tb else sum(cells.get((r, ta), 0) for r in rows_t) for ta in cols_t]
            rows.append([tb or "total", *(str(v) if v else ZERO for v in row), str(sum(row))])
        out += [
            f"{title} (rows: tier before, columns: tier after):",
            "",
            *_table(["before \\ after", *map(markdown, cols_t), "total"], rows, 1),
            "",
        ]
    if still:
        out += ["No client changes tier on " + _joined(still) + ".", ""]
    return out


def _products(side: Side) -> list[ProductRules]:
    return list(side.allocation.products) if side.allocation is not None else []


def _tier_groups(b: Side, a: Side) -> list[dict[str, Any]]:
    """Per product, ladder and tier: clients, entitled, allocated and fill rate on both sides."""

    def stats(side: Side, suffix: str) -> pl.DataFrame:
        return side.quotas.group_by("product", "ladder", "tier").agg(
            pl.len().alias("clients" + suffix),
            pl.col("entitled").sum().alias("entitled" + suffix),
            pl.col("quota").sum().alias("allocated" + suffix),
            pl.when(pl.col("ordered").null_count() == 0).then(pl.col("ordered").sum()).alias("ordered" + suffix),
        )

    rows = stats(b, "").join(stats(a, "_after"), on=["product", "ladder", "tier"], how="full", coalesce=True).to_dicts()
    for side, suffix in ((b, ""), (a, "_after")):
        orders = {p.id: p.spec.order_column for p in _products(side)}
        for r in rows:
            if r["product"] in orders and r["clients" + suffix] is None:  # no client in this tier on this side
                r.update({k + suffix: 0 for k in ("clients", "entitled", "allocated")})
                r["ordered" + suffix] = 0 if orders[r["product"]] else None
    products = [p.id for p in _products(b)] + [p.id for p in _products(a)]
    ladders = {k: list(v) for k, v in b.tiering.ladders.items()}
    ladders.update({k: list(v) for k, v in a.tiering.ladders.items() if k not in ladders})
    lad_order = list(ladders)

    def key(r: dict[str, Any]) -> tuple[int, int, int, str]:
        tiers = ladders.get(r["ladder"], [])
        return (
            products.index(r["product"]),
            lad_order.index(r["ladder"]) if r["ladder"] in ladders else 99,
            tiers.index(r["tier"]) if r["tier"] in tiers else len(tiers),
            r["tier"],
        )

    return sorted(rows, key=key)


def _units_moved(groups: list[dict[str, Any]]) -> int:
    """Units that leave one tier for another: per product, the smaller of the units gained and lost."""
    gained: dict[str, int] = {}
    lost: dict[str, int] = {}
    for r in groups:
        d = (r["allocated_after"] or 0) - (r["allocated"] or 0)
        gained[r["product"]] = gained.get(r["product"], 0) + max(d, 0)
        lost[r["product"]] = lost.get(r["product"], 0) + max(-d, 0)
    return sum(min(gained[p], lost[p]) for p in gained)


def _fill(allocated: int | None, ordered: int | None) -> str | None:
    return f"{allocated / ordered * 100:.1f}%" if allocated is not None and ordered else None


def _quota_table(groups: list[dict[str, Any]], b: Side, a: Side) -> list[str]:
    keys = ("clients", "entitled", "allocated")
    rows, same = [], 0
    totals: dict[str, dict[str, int | None]] = {}
    for r in groups:
        tot = totals.setdefault(r["product"], {})
        for k in (*keys, *(k + "_after" for k in keys)):
            tot[k] = (tot.get(k) or 0) + (r[k] or 0)
        for k in ("ordered", "ordered_after"):
            had = tot.get(k, 0)
            tot[k] = None if had is None or r[k] is None else had + r[k]
        if all(r[k] == r[k + "_after"] for k in keys):
            same += 1
            continue
        delta = (r["allocated_after"] or 0) - (r["allocated"] or 0)
        fill = _ba(_fill(r["allocated"], r["ordered"]), _fill(r["allocated_after"], r["ordered_after"]))
        rows.append(
            [r["product"], r["ladder"], r["tier"], *(_ba(r[k], r[k + "_after"]) for k in keys), _signed(delta), fill]
        )
    if not rows:
        return ["No quota changes.", ""]
    shown = {row[0] for row in rows}
    for pid, tot in totals.items():
        if pid in shown:
            delta = (tot["allocated_after"] or 0) - (tot["allocated"] or 0)
            fill = _ba(_fill(tot["allocated"], tot["ordered"]), _fill(tot["allocated_after"], tot["ordered_after"]))
            rows.append([pid, "all", "", *(_ba(tot[k], tot[k + "_after"]) for k in keys), _signed(delta), fill])
    rows.sort(key=lambda r: ([g["product"] for g in groups].index(r[0]), r[1] == "all"))
    header = ["product", "ladder", "tier", "clients", "entitled", "allocated", "Δ allocated", "fill rate"]
    note = [f"{_plural(same, 'product/tier row', 'product/tier rows')} without change not shown.", ""] if same else []
    return [*_table(header, rows, 3), "", *note]


def _clients(b: Side, a: Side, t: pl.DataFrame, q: pl.DataFrame) -> list[str]:
    delta = q.group_by("client_id").agg((pl.col("quota") - pl.col("quota_after")).abs().sum().alias("dq"))
    t = t.join(delta, on="client_id", how="left").with_columns(pl.col("dq").fill_null(0))
    hit = t.filter(pl.col("moved") | (pl.col("dq") > 0) | pl.col("placed_by").ne_missing(pl.col("placed_by_after")))
    if hit.height == 0:
        return ["No client is affected.", ""]

    def ranks(side: Side, suffix: str) -> pl.DataFrame:
        cells = [(lad, t, i) for lad, ts in side.tiering.ladders.items() for i, t in enumerate(ts)]
        names = ["ladder" + suffix, "tier" + suffix, "rank" + suffix]
        return pl.DataFrame(cells, schema=dict.fromkeys(names[:2], pl.String) | {names[2]: pl.Int64}, orient="row")

    ranked = hit.join(ranks(b, ""), on=["ladder", "tier"], how="left").join(
        ranks(a, "_after"), on=["ladder_after", "tier_after"], how="left"
    )
    steps = (pl.col("rank") - pl.col("rank_after")).abs().fill_null(1).alias("steps")  # other ladder: one step
    rows = ranked.with_columns(steps).sort(["dq", "steps", "client_id"], descending=[True, True, False]).head(TOP)
    ids = rows["client_id"].to_list()
    products = list(dict.fromkeys([p.id for p in _products(b)] + [p.id for p in _products(a)]))
    quotas: dict[tuple[str, str], tuple[int | None, int | None]] = {}
    for name, side in (("b", b), ("a", a)):
        for cid, pid, quota in (
            side.quotas.filter(pl.col("client_id").is_in(ids)).select("client_id", "product", "quota").rows()
        ):
            old = quotas.get((cid, pid), (None, None))
            quotas[(cid, pid)] = (quota, old[1]) if name == "b" else (old[0], quota)
    table = [
        [
            r["client_id"],
            _ba(r["ladder"], r["ladder_after"]),
            _ba(r["tier"], r["tier_after"]),
            _ba(r["placed_by"] or "default", r["placed_by_after"] or "default"),
            *(_ba(*quotas.get((r["client_id"], pid), (None, None))) for pid in products),
        ]
        for r in rows.to_dicts()
    ]
    shown = f"{TOP} of {hit.height}" if hit.height > TOP else _plural(hit.height, "client", "clients")
    order = "by tier change, then id" if b.allocation is None else "by quota change, then tier change, then id"
    title = f"### Most affected clients ({shown}; {order})"
    header = ["client", "ladder", "tier", "placed by", *map(markdown, products)]
    return [title, "", *_table(header, table, 4), ""]
