"""The HTML report of a run: one self-contained file a planner can open, print or attach.

Inline CSS and inline SVG only: no scripts, fonts, images or anything else loaded from outside,
so the file reads the same offline and years later. Every string that came from an input file
(names, ids, notes) is escaped. Nothing in it depends on time or timings, so the same run gives
the same bytes. The summary tables carry each cell exactly as summary.csv has it, in `data-value`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from pydantic import BaseModel

from allocator import __version__
from allocator.inputs.models import Variant
from allocator.inputs.scenarios import BASE, snapshot_spec
from allocator.labels import PHRASES, words
from allocator.outputs.report_amounts import cartons_section
from allocator.outputs.report_metrics import alerts_section, metrics_table, tier_figures, variants_section
from allocator.outputs.report_people import people_section
from allocator.outputs.report_style import CJK_CSS, CSS
from allocator.outputs.svg import (
    RATES,
    Scale,
    Series,
    count_axis,
    esc,
    grouped_bars,
    heat_table,
    legend,
    series_colour,
    stacked_bar,
    value_bins,
)

if TYPE_CHECKING:  # runner.py imports this module to write report.html
    from allocator.pipeline.allocation import ProductResult
from allocator.pipeline.run import RunResult, VariantResult

INT_COLUMNS = ("clients", "ordered", "entitled", "allocated", "min_quota", "max_quota")
RATE_COLUMNS = ("fill_rate", "stockout_rate", "full_fill_rate", "coverage", "gap_rate", "top10_share", "gini")
MIGRATION = (
    "Rows: tier after the previous review (<i>new</i>: no previous tier); columns: tier now. The outlined "
    "diagonal kept its tier; right of it moved down, left of it up."
)
RATE_CHARTS = (
    ("fill_rate", "Fill rate", "allocated ÷ ordered"),
    ("stockout_rate", "Stock-out rate", "share of ordering clients that got nothing"),
)


def render_report(result: RunResult) -> str:
    """The whole report of a run as one self-contained HTML document, in the scenario's `lang`."""
    s = result.scenario
    w = words(s.spec.lang)
    products = [p.product for p in result.variants[0].products]
    html_lang, style = ("en", CSS) if s.spec.lang == "en" else ("zh-CN", CSS + CJK_CSS)
    parts = [
        f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(w('{name} · allocation report', name=s.spec.name))}</title><style>{style}</style></head>"
        "<body><main>",
        _header(result, products),
        alerts_section(result),
        _supply(result),
        variants_section(result),
        cartons_section(result),
        _tiers(result),
        *(_product(result, i, pid) for i, pid in enumerate(products)),
        _not_allocated(result),
        people_section(result),
        _summaries(result),
        f"<footer>{w('allocator {version} · scenario', version=esc(__version__))} <code>{esc(Path(s.file).name)}</code> "
        f"sha256 {esc(s.sha256)}</footer>",
        "</main></body></html>\n",
    ]
    return "\n".join(part for part in parts if part)


def summary_cells(summary: pl.DataFrame) -> list[list[str]]:
    """The summary's header and rows, each cell as summary.csv writes it (4 decimals, empty for null)."""
    return list(csv.reader(io.StringIO(summary.write_csv(None, float_precision=4, null_value=""))))


def _header(result: RunResult, products: list[str]) -> str:
    s, spec = result.scenario, result.scenario.spec
    w = words(spec.lang)
    stats = [
        (f"{result.tiers.height:,}", w("clients")),
        (str(len(s.tiering.ladders)), w("ladders")),
        (str(len(products)), w("products")),
        (str(len(result.variants)), w("variants incl. base")),
    ]
    prov = [
        (w("scenario"), Path(s.file).name, s.sha256),
        (w("snapshot"), snapshot_spec(spec).path, w("{n} rows", n=f"{result.tiers.height:,}")),
        (w("tiering"), spec.tiering, s.tiering.sha256),
        (w("allocation"), spec.allocation, s.allocation.sha256),
    ]
    toc = [("alerts", w("Alerts"))] * bool(alerts_section(result)) + [("supply", w("Supply"))]
    toc += [("variants", w("Variants side by side"))] * (len(result.variants) > 1)
    toc += [("cartons", w("Cartons per shop")), ("tiers", w("Tiers"))]
    toc += [(f"p{i}", pid) for i, pid in enumerate(products)]
    return "".join(
        [
            f'<header><div class="kicker">{w("Allocation report")}</div>',
            f"<h1>{esc(spec.name)}</h1>",
            f'<div class="sub">{w("period")} <b>{esc(spec.period)}</b> · {w("seed")} <b>{spec.seed}</b> · '
            f"{w('{n} clients', n=f'{result.tiers.height:,}')}</div>",
            f"<p>{esc(spec.description)}</p>" if spec.description else "",
            '<div class="stats">',
            *(f'<div class="stat"><b>{v}</b><span>{label}</span></div>' for v, label in stats),
            '</div><dl class="prov">',
            *(f"<dt>{k}</dt><dd><code>{esc(f)}</code> <span class='muted'>{esc(h)}</span></dd>" for k, f, h in prov),
            f'</dl><nav aria-label="{w("Contents")}"><ol>',
            *(f'<li><a href="#{a}">{esc(t)}</a></li>' for a, t in [*toc, ("summary", w("Summary tables"))]),
            "</ol></nav></header>",
        ]
    )


