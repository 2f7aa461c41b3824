"""The report's printable table of cartons per shop: rows segment / ladder / tier, columns brands.

A cell is the tier's amount for a `tier_amounts` product (what the plan gives each shop of the
tier, before a shop's own cap or multiplier), and for other policies the quota the tier's shops
got: one number when they all got the same, "min–max" when they differ. Wide runs are split into
tables of at most BRANDS_PER_TABLE brands, so that each fits the width of a printed page.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from allocator.labels import words
from allocator.outputs.svg import esc
from allocator.pipeline.allocation import ProductResult
from allocator.pipeline.run import RunResult

BRANDS_PER_TABLE = 8
Row = tuple[str, str, str]  # segment ('' without), ladder, tier


def _cell(res: ProductResult, row: dict[str, Any]) -> str:
    key = (row.get("segment") or "", row["ladder"], row["tier"])
    if res.segment_amounts is not None and key in res.segment_amounts:
        return f"{res.segment_amounts[key]:,}"
    if res.tier_amounts is not None and key[1:] in res.tier_amounts:
        return f"{res.tier_amounts[key[1:]]:,}"
    low, high = row["min_quota"], row["max_quota"]
    return f"{low:,}" if low == high else f"{low:,}–{high:,}"


def cartons_section(result: RunResult) -> str:
    """The base's cartons per shop by tier and brand, as plain table cells (they print, unlike hover titles)."""
    base = result.variants[0]
    tiers = base.summary.filter(pl.col("line") == "tier")
    if tiers.height == 0:
        return ""
    w = words(result.scenario.spec.lang)
    products = {p.product: p for p in base.products}
    names = {p.id: p.spec.name for p in result.scenario.allocation.products}
    order = [(lad, t) for lad, ts in result.scenario.tiering.ladders.items() for t in ts]
    cells: dict[Row, dict[str, str]] = {}
    shops: dict[Row, int] = {}
    for row in tiers.iter_rows(named=True):
        key = (row.get("segment") or "", row["ladder"], row["tier"])
        cells.setdefault(key, {})[row["product"]] = _cell(products[row["product"]], row)
        shops.setdefault(key, row["clients"])
    rows = sorted(cells, key=lambda k: (k[0] != "", k[0], order.index(k[1:])))
    brands = list(dict.fromkeys(tiers["product"].to_list()))
    segmented, several = any(k[0] for k in rows), len(result.scenario.tiering.ladders) > 1
    tables = []
    for start in range(0, len(brands), BRANDS_PER_TABLE):
        part = brands[start : start + BRANDS_PER_TABLE]
        head = ["segment"] * segmented + ["ladder"] * several + ["tier"]
        heads = "".join(f'<th scope="col">{w(h)}</th>' for h in head) + f'<th scope="col" class="n">{w("shops")}</th>'
        heads += "".join(
            f'<th scope="col" class="brand">{esc(b)}'
            + (f"<span>{esc(names[b])}</span>" if names.get(b) else "")
            + "</th>"
            for b in part
        )
        body = []
        for k, key in enumerate(rows):
            labels = [key[0]] * segmented + [key[1]] * several + [key[2]]
            first = ' class="first"' if k and key[:2] != rows[k - 1][:2] else ""
            th = "".join(f'<th scope="row">{esc(x)}</th>' for x in labels)
            tds = "".join(f"<td>{esc(cells[key].get(b, '–'))}</td>" for b in part)
            body.append(f'<tr{first}>{th}<td class="n">{shops[key]:,}</td>{tds}</tr>')
        caption = w("Cartons per shop by tier and brand, base")
        if len(brands) > BRANDS_PER_TABLE:
            caption += w(" (brands {first}–{last} of {n})", first=start + 1, last=start + len(part), n=len(brands))
        tables.append(
            f'<div class="scroll"><table class="cartons"><caption>{caption}</caption><thead><tr>{heads}</tr>'
            f"</thead><tbody>{''.join(body)}</tbody></table></div>"
        )
    note = '<p class="muted">' + w(
        "A tier-amounts product shows its amount per shop of the tier; other products the quota its shops got "
        "(min–max where they differ). – : the brand has no shop there. Shops: the tier's shops for the first brand "
        "that has the row."
    ) + "</p>"
    return f'<section id="cartons"><h2>{w("Cartons per shop")}</h2>{note}{"".join(tables)}</section>'
