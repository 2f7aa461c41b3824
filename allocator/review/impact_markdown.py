"""The Markdown of an impact diff, for a pull request: every id and value from the inputs escaped."""

from __future__ import annotations

from typing import Any

from allocator.escape import markdown, markdown_code
from allocator.review.impact import NEEDS_ALLOCATION, TOP, ZERO_CELL, Impact, Side


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


def render_impact(found: Impact) -> str:
    """The Markdown of a diff: a title with the headline figures, sources, then what changed."""
    b, a, net, tiers_only = found.before, found.after, found.net, found.tiers_only
    more = f", {_plural(abs(net), 'more unit', 'more units')} allocated" if net > 0 else ""
    more = f", {_plural(-net, 'unit', 'units')} less allocated" if net < 0 else more
    title = f"{_plural(found.tier_moves, 'client changes', 'clients change')} tier"
    title += "" if tiers_only else f", {_plural(found.units_moved, 'unit moves', 'units move')} between tiers{more}"
    lines = [
        f"## Allocator diff: {title}" if found.changed else "## Allocator diff: no change",
        "",
        *_sources(found),
        "",
    ]
    if not found.changed:
        return "\n".join([*lines, "No rule or tier changes." if tiers_only else "No rule, tier or quota changes.", ""])
    lines += ["### Rule changes", ""]
    for kind, items in found.changes.items():
        lines += (
            [f"{kind.capitalize()}:", *("- " + markdown_code(c) for c in items), ""]
            if items
            else [f"{kind.capitalize()}: no change.", ""]
        )
    lines += ["### Tier migration", "", *_migration(b, a, found.tiers)]
    lines += ["### Quotas", "", NEEDS_ALLOCATION, ""] if tiers_only else ["### Quotas by product and tier", ""]
    lines += [] if tiers_only else [*_quota_table(found.groups), *_metrics(found)]
    lines += _clients(found)
    return "\n".join(lines)


def _sources(found: Impact) -> list[str]:
    b, a, spec, scenario, n = found.before, found.after, found.spec, found.scenario, found.clients
    out = []
    for name, side in (("before", b), ("after", a)):
        parts = [
            f"{kind} {markdown_code(f.label)}" + (" (from the scenario)" if f.from_scenario else "")
            for kind, f in side.files.items()
        ]
        out.append(f"- {name}: " + ", ".join(parts))
    where = f"- snapshot {markdown_code(found.snapshot)} ({_plural(n, 'client', 'clients')})"
    if b.allocation is None:
        out.append(f"{where}, no scenario and no allocation file: tiers only")
    elif spec is not None and scenario is not None:
        period = markdown(spec.spec.period)
        out.append(f"{where}, scenario {markdown_code(scenario)}, period {period}, seed {spec.spec.seed}")
        for pid, supply in spec.spec.supply.items():
            out.append(f"- supply of {markdown(pid)} set to {supply} by the scenario, on both sides")
    else:
        out.append(f"{where}, no scenario: seed 0, period none (they only break ties)")
    return out


def _migration(b: Side, a: Side, t: Any) -> list[str]:
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
            rows.append([tb or "total", *(str(v) if v else ZERO_CELL for v in row), str(sum(row))])
        out += [
            f"{title} (rows: tier before, columns: tier after):",
            "",
            *_table(["before \\ after", *map(markdown, cols_t), "total"], rows, 1),
            "",
        ]
    if still:
        out += ["No client changes tier on " + _joined(still) + ".", ""]
    return out


def _fill(allocated: int | None, ordered: int | None) -> str | None:
    return f"{allocated / ordered * 100:.1f}%" if allocated is not None and ordered else None


def _quota_table(groups: list[dict[str, Any]]) -> list[str]:
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
        tier = f"{r['tier']} · {r['segment']}" if r.get("segment") else r["tier"]
        rows.append([r["product"], r["ladder"], tier, *(_ba(r[k], r[k + "_after"]) for k in keys), _signed(delta), fill])
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


def _pct(v: Any, column: str) -> str | None:
    if v is None:
        return None
    return f"{v:.3f}" if column == "gini" else f"{v * 100:.1f}%"


METRICS = (("fill_rate", "fill rate"), ("full_fill_rate", "full fill"), ("coverage", "coverage"),
           ("gap_rate", "gap"), ("top10_share", "top 10 %"), ("gini", "Gini"))  # fmt: skip


def _metrics(found: Impact) -> list[str]:
    """Per product, summary.csv's product line before and after: the field's metrics."""
    before = {r["product"]: r for r in found.before.products}
    after = {r["product"]: r for r in found.after.products}
    rows, same = [], 0
    for pid in found.movers.products:
        b, a = before.get(pid, {}), after.get(pid, {})
        cells = [_ba(_pct(b.get(c), c), _pct(a.get(c), c)) for c, _ in METRICS]
        if b.get("allocated") == a.get("allocated") and all("→" not in c for c in cells):
            same += 1
            continue
        rows.append([pid, _ba(b.get("clients"), a.get("clients")), _ba(b.get("allocated"), a.get("allocated")), *cells])
    if not rows:
        return []
    header = ["product", "clients", "allocated", *(h for _, h in METRICS)]
    note = [f"{_plural(same, 'product', 'products')} without change not shown.", ""] if same else []
    return ["### Metrics by product", "", *_table(header, rows, 1), "", *note]


def _clients(found: Impact) -> list[str]:
    movers = found.movers
    if movers.total == 0:
        return ["No client is affected.", ""]
    products, quotas = movers.products, movers.quotas
    header = ["client", "ladder", "tier", "placed by", *map(markdown, products)]
    if found.tiers_only:
        titles = ("Moved to a better tier", "Moved to a worse tier", "Other affected clients")
        orders = ("by tiers moved, then id",) * 2 + ("by tier change, then id",)
    else:
        titles = ("Gainers", "Losers", "Other affected clients")
        orders = ("by units gained, then tier change, then id", "by units lost, then tier change, then id",
                  "nothing gained or lost in all; by quota change, then tier change, then id")  # fmt: skip
    out: list[str] = []
    for rows, total, title, order in zip(
        (movers.gainers, movers.losers, movers.others), movers.counts, titles, orders, strict=True
    ):
        if not total:
            continue
        table = [
            [
                r["client_id"],
                _ba(r["ladder"], r["ladder_after"]),
                _ba(r["tier"], r["tier_after"]),
                _ba(r["placed_by"] or "default", r["placed_by_after"] or "default"),
                *(_ba(*quotas.get((r["client_id"], pid), (None, None))) for pid in products),
            ]
            for r in rows
        ]
        shown = f"{TOP} of {total}" if total > TOP else _plural(total, "client", "clients")
        out += [f"### {title} ({shown}; {order})", "", *_table(header, table, 4), ""]
    return out
