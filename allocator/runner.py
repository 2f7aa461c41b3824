"""`allocator run`: a scenario from files to tiers, quotas, summary and manifest."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from allocator import __version__
from allocator.allocation import Context, ProductResult, allocate
from allocator.compare import comparison
from allocator.errors import ScenarioError
from allocator.files import display_path
from allocator.folders import folder_clashes, slug
from allocator.outputs import (
    sha256_file,
    summarize,
    tier_amounts_table,
    write_atomically,
    write_csv,
    write_csv_parts,
    write_json,
)
from allocator.report import render_report
from allocator.scenarios import BASE, Scenario, load_scenario
from allocator.snapshots import read_snapshot
from allocator.tiering import Mode, tier_clients


@dataclass(frozen=True)
class VariantResult:
    name: str
    products: list[ProductResult]
    summary: pl.DataFrame
    tier_amounts: pl.DataFrame | None = None
    tiers: pl.DataFrame | None = None  # only when the variant changes thresholds


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    clients: pl.DataFrame  # snapshot with derived columns and ladder
    tiers: pl.DataFrame
    variants: list[VariantResult]
    timings: dict[str, float]
    previous: dict[str, object] | None = None  # where empty current tiers were taken from
    warnings: tuple[str, ...] = ()  # the snapshot's, rendered with file, row and column

    @property
    def comparison(self) -> pl.DataFrame:
        """Base and variants side by side (comparison.csv)."""
        changes = {}
        for v in self.variants:
            if v.tiers is not None:
                moved = v.tiers.with_columns(self.tiers["tier"].alias("_base")).filter(
                    pl.col("tier") != pl.col("_base")
                )
                changes[v.name] = moved.group_by("ladder", "tier").agg(pl.len().cast(pl.Int64).alias("changed"))
        return comparison(self.variants, changes)


def check_variant_folders(scenario: Scenario) -> None:
    """Refuse variants whose names would share one folder under variants/ (`folder_clashes`)."""
    clashes = folder_clashes(name for name in scenario.variants if name != BASE)
    if clashes:
        raise ScenarioError(
            "\n".join(
                f"{scenario.file}: variants '{a}' and '{b}' would share the output folder variants/{folder}; "
                "give one of them another name"
                for a, b, folder in clashes
            )
        )


Previous = Callable[[str], tuple[int, str, pl.DataFrame] | None]


def run_scenario(
    path: Path,
    mode: Mode = "grouped",
    *,
    previous: Previous | None = None,
    on_loaded: Callable[[Scenario], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunResult:
    """Load, check, tier and allocate the scenario and each of its variants.

    `mode` is how conditions reach the engine: `grouped` (one client per group of clients whose
    conditions all agree) or `exact` (every client); both give the same result. `previous`
    gives the tiers of an earlier run for a period (from the ledger): clients whose current
    tier is empty take it from there. `on_loaded` is called once the scenario files are read;
    `progress` is told what the run is doing, step by step (for a terminal display).
    """
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    scenario = load_scenario(path)
    if on_loaded is not None:
        on_loaded(scenario)
    say(f"reading and checking {display_path(scenario.snapshot)}")
    shown = display_path(scenario.snapshot)
    checked = read_snapshot(scenario.snapshot, shown, scenario.columns())
    snapshot = checked.clients
    filled = None
    field = scenario.tiering.current_field
    if previous is not None and field is not None:
        found = previous(scenario.spec.period)
        if found is not None:
            run_id, period, tiers_before = found
            before = tiers_before.select("client_id", pl.col("tier").alias("_previous"))
            snapshot = snapshot.join(before, on="client_id", how="left", maintain_order="left")
            n = int((snapshot[field].is_null() & snapshot["_previous"].is_not_null()).sum())
            snapshot = snapshot.with_columns(pl.coalesce(field, "_previous").alias(field)).drop("_previous")
            filled = {"from_run": run_id, "period": period, "clients_filled": n}
    timings["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    say(f"tiering {snapshot.height:,} clients")
    table, tiers = tier_clients(scenario.tiering, snapshot, mode)
    timings["tier"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    seed, period = scenario.spec.seed, scenario.spec.period
    base_ctx = Context.build(table, tiers, scenario.tiering.ladders, seed, period, mode)
    variants = []
    for name, settings in scenario.variants.items():
        ctx, own_tiers = base_ctx, None
        if name in scenario.variant_tiering:
            rules = scenario.variant_tiering[name]
            variant_table, own_tiers = tier_clients(rules, snapshot, mode)
            ctx = Context.build(variant_table, own_tiers, rules.ladders, seed, period, mode)
        say(f"allocating {len(settings)} products ({name})")
        products = allocate(scenario.allocation, ctx, settings)
        summary = summarize(products, ctx)
        variants.append(VariantResult(name, products, summary, tier_amounts_table(products, ctx), own_tiers))
    timings["allocate"] = time.perf_counter() - t2
    warnings = tuple(w.render(shown) for w in checked.warnings)
    return RunResult(scenario, table, tiers, variants, timings, filled, warnings)


def _manifest(result: RunResult, variant: VariantResult) -> dict[str, object]:
    s = result.scenario
    return {
        "tool": "allocator",
        "version": __version__,
        "scenario": {"file": Path(s.file).name, "name": s.spec.name, "sha256": s.sha256, "variant": variant.name},
        "period": s.spec.period,
        "seed": s.spec.seed,
        "inputs": {
            "snapshot": {"file": s.spec.snapshot, "sha256": sha256_file(s.snapshot), "rows": result.tiers.height},
            "tiering": {"file": s.spec.tiering, "sha256": s.tiering.sha256},
            "allocation": {"file": s.spec.allocation, "sha256": s.allocation.sha256},
        },
        "current_tier_from_ledger": result.previous,
        "products": [
            {
                "product": p.product,
                "supply": p.supply,
                "reserve": p.reserve,
                "reserve_owner": p.reserve_owner,
                "available": p.available,
                "allocated": p.allocated,
                "unallocated": p.unallocated,
            }
            for p in variant.products
        ],
    }


def write_outputs(
    result: RunResult, out: Path, record: Callable[[], AbstractContextManager[object]] | None = None
) -> None:
    """Write every file of the run into `out`, atomically: all of it or nothing.

    `record` is the ledger's transaction; the outputs are put in place only as it commits."""
    check_variant_folders(result.scenario)

    def fill(folder: Path) -> None:
        for variant in result.variants:
            target = folder if variant.name == BASE else folder / "variants" / slug(variant.name)
            target.mkdir(parents=True, exist_ok=True)
            write_csv(variant.tiers if variant.tiers is not None else result.tiers, target / "tiers.csv")
            write_csv_parts((p.quotas for p in variant.products), target / "quotas.csv")
            write_csv(variant.summary, target / "summary.csv")
            if variant.tier_amounts is not None:
                write_csv(variant.tier_amounts, target / "tier_amounts.csv")
            manifest = _manifest(result, variant)
            manifest["outputs"] = {f.name: sha256_file(f) for f in sorted(target.glob("*.csv"))}
            write_json(manifest, target / "manifest.json")
        if len(result.variants) > 1:
            write_csv(result.comparison, folder / "comparison.csv")
        (folder / "report.html").write_text(render_report(result), encoding="utf-8")
        write_json({k: round(v, 3) for k, v in result.timings.items()}, folder / "timings.json")

    write_atomically(out, fill, record)


__all__ = ["RunResult", "VariantResult", "check_variant_folders", "folder_clashes", "run_scenario", "slug"]