def _changes(variant: Variant, lang: str) -> str:
    """What a variant sets, as `setting <code>key</code> value`, in the model's field order."""
    w = words(lang)
    out: list[str] = []
    for setting, table in variant:
        if setting not in ("name", "description") and isinstance(table, dict):
            label = w({"supply_factor": "supply ×", "per_client": "per client"}.get(setting, setting.replace("_", " ")))
            out.extend(f"{label} <code>{esc(k)}</code> {esc(_compact(v, lang))}" for k, v in table.items())
    return "; ".join(out) or w("no changes")


def _compact(value: object, lang: str) -> str:
    if isinstance(value, BaseModel):
        return _compact({k: v for k, v in value.model_dump().items() if v is not None}, lang)
    if isinstance(value, dict):
        return ", ".join(
            f"{k} ({_compact(v, lang)})" if isinstance(v, dict) else f"{k} {_compact(v, lang)}"
            for k, v in value.items()
        )
    return words(lang)("none") if value is None else str(value)


def _supply(result: RunResult) -> str:
    spec = result.scenario.spec
    w = words(spec.lang)
    base_note = ", ".join(f"<code>{esc(p)}</code> {n:,}" for p, n in spec.supply.items())
    said = f"; {w('supply')} {base_note}" if base_note else ""
    items = [f"<li><b>{BASE}</b>: {w('rule files as written')}{said}</li>"]
    for var in spec.variants:
        desc = f" — {esc(var.description)}" if var.description else ""
        items.append(f"<li><b>{esc(var.name)}</b>{desc}: {_changes(var, spec.lang)}</li>")
    rows = []
    notes: list[str] = []
    by_product: dict[str, list[tuple[VariantResult, ProductResult]]] = {}
    for v in result.variants:
        for p in v.products:
            by_product.setdefault(p.product, []).append((v, p))
            notes.extend(f"<code>{esc(p.product)}</code>, {esc(v.name)}: {esc(n)}" for n in p.notes)
    for pid, pairs in by_product.items():
        for k, (v, p) in enumerate(pairs):
            th = f'<th scope="rowgroup" rowspan="{len(pairs)}">{esc(pid)}</th>' if k == 0 else ""
            share = p.allocated / p.supply if p.supply else 0.0
            owner = f' <span class="muted">({esc(p.reserve_owner)})</span>' if p.reserve_owner else ""
            rows.append(
                f'<tr class="{"first" if k == 0 else ""}">{th}<td>{esc(v.name)}</td>'
                f'<td class="n">{p.supply:,}</td><td class="n">{p.reserve:,}{owner}</td>'
                f'<td class="n">{p.available:,}</td><td class="n">{p.allocated:,}</td>'
                f'<td class="n">{p.unallocated:,}</td><td><span class="meter"><span style="width:{share:.1%}">'
                f"</span></span>{share:.1%}</td></tr>"
            )
    note_html = f'<div class="notes">{"<br>".join(notes)}</div>' if notes else ""
    return (
        f'<section id="supply"><h2>{w("Supply")}</h2><h3>{w("Variants")}</h3><ul class="variants">'
        + "".join(items)
        + f'</ul><div class="scroll"><table class="supply"><caption>{w("Supply by product and variant")}</caption>'
        f'<thead><tr><th scope="col">{w("product")}</th><th scope="col">{w("variant")}</th>'
        + "".join(f'<th scope="col" class="n">{w(h)}</th>' for h in ("supply", "reserve", "available", "allocated"))
        + f'<th scope="col" class="n">{w("unallocated")}</th><th scope="col">{w("allocated of supply")}</th></tr>'
        "</thead><tbody>"
        + "".join(rows)
        + f"</tbody></table></div>{note_html}</section>"
    )


