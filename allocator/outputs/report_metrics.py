"""The report's field metrics: the alerts, each product's metrics per tier, and the variants side by side.

Per tier, a product with segments has its segments added up (its clients in the segments only),
worked out by the summary's pass with the same functions as summary.csv (`TierView`), so the
concentration figures stay exact; the product's own line is summary.csv's `product` line. No
per-client data is read here.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from allocator.inputs.alert_rules import ALERTS
from allocator.labels import words
from allocator.outputs.svg import esc
from allocator.pipeline.alerts import LABELS, alert_text, shown, thresholds
from allocator.pipeline.run import RunResult, VariantResult

# (summary column, header, what it is) in the order of summary.csv
METRIC_COLUMNS = (
    ("fill_rate", "fill rate", "订单满足率: allocated ÷ ordered"),
    ("full_fill_rate", "full fill", "订足面: share of the ordering clients whose order was fully met"),
    ("coverage", "coverage", "投放面: share of the clients that got more than 0"),
    ("gap_rate", "gap", "需求缺口率: (ordered − allocated) ÷ ordered"),
    ("top10_share", "top 10 %", "share of the units held by the top 10 % of clients by quota"),
    ("gini", "Gini", "Gini coefficient of the quotas: 0 when all are equal"),
)
SIDE_BY_SIDE = (("allocated", "allocated"), ("fill_rate", "fill rate"), ("coverage", "coverage"),
                ("full_fill_rate", "full fill rate"))  # fmt: skip


def figure(value: Any, column: str) -> str:
    """A figure as the report shows it: rates in %, the Gini coefficient to 3 decimals, counts with commas."""
    if value is None:
        return "–"
    if column == "gini":
        return f"{value:.3f}"
    if isinstance(value, float):
        return f"{value:.1%}"
    return f"{value:,}"


def tier_figures(variant: VariantResult, pid: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The product's figures per (ladder, tier) with clients, segments added up, best tier first
    (from the summary's pass: `TierView`)."""
    return variant.views[pid].figures


def product_line(variant: VariantResult, pid: str) -> dict[str, Any]:
    """The product's own line of the variant's summary: every tier (of its segments)."""
    rows = variant.summary.filter((pl.col("product") == pid) & (pl.col("line") == "product")).to_dicts()
    return rows[0] if rows else {}


def metrics_table(result: RunResult, pid: str, rows: dict[tuple[str, str], dict[str, Any]]) -> str:
    """Base: the field's metrics per tier (segments added up) and for the whole product."""
    w = words(result.scenario.spec.lang)
    several = len(result.scenario.tiering.ladders) > 1
    counts = ("clients", "ordered", "allocated")
    head = ["ladder"] * several + ["tier", *counts, *(h for _, h, _ in METRIC_COLUMNS)]
    cells = "".join(f'<th scope="col"{"" if h in ("ladder", "tier") else " class=n"}>{esc(w(h))}</th>' for h in head)
    body = []
    for (lad, tier), r in rows.items():
        keys = [lad] * several + [tier]
        body.append(_metric_row(keys, r))
    whole = product_line(result.variants[0], pid)
    if whole:
        body.append(_metric_row([w("all tiers")] + [""] * several, whole, "first"))
    legend = "; ".join(f"<b>{esc(w(h))}</b> {esc(w(what))}" for _, h, what in METRIC_COLUMNS)
    caption = w("{product}: the field's metrics per tier, base", product=esc(pid))
    return (
        f'<h3>{w("Metrics")}</h3><div class="scroll"><table class="metrics"><caption>{caption}'
        f"</caption><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        f'<p class="muted">{legend}.</p>'
    )


def _metric_row(keys: list[str], row: dict[str, Any], cls: str = "") -> str:
    heads = "".join(f'<th scope="row">{esc(k)}</th>' for k in keys)
    nums = [figure(row.get(c), c) for c in ("clients", "ordered", "allocated")]
    nums += [figure(row.get(c), c) for c, _, _ in METRIC_COLUMNS]
    tds = "".join(f'<td class="n">{esc(v)}</td>' for v in nums)
    return f'<tr class="{cls}">{heads}{tds}</tr>'


def variants_section(result: RunResult) -> str:
    """Per product, the base and each variant side by side: allocated, fill rate, coverage, full fill rate."""
    if len(result.variants) < 2:
        return ""
    w = words(result.scenario.spec.lang)
    names = [v.name for v in result.variants]
    head = "".join(f'<th scope="col" class="var">{esc(n)}</th>' for n in names)
    body = []
    for p in result.variants[0].products:
        lines = [product_line(v, p.product) for v in result.variants]
        for k, (column, label) in enumerate(SIDE_BY_SIDE):
            th = f'<th scope="rowgroup" rowspan="{len(SIDE_BY_SIDE)}">{esc(p.product)}</th>' if k == 0 else ""
            values = "".join(f"<td>{esc(figure(line.get(column), column))}</td>" for line in lines)
            body.append(f'<tr class="{"first" if k == 0 else ""}">{th}<th scope="row">{esc(w(label))}</th>{values}</tr>')
    said = w("Each product as a whole (its <code>product</code> line in summary.csv): base and every variant.")
    return (
        f'<section id="variants"><h2>{w("Variants side by side")}</h2><p class="muted">{said}</p>'
        f'<div class="scroll"><table class="side"><caption>{w("Variants side by side, per product")}</caption>'
        f'<thead><tr><th scope="col">{w("product")}</th><th scope="col">{w("figure")}</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def alerts_section(result: RunResult) -> str:
    """The thresholds of the allocation file and every alert the run raised; nothing without thresholds."""
    limits = thresholds(result.scenario.allocation)
    if not limits and not result.alerts:
        return ""
    lang = result.scenario.spec.lang
    w = words(lang)
    groups: dict[tuple[tuple[str, float], ...], list[str]] = {}
    for pid, mine in limits.items():
        groups.setdefault(tuple(mine.items()), []).append(pid)
    sets = []
    for items, pids in groups.items():
        said = ", ".join(_threshold(name, value, lang) for name, value in items)
        sets.append(f"<li>{esc(', '.join(pids))}: {esc(said)}</li>")
    found = (
        '<ul class="alerts">' + "".join(f"<li>{esc(alert_text(a, result.scenario.spec.lang))}</li>" for a in result.alerts) + "</ul>"
        if result.alerts
        else f"<p>{w('No threshold was crossed.')}</p>"
    )
    n = len(result.alerts)
    count = w("{n} alert" if n == 1 else "{n} alerts", n=n) if result.alerts else w("no alerts")
    return (
        f'<section id="alerts"><h2>{w("Alerts: {count}", count=count)}</h2>{found}<h3>{w("Thresholds")}</h3>'
        f'<ul class="variants">{"".join(sets)}</ul></section>'
    )


def _threshold(name: str, value: float, lang: str) -> str:
    w = words(lang)
    column, way = ALERTS[name]
    label = LABELS.get(column, "fill-rate gap between tiers")
    return f"{w(label)} {w(way)} {shown(value, column)}"
