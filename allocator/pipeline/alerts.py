"""Alerts: the summary figures that cross a threshold of the allocation file, as warning lines.

A threshold `X_below: t` warns for each tier line and each product line whose X is below t;
`X_above: t` for those above t. `fill_rate_gap_above: t` warns for each product (and segment)
whose largest difference in fill rate between two of its tiers is above t. Figures are compared
as summary.csv has them (4 decimals), so what a planner reads there is what was compared.

Lines where no client may receive anything by the rules, whatever the supply (the tier is
outside the window or its per_client entitlement or weight is 0; every client of it is excluded,
ordered nothing or has max_per_client 0) raise no alert: their 0 is what the rules ask for, not a
shortage. A product without orders has no fill rates, so the alerts on them are skipped for it.

Each alert line is a `Said` (allocator/labels.py): a str of its English text, which the batch log
writes as it is, and which the run's output and the report can say in Chinese (`alert_text`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from allocator.inputs.alert_rules import ALERTS, Alerts, merged
from allocator.inputs.product_rules import AllocationRules, ProductRules
from allocator.inputs.product_terms import ProductTerms
from allocator.labels import Said, said_in
from allocator.pipeline.allocation import ProductResult

Line = tuple[str, str, str]  # segment ('' without segments), ladder, tier

LABELS = {
    "fill_rate": "fill rate",
    "full_fill_rate": "full fill rate",
    "coverage": "coverage",
    "gap_rate": "gap rate",
    "top10_share": "top 10% share",
    "gini": "Gini",
}


def thresholds(rules: AllocationRules) -> dict[str, dict[str, float]]:
    """Each product's thresholds, the file's merged with its own (products without any left out)."""
    raw = rules.source.data.get("alerts") if rules.source is not None else None
    top = Alerts.model_validate(raw) if isinstance(raw, dict) else None  # checked when the file was read
    out = {}
    for p in rules.products:
        mine = merged(top, p.spec.alerts)
        if mine:
            out[p.id] = mine
    return out


def open_lines(product: ProductRules, terms: ProductTerms, res: ProductResult) -> set[Line]:
    """The (segment, ladder, tier) lines where some client could receive a unit if the supply
    were unlimited: not excluded, in the window, with an order and a cap above 0, on a tier whose
    entitlement (per_tier) or weight (weighted) is above 0."""
    spec = product.spec
    table = {(lad, t): v for lad, row in (terms.entitlement or {}).items() for t, v in row.items()}
    if spec.policy == "weighted" and product.weights is not None:
        table = {(lad, t): int(v > 0) for lad, row in product.weights.items() for t, v in row.items()}
    ordered = res.columns["ordered"]
    able = res.columns["excluded_by"].is_null() & (ordered.is_null() | (ordered > 0))
    if spec.max_per_client == 0:
        return set()
    segment = res.segment if res.segment is not None else pl.repeat("", res.tiers.height, eager=True)
    frame = res.tiers.select("ladder", "tier").with_columns(segment.alias("segment"), able.alias("able"))
    found = frame.filter(pl.col("able")).select("segment", "ladder", "tier").unique().rows()
    return {
        (seg, lad, t)
        for seg, lad, t in found
        if t in product.window.get(lad, ()) and (not table or table.get((lad, t), 0) > 0)
    }


def variant_alerts(
    rules: AllocationRules,
    products: Sequence[ProductResult],
    terms: Mapping[str, ProductTerms],
    summary: pl.DataFrame,
    several_ladders: bool,
    variant: str | None = None,
) -> list[str]:
    """The alert lines of one variant of a run (`variant` None: the base)."""
    limits = thresholds(rules)
    if not limits:
        return []
    by_id = {p.id: p for p in rules.products}
    lines = {r.product: open_lines(by_id[r.product], terms[r.product], r) for r in products if r.product in limits}
    return alerts_of(summary, limits, lines, several_ladders, variant)


def shown(value: float, column: str = "") -> str:
    """A summary figure or a threshold as people read it: a percentage with at most two decimals
    (exactly what 4 decimal places hold), the Gini coefficient as a number."""
    if column == "gini":
        return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def alert_text(alert: str, lang: str) -> str:
    """An alert line of RunResult.alerts in `lang` (a line made elsewhere: as it is)."""
    return said_in(alert, lang)


def _where(row: dict[str, Any], several_ladders: bool) -> Said:
    """Which line of the summary: every tier of the product, or its segment, ladder and tier."""
    if row["line"] == "product":
        return Said("all tiers")
    segment, tier = row.get("segment"), row["tier"]
    if segment and several_ladders:
        return Said("segment {segment}, ladder {ladder}, tier {tier}", segment=segment, ladder=row["ladder"], tier=tier)
    if segment:
        return Said("segment {segment}, tier {tier}", segment=segment, tier=tier)
    if several_ladders:
        return Said("ladder {ladder}, tier {tier}", ladder=row["ladder"], tier=tier)
    return Said("tier {tier}", tier=tier)


def _variant(variant: str | None) -> Said | str:
    return Said(" (variant {variant})", variant=variant) if variant is not None else ""


def _key(row: dict[str, Any]) -> Line:
    return (row.get("segment") or "", row["ladder"], row["tier"])


def _crossed(value: float | None, threshold: float, way: str) -> bool:
    return value is not None and (value < threshold if way == "below" else value > threshold)


def _gaps(
    product: str, rows: list[dict[str, Any]], limit: float, several_ladders: bool, variant: str | None
) -> list[str]:
    """Per segment of the product, its largest fill-rate difference between two tiers, if above `limit`."""
    by_segment: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        if r["line"] == "tier" and r["fill_rate"] is not None:
            by_segment.setdefault(r.get("segment") or "", []).append(r)
    out: list[str] = []
    for segment, tiers in by_segment.items():
        high = max(tiers, key=lambda r: r["fill_rate"])
        low = min(tiers, key=lambda r: r["fill_rate"])
        gap = round(high["fill_rate"] - low["fill_rate"], 4)
        if gap > limit:
            where = Said("{product}, segment {segment}", product=product, segment=segment) if segment else product
            hi, lo = (_where({**r, "segment": ""}, several_ladders) for r in (high, low))
            out.append(Said(
                "alert: {where}: fill-rate gap {gap} between {high} ({high_rate}) and {low} ({low_rate}) is above "
                "{limit}{variant}", where=where, gap=shown(gap), high=hi, high_rate=shown(high["fill_rate"]), low=lo,
                low_rate=shown(low["fill_rate"]), limit=shown(limit), variant=_variant(variant),
            ))  # fmt: skip
    return out


def alerts_of(
    summary: pl.DataFrame,
    limits: Mapping[str, Mapping[str, float]],
    open_: Mapping[str, set[Line]],
    several_ladders: bool,
    variant: str | None = None,
) -> list[str]:
    """The alert lines of one variant's summary: per product, its open tier lines and its
    product line (when any line is open) in the summary's order, each threshold in the order of
    ALERTS, then its fill-rate gaps between open tiers."""
    out: list[str] = []
    lines = summary.filter(pl.col("line").is_in(["tier", "product"]))
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in lines.iter_rows(named=True):
        rows.setdefault(row["product"], []).append(row)
    for product, every in rows.items():
        limit, where = limits.get(product, {}), open_.get(product, set())
        mine = [r for r in every if (r["line"] == "product" and where) or _key(r) in where]
        for row in mine:
            for name, threshold in limit.items():
                column, way = ALERTS[name]
                if column in LABELS and _crossed(row[column], threshold, way):
                    out.append(Said(
                        "alert: {product}, {where}: {figure} {value} is {way} {threshold}{variant}",
                        product=product, where=_where(row, several_ladders), figure=Said(LABELS[column]),
                        value=shown(row[column], column), way=Said(way), threshold=shown(threshold, column),
                        variant=_variant(variant),
                    ))  # fmt: skip
        if "fill_rate_gap_above" in limit:
            out += _gaps(product, mine, limit["fill_rate_gap_above"], several_ladders, variant)
    return out