def _tiers(result: RunResult) -> str:
    """Clients per tier (base, and each variant that moves thresholds) and the tier migration matrices."""
    ladders = result.scenario.tiering.ladders
    lang = result.scenario.spec.lang
    w = words(lang)
    tables = [(0, result.tiers)] + [(i, v.tiers) for i, v in enumerate(result.variants) if v.tiers is not None]
    counts = [
        {(r["ladder"], r["tier"]): r["len"] for r in t.group_by("ladder", "tier").len().to_dicts()} for _, t in tables
    ]
    scale = count_axis(max((n for c in counts for n in c.values()), default=1), "client", lang)
    layout = "grid" if max(len(t) for t in ladders.values()) <= 8 else "stack"
    bars = []
    for lad, tiers in ladders.items():
        groups = [(lad, t) for t in tiers]
        series = [
            Series(result.variants[i].name, series_colour(i), [c.get(g, 0) for g in groups])
            for (i, _), c in zip(tables, counts, strict=True)
        ]
        total = sum(counts[0].get(g, 0) for g in groups)
        chart = grouped_bars(w("Clients per tier, ladder {ladder}", ladder=lad), groups, series, scale, lang)
        clients = w("{n} clients", n=f"{total:,}")
        bars.append(f"<figure><figcaption>{esc(lad)} <span class='muted'>· {clients}</span></figcaption>")
        bars.append(f'<div class="scroll">{chart}</div></figure>')
    key = legend((result.variants[i].name, series_colour(i)) for i, _ in tables) if len(tables) > 1 else ""

    def matrices(title: str, corner: str, moved: dict[str, dict[tuple[str | None, str], int]]) -> str:
        each = (heat_table(f"{lad}: {title}", corner, t, moved.get(lad, {}), lang) for lad, t in ladders.items())
        return f"<div class='{layout}'>{''.join(each)}</div>"

    out = [
        f'<section id="tiers"><h2>{w("Tiers")}</h2><h3>{w("Clients per tier")}</h3>{key}'
        f'<div class="grid">{"".join(bars)}</div>',
        f"<h3>{w('Tier migration')}</h3><p class='muted'>" + w(MIGRATION) + "</p>",
        matrices(w("previous tier → tier"), w("before ↓ now →"), _moves(result.tiers, "previous_tier", result.tiers)),
    ]
    for i, own in tables[1:]:
        name = esc(result.variants[i].name)
        said = w("Rows: tier in base; columns: tier in {name}.", name=name)
        out.append(f"<h3>{w('Tier changes in {name}', name=name)}</h3><p class='muted'>{said}</p>")
        moved = _moves(result.tiers, "tier", own)
        out.append(matrices(w("base → {name}", name=result.variants[i].name), w("base ↓ variant →"), moved))
    return "".join(out) + "</section>"


def _moves(before: pl.DataFrame, column: str, after: pl.DataFrame) -> dict[str, dict[tuple[str | None, str], int]]:
    """Clients per ladder and (tier in `before[column]`, tier in `after`); both tables in the same client order."""
    out: dict[str, dict[tuple[str | None, str], int]] = {}
    table = before.select("ladder", pl.col(column).alias("from")).with_columns(after["tier"])
    for r in table.group_by("ladder", "from", "tier").len().to_dicts():
        out.setdefault(r["ladder"], {})[(r["from"], r["tier"])] = r["len"]
    return out


