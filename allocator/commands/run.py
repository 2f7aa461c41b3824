"""`allocator run`: a scenario's tiers and quotas, written to a folder, with the per-tier table."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from allocator.commands.execute import execute
from allocator.commands.terminal import cells, emit
from allocator.escape import terminal
from allocator.inputs.folder_names import slug
from allocator.inputs.plan_sheets import NotAllocated
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import NOTHING_GIVEN, Given, Scenario, load_scenario
from allocator.labels import PHRASES, note_text, phrase
from allocator.outputs.joblog import quiet
from allocator.pipeline.alerts import alert_text
from allocator.pipeline.run import RunResult, VariantResult
from allocator.pipeline.tiering import Mode

MAX_ALERTS = 20  # on the terminal; RunResult.alerts and the report hold every one


def run(
    scenario: Path,
    out: Path | None,
    engine: Mode = "grouped",
    ledger: Path | None = None,
    wait: float = 0.0,
    given: Given = NOTHING_GIVEN,
    lang: str | None = None,
) -> int:
    """Run a scenario under the run lock, write its outputs, print the per-tier table. `given`:
    the command line's assignments, locks and round; `lang` (en, zh) wins over the scenario's."""
    loaded = in_language(scenario, given, lang)
    if out is None and loaded is None:  # the folder is named after the scenario: read it now, and only once
        loaded = load_scenario(scenario, **given._asdict())  # no spinner yet: nothing to show before the lock
    target = out if out is not None else Path("out") / slug(loaded.spec.name if loaded else "", "scenario")
    if sys.stderr.isatty():  # a spinner with the current step; nothing when output is redirected
        with Console(stderr=True).status("starting") as status:
            result = execute(
                scenario,
                target,
                ledger=ledger,
                wait=wait,
                mode=engine,
                log=quiet,
                progress=lambda step: status.update(Text(terminal(step))),  # file names, never markup
                loaded=loaded,
                given=given,
            )
    else:
        result = execute(
            scenario, target, ledger=ledger, wait=wait, mode=engine, log=quiet, loaded=loaded, given=given
        )
    for warning in result.warnings:
        print(terminal(warning), file=sys.stderr)
    print_run(result, target)
    return 0


def in_language(scenario: Path, given: Given, lang: str | None) -> Scenario | None:
    """The scenario read now with its `lang` set to `lang` (the command line's --lang), or None
    without --lang (then the scenario is read under the lock, as always)."""
    if lang is None:
        return None
    loaded = load_scenario(scenario, **given._asdict())
    return dataclasses.replace(loaded, spec=loaded.spec.model_copy(update={"lang": lang}))


def print_run(result: RunResult, target: Path) -> None:
    """The base's per-tier table (tier amounts as one column per product), then the variants compared."""
    s = result.scenario
    base = result.variants[0]
    lang = s.spec.lang
    head = "{name} · period {period} · seed {seed} · {clients} clients"
    items: list[object] = [
        phrase(head, lang, name=s.spec.name, period=s.spec.period, seed=s.spec.seed, clients=result.tiers.height)
    ]
    by_amounts = {p.product for p in base.products if p.tier_amounts is not None or p.segment_amounts is not None}
    skipped = s.allocation.not_allocated
    shown = base.summary.filter(pl.col("line") != "product")
    rows = shown.filter(~pl.col("product").is_in([*by_amounts, *(p.code for p in skipped)]))
    if rows.height:
        items.append(_base_table(rows, lang))
    if base.tier_amounts is not None and not any(p.segment_amounts for p in base.products):
        items.append(_amounts_table(base, lang))
    elif base.tier_amounts is not None:
        if any(p.tier_amounts is not None for p in base.products):  # some tier_amounts product has no segments
            items.append(_amounts_table(base, lang, without_segments=True))
        items.append(_segmented_table(base, lang))
    if base.summary.filter(pl.col("line") == "product").height:
        items.append(_products_table(base, lang))
    if skipped:
        items.append(_skipped_table(skipped, lang))
    if len(result.variants) > 1:
        items.append(_comparison_table(result, lang))
    items += _alert_lines(result.alerts, lang)
    items.append(phrase("wrote {folder}/ ({files})", lang, folder=display_path(target), files=written_files(result)))
    emit(*items)


def written_files(result: RunResult) -> str:
    """The files the run wrote at the top of its folder, as the last line names them."""
    spec = result.scenario.spec
    if spec.partition is not None:
        return "partitions/, partitions.csv, manifest.json, report.html"
    ext = spec.outputs.format
    files = f"tiers.{ext}, quotas.{ext}, summary.csv, manifest.json"  # the main files, as always
    return files + (", comparison.csv, report.html" if len(result.variants) > 1 else ", report.html")


BASE_COLUMNS = ("product", "ladder", "tier", "clients", "ordered", "entitled", "allocated", "fill", "stock-out",
                "full fill", "coverage", "note")  # fmt: skip


def _table(title: str, lang: str, heads: tuple[str, ...], left: int = 1, **fields: object) -> Table:
    """A borderless table titled `title`, its column heads in `lang`: the first `left` left-aligned."""
    table = Table(title=phrase(title, lang, **fields), title_justify="left", show_edge=False, pad_edge=False)
    for i, col in enumerate(heads):
        table.add_column(phrase(col, lang), justify="left" if i < left else "right")
    return table


def _base_table(rows: pl.DataFrame, lang: str) -> Table:
    """The base's tier lines (with fill, stock-out, full fill and coverage) and its other lines, dimmed."""
    table = Table(title=phrase("base", lang), title_justify="left", show_edge=False, pad_edge=False)
    for col in BASE_COLUMNS:
        table.add_column(phrase(col, lang), justify="left" if col in ("product", "ladder", "tier", "note") else "right")
    for row in rows.iter_rows(named=True):
        if row["line"] == "tier":
            table.add_row(*cells(row["product"], row["ladder"], row["tier"], *_nums(row), ""))
        else:
            rest = ("", "", "", "", str(row["allocated"]), "", "", "", "", note_text(row["note"] or "", lang))
            line = phrase(row["line"], lang) if row["line"] in PHRASES else row["line"]  # reserve, budget, …
            table.add_row(*cells(row["product"], line, *rest), style="dim")
    return table


def _amounts_table(variant: VariantResult, lang: str, without_segments: bool = False) -> Table:
    """Tier amounts: one row per tier, one column per product (the amount each shop may get)."""
    amounts = variant.tier_amounts
    assert amounts is not None
    if without_segments:
        amounts = amounts.filter(pl.col("segment") == "").drop("segment")
    products = list(dict.fromkeys(amounts["product"].to_list()))
    table = _table("base: tier amounts (cartons per shop)", lang, ("ladder", "tier", "shops"), 2)
    for col in cells(*products):
        table.add_column(col, justify="right")
    wide = amounts.pivot(on="product", index=["ladder", "tier", "customers"], values="amount", maintain_order=True)
    for row in wide.iter_rows(named=True):
        table.add_row(*cells(row["ladder"], row["tier"], row["customers"], *(row[p] for p in products)))
    results = {p.product: p for p in variant.products}
    table.add_section()
    table.add_row(*cells(phrase("total", lang), "", "", *(results[p].allocated for p in products)))
    table.add_row(*cells(phrase("supply", lang), "", "", *(results[p].available for p in products)))
    table.add_row(*cells(phrase("left", lang), "", "", *(results[p].unallocated for p in products)))
    return table


def _segmented_table(variant: VariantResult, lang: str) -> Table:
    """Products allocated to segments: how many segments, what was allocated of what was available."""
    heads = ("product", "segments", "allocated", "available", "left")
    table = _table("base: products allocated to segments", lang, heads)
    for p in variant.products:
        if p.segment_amounts is not None:
            n = len({s for s, _, _ in p.segment_amounts})
            table.add_row(*cells(p.product, n, p.allocated, p.available, p.unallocated))
    return table


def _products_table(variant: VariantResult, lang: str) -> Table:
    """Each product's own line: its clients in every tier (of its segments) and the field's metrics."""
    heads = ("product", "clients", "ordered", "allocated", "fill", "full fill", "coverage", "gap", "top 10%", "Gini")
    table = _table("base: products, every tier", lang, heads)
    for row in variant.summary.filter(pl.col("line") == "product").iter_rows(named=True):
        rates = [_pct(row[c]) for c in ("fill_rate", "full_fill_rate", "coverage", "gap_rate", "top10_share")]
        gini = f"{row['gini']:.3f}" if row["gini"] is not None else "-"
        table.add_row(*cells(row["product"], row["clients"], _num(row["ordered"]), row["allocated"], *rates, gini))
    return table


def _alert_lines(alerts: tuple[str, ...], lang: str) -> list[str]:
    """The crossed thresholds, after the tables: the first MAX_ALERTS, then how many more."""
    shown = [alert_text(a, lang) for a in alerts[:MAX_ALERTS]]
    if len(alerts) > MAX_ALERTS:
        shown.append(phrase("… and {n} more alerts (report.html lists every one)", lang, n=len(alerts) - MAX_ALERTS))
    return shown


def _skipped_table(skipped: tuple[NotAllocated, ...], lang: str) -> Table:
    """The plan-sheet rows that were not allocated, each with its reason."""
    heads = ("row", "code", "name", "method", "reason")
    table = _table("not allocated: {n} plans", lang, heads, len(heads), n=len(skipped))
    for plan in skipped:
        table.add_row(*cells(plan.row, plan.code, plan.name, plan.method, note_text(plan.reason, lang)))
    return table


def _differs(rows: pl.DataFrame, names: list[str]) -> bool:
    return any(rows[n].to_list() != rows[names[0]].to_list() for n in names[1:])


def _comparison_table(result: RunResult, lang: str) -> Table:
    """Allocated (fill rate) per product and tier, base and each variant side by side."""
    names = [v.name for v in result.variants]
    table = _table("variants compared: allocated (fill rate)", lang, ("product", "ladder", "tier"), 3)
    for col in cells(*names):
        table.add_column(col, justify="right")
    comp = result.comparison
    wide = comp.with_columns(
        pl.format(
            "{} ({})", pl.col("allocated"), pl.col("fill_rate").mul(100).round(1).cast(pl.String).fill_null("-") + "%"
        )
        .str.replace(r"\(-%\)", "")
        .str.strip_chars()
        .alias("cell")
    ).with_columns(  # comparison.csv has one row per segment of a segmented product, without the segment
        pl.int_range(pl.len()).over("product", "ladder", "tier", "variant").alias("_k")
    ).pivot(on="variant", index=["product", "ladder", "tier", "_k"], values="cell", maintain_order=True)
    products = wide["product"].unique(maintain_order=True).to_list()
    changed = [p for p in products if _differs(wide.filter(pl.col("product") == p), names)]
    for row in wide.filter(pl.col("product").is_in(changed)).iter_rows(named=True):
        table.add_row(*cells(row["product"], row["ladder"], row["tier"], *(row[n] or "" for n in names)))
    table.add_section()
    for p in result.variants[0].products:
        totals = []
        for v in result.variants:
            got = next(x for x in v.products if x.product == p.product)
            totals.append(phrase("{allocated} of {available}", lang, allocated=got.allocated, available=got.available))
        table.add_row(*cells(p.product, phrase("total", lang), "", *totals))
    return table


def _pct(x: object) -> str:
    return f"{float(x) * 100:.1f}%" if isinstance(x, float) else "-"


def _num(x: object) -> str:
    return str(x) if x is not None else "-"


def _nums(row: dict[str, object]) -> list[str]:
    counts = [_num(row[c]) for c in ("clients", "ordered", "entitled", "allocated")]
    return [*counts, *(_pct(row[c]) for c in ("fill_rate", "stockout_rate", "full_fill_rate", "coverage"))]