def _product(result: RunResult, index: int, pid: str) -> str:
    lang = result.scenario.spec.lang
    w = words(lang)
    facts = _facts(result, pid, lang)
    tiers = [tier_figures(v, pid) for v in result.variants]
    ladders = result.scenario.tiering.ladders
    groups = [(lad, t) for lad, ts in ladders.items() for t in ts if any((lad, t) in rows for rows in tiers)]

    def chart(col: str, what: str, hint: str, scale: Scale) -> str:
        series = [
            Series(v.name, series_colour(i), [rows.get(g, {}).get(col) for g in groups])
            for i, (v, rows) in enumerate(zip(result.variants, tiers, strict=True))
        ]
        named = w("{what} per tier and variant, {product}", what=what, product=pid)
        bars = grouped_bars(named, groups, series, scale, lang)
        return f"<figure><figcaption>{what} <span class='muted'>· {hint}</span></figcaption><div class='scroll'>{bars}</div></figure>"

    if any(r["fill_rate"] is not None for rows in tiers for r in rows.values()):
        charts = [chart(col, w(what), w(hint), RATES) for col, what, hint in RATE_CHARTS]
    else:  # without orders there are no rates: show what each tier got
        top = max((r["allocated"] for rows in tiers for r in rows.values()), default=1)
        axis = count_axis(top, "unit", lang)
        charts = [chart("allocated", w("Allocated"), w("no orders known, so no fill rates"), axis)]
    key = legend((v.name, series_colour(i)) for i, v in enumerate(result.variants)) if len(result.variants) > 1 else ""
    return (
        f'<section class="product" id="p{index}"><h2>{esc(pid)}</h2><p class="sub">{" · ".join(facts)}</p>'
        f'{key}<div class="grid">{"".join(charts)}</div>{metrics_table(result, pid, tiers[0])}'
        f"{_quota_table(result, pid, groups, tiers)}</section>"
    )


def _facts(result: RunResult, pid: str, lang: str) -> list[str]:
    """How the product is allocated: policy, target and shape or rounding, orders, caps, segments."""
    w = words(lang)
    spec = next(p.spec for p in result.scenario.allocation.products if p.id == pid)
    facts = [f"{w('policy')} <code>{esc(spec.policy)}</code>"]
    if spec.policy == "tier_amounts":
        facts.append(f"{w('target')} <code>{esc(spec.target)}</code> · {w('shape')} <code>{esc(spec.shape)}</code>")
    else:
        facts.append(f"{w('rounding')} <code>{esc(spec.rounding)}</code>")
    if spec.order_column:
        facts.append(f"{w('orders from')} <code>{esc(spec.order_column)}</code>")
    if spec.max_per_client is not None:
        facts.append(w("at most {n} per client", n=spec.max_per_client))
    if spec.min_per_client:
        facts.append(w("at least {n} per ordering client", n=spec.min_per_client))
    if spec.segments is not None:
        values = spec.segments.values
        chosen = w("every value") if values == "all" else w("{n} chosen", n=len(values))
        weights = spec.segments.weights
        split = (
            "" if weights is None else w(", pools by {weights}", weights=weights) if isinstance(weights, str)
            else w(", weighted pools")
        )  # fmt: skip
        by = esc(", ".join(spec.segments.by))
        facts.append(f"{w('segments by')} <code>{by}</code>: {chosen}{esc(split)}")
    return facts


def _quota_table(
    result: RunResult, pid: str, groups: list[tuple[str, str]], tiers: list[dict[tuple[str, str], dict[str, Any]]]
) -> str:
    """Per tier: min-max and a stacked bar of quota values, for base and each variant that changes them."""
    lang = result.scenario.spec.lang
    w = words(lang)
    products = [next(p for p in v.products if p.product == pid) for v in result.variants]
    base = products[0].columns["quota"]
    unchanged = [
        v.tiers is None and p.columns["quota"].equals(base) for v, p in zip(result.variants, products, strict=True)
    ]
    shown = [i for i, same in enumerate(unchanged) if i == 0 or not same]
    same = [v.name for i, v in enumerate(result.variants) if i not in shown]
    hist: dict[int, dict[tuple[str, str], dict[int, int]]] = {}
    for i in shown:
        hist[i] = dict(result.variants[i].views[pid].quotas)
    bins = value_bins(sorted({q for h in hist.values() for counts in h.values() for q in counts}), lang=lang)
    bar_w = {1: 220.0, 2: 180.0, 3: 140.0}.get(len(shown), 96.0)
    body = []
    for g, (lad, tier) in enumerate(groups):
        cls = ' class="first"' if g and lad != groups[g - 1][0] else ""
        cells = [f'<th scope="row">{esc(lad)}</th><th scope="row">{esc(tier)}</th>']
        cells.append(f'<td class="n">{tiers[0].get((lad, tier), {}).get("clients", 0):,}</td>')
        for i in shown:
            counts = hist[i].get((lad, tier), {})
            parts = [(sum(n for q, n in counts.items() if lo <= q <= hi), c, label) for lo, hi, label, c in bins]
            row = tiers[i].get((lad, tier), {})
            title = w(
                "{product}, {variant}, {ladder} {tier}: clients by quota",
                product=pid, variant=result.variants[i].name, ladder=lad, tier=tier,
            )  # fmt: skip
            span = f"{row['min_quota']}–{row['max_quota']}" if row else "–"
            cells.append(f'<td class="n">{span}</td><td>{stacked_bar(title, parts, bar_w, lang)}</td>')
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    head = "".join(f'<th scope="colgroup" colspan="2" class="var">{esc(result.variants[i].name)}</th>' for i in shown)
    note = f"<p class='muted'>{w('Same quotas as base: {names}.', names=esc(', '.join(same)))}</p>" if same else ""
    return (
        f"<h3>{w('Quota distribution')}</h3>{legend((label, c) for _, _, label, c in bins)}"
        f'<div class="scroll"><table class="quotas"><caption>{w("{product}: quota per client", product=esc(pid))}'
        f'</caption><thead><tr><th scope="col" rowspan="2">{w("ladder")}</th>'
        f'<th scope="col" rowspan="2">{w("tier")}</th>'
        f'<th scope="col" class="n" rowspan="2">{w("clients")}</th>{head}</tr><tr>'
        + f'<th scope="col" class="n">{w("range")}</th><th scope="col">{w("clients by quota")}</th>' * len(shown)
        + f"</tr></thead><tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _not_allocated(result: RunResult) -> str:
    """The plans of the plan sheet that were not allocated, each with its reason."""
    skipped = result.scenario.allocation.not_allocated
    if not skipped:
        return ""
    w = words(result.scenario.spec.lang)
    rows = "".join(
        f"<tr><td class='n'>{p.row}</td><td>{esc(p.code)}</td><td class='wrap'>{esc(p.name)}</td>"
        f"<td>{esc(p.method)}</td><td class='wrap'>{esc(p.reason)}</td></tr>"
        for p in skipped
    )
    return (
        f'<section id="not-allocated"><h2>{w("Not allocated: {n} plans", n=len(skipped))}</h2>'
        f'<div class="scroll"><table class="summary"><thead><tr><th scope="col" class="n">{w("row")}</th>'
        + "".join(f'<th scope="col">{w(h)}</th>' for h in ("code", "name", "method", "reason"))
        + f"</tr></thead><tbody>{rows}</tbody></table></div></section>"
    )


def _summaries(result: RunResult) -> str:
    lang = result.scenario.spec.lang
    w = words(lang)
    out = [
        f'<section id="summary"><h2>{w("Summary tables")}</h2><p class="muted">'
        + w(
            "Exactly the rows of each variant's <code>summary.csv</code>; each cell's CSV text is in its "
            "<code>data-value</code> attribute."
        )
        + "</p>"
    ]
    for v in result.variants:
        header, *rows = summary_cells(v.summary)
        head = "".join(
            f'<th scope="col" data-col="{esc(c)}"{" class=n" if c in INT_COLUMNS + RATE_COLUMNS else ""}>'
            f"{esc(c.replace('_', ' ').replace('stockout', 'stock-out') if lang == 'en' else w(c))}</th>"
            for c in header
        )
        body = []
        for k, row in enumerate(rows):
            cls = ["first"] if k and row[0] != rows[k - 1][0] else []
            cls += ["extra"] if row[1] != "tier" else []
            rep = k > 0 and row[0] == rows[k - 1][0]
            cells = "".join(
                _cell(c, text, rep and c == "product", lang) for c, text in zip(header, row, strict=True)
            )
            body.append(f'<tr class="{" ".join(cls)}">{cells}</tr>')
        out.append(
            f'<div class="scroll"><table class="summary" data-variant="{esc(v.name)}">'
            f"<caption>{esc(v.name)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>"
        )
    out.append("</section>")
    return "".join(out)


def _cell(column: str, text: str, repeated: bool = False, lang: str = "en") -> str:
    if column in RATE_COLUMNS:
        shown, cls = (f"{float(text):.1%}" if text else "–"), "n"
    elif column in INT_COLUMNS:
        shown, cls = (f"{int(text):,}" if text else "–"), "n"
    else:  # the kind of line (tier, product, reserve, unallocated) in the report's words; data-value keeps the CSV's
        shown, cls = words(lang)(text) if column == "line" and text in PHRASES else text, "rep" if repeated else ""
    cls += " nil" if cls and not text else ""
    return f'<td data-col="{esc(column)}" data-value="{esc(text)}" class="{cls}">{esc(shown)}</td>'
