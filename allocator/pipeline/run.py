"""The run of a loaded scenario: tiers, then each variant's quotas and summaries; nothing written."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import polars as pl

from allocator.errors import ScenarioError
from allocator.inputs.product_terms import ProductTerms
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import BASE, Scenario, load_scenario
from allocator.pipeline.alerts import variant_alerts
from allocator.pipeline.allocation import ProductResult, allocate
from allocator.pipeline.comparison import comparison
from allocator.pipeline.cycle import Issued, RoundSupply, is_last_round, round_supplies, round_terms
from allocator.pipeline.manual import ManualProblems
from allocator.pipeline.summaries import TierView, summarize_run, tier_amounts_table
from allocator.pipeline.tiered import TieredClients
from allocator.pipeline.tiering import Mode, tier_clients


@dataclass(frozen=True)
class VariantResult:
    name: str
    products: list[ProductResult]
    summary: pl.DataFrame
    tier_amounts: pl.DataFrame | None = None
    tiers: pl.DataFrame | None = None  # only when the variant changes thresholds
    views: Mapping[str, TierView] = field(default_factory=dict)  # per product, what the report shows


@dataclass(frozen=True)
class PreviousTiers:
    """The tiers of an earlier run (from the ledger), for clients whose current tier is empty."""

    run_id: int
    period: str
    tiers: pl.DataFrame  # client_id, ladder, tier


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    clients: pl.DataFrame  # snapshot with derived columns and ladder
    tiers: pl.DataFrame
    variants: list[VariantResult]
    timings: dict[str, float]
    previous: dict[str, object] | None = None  # where empty current tiers were taken from
    warnings: tuple[str, ...] = ()  # the snapshot's, rendered with file, row and column
    round_supplies: dict[str, RoundSupply] | None = None  # in a cycle: this round's supply per product
    alerts: tuple[str, ...] = ()  # the allocation file's thresholds that were crossed, base first

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


def run(
    scenario: Scenario,
    mode: Mode = "grouped",
    *,
    previous: PreviousTiers | None = None,
    progress: Callable[[str], None] | None = None,
    issued: Issued | None = None,
) -> RunResult:
    """Tier and allocate a loaded scenario and each of its variants; write nothing.

    `mode` is how conditions reach the engine: `grouped` (one client per group of clients whose
    conditions all agree) or `exact` (every client); both give the same result. `previous`
    gives the tiers of an earlier run: clients whose current tier is empty take it from there.
    `progress` is told what the run is doing, step by step (for a terminal display). In a
    cycle, `issued` is what its approved rounds issued (from the ledger; none when None): this
    round's supplies are worked out from it, and rotation reads it.
    """
    if scenario.clients is None:
        raise ValueError("run() needs a scenario loaded with its snapshot (load_scenario(path))")
    say = progress or (lambda _: None)
    timings: dict[str, float] = {}
    snapshot, filled = _with_previous(scenario, scenario.clients.clients, previous)
    t1 = time.perf_counter()
    say(f"tiering {snapshot.height:,} clients")
    table, tiers = tier_clients(scenario.tiering, snapshot, mode)
    timings["tier"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    seed, period = scenario.spec.seed, scenario.spec.period
    segmented = any(p.spec.segments is not None for p in scenario.allocation.products)
    manual = scenario.manual
    all_terms, supplies, issued = _round(scenario, issued)
    base = TieredClients.build(
        table, tiers, scenario.tiering.ladder_table, seed, period, mode, segmented, manual, issued
    )
    variants = []
    problems: list[str] = []
    alerts: list[str] = []
    for name, terms in all_terms.items():
        clients, own_tiers = base, None
        if name in scenario.variant_tiering:
            rules = scenario.variant_tiering[name]
            variant_table, own_tiers = tier_clients(rules, snapshot, mode)
            clients = TieredClients.build(
                variant_table, own_tiers, rules.ladder_table, seed, period, mode, segmented, manual, issued
            )
        say(f"allocating {len(terms)} products ({name})")
        try:
            products = allocate(scenario.allocation, clients, terms)
        except ManualProblems as exc:  # every variant's, all at once
            problems += exc.lines if name == BASE else [f"{line} (variant {name})" for line in exc.lines]
            continue
        summary, views = summarize_run(products, clients, scenario.allocation.not_allocated)
        several = len(clients.ladders.tiers) > 1
        alerts += variant_alerts(scenario.allocation, products, terms, summary, several, None if name == BASE else name)
        amounts = tier_amounts_table(products, clients)
        variants.append(VariantResult(name, products, summary, amounts, own_tiers, views))
    if problems or manual.problems:
        raise ManualProblems([*manual.problems, *problems])
    timings["allocate"] = time.perf_counter() - t2
    shown = scenario.clients.display or display_path(scenario.snapshot)
    warnings = tuple(w.render(shown) for w in scenario.clients.warnings) + drift_warnings(scenario, supplies)
    return RunResult(scenario, table, tiers, variants, timings, filled, warnings, supplies, tuple(alerts))


DRIFT = Fraction(1, 200)  # a round within ±0.5 % of its nominal share is on plan


def drift_warnings(scenario: Scenario, supplies: Mapping[str, RoundSupply] | None) -> tuple[str, ...]:
    """One warning per product whose round supply is more than 0.5 % off its nominal share."""
    spec = scenario.spec
    if supplies is None or spec.cycle is None:
        return ()
    out = []
    for rs in supplies.values():
        if abs(rs.drift) > DRIFT * rs.nominal:
            why = "set in the scenario" if rs.overridden else "the approved rounds issued " + (
                "less" if rs.drift > 0 else "more") + " than their shares"  # fmt: skip
            share = f"{rs.drift / rs.nominal:+.1%}" if rs.nominal else "all of it"
            out.append(
                f"{scenario.file}: round {spec.round} of cycle {spec.cycle.id}: {rs.product} gets {rs.supply} units, "
                f"{rs.drift:+} ({share}) off its nominal {rs.nominal} ({why})"
            )
    return tuple(out)


def _round(
    scenario: Scenario, issued: Issued | None
) -> tuple[Mapping[str, Mapping[str, ProductTerms]], dict[str, RoundSupply] | None, Issued | None]:
    """The products' terms for this run: in a cycle, with this round's supplies."""
    spec = scenario.spec
    if spec.cycle is None or spec.round is None:
        return scenario.variants, None, None
    issued = issued or Issued()
    supplies = round_supplies(spec.cycle, spec.round, issued, spec.supply)
    over = [rs for rs in supplies.values() if rs.overridden and rs.supply > rs.remaining]
    if over:
        raise ScenarioError(
            "\n".join(
                f"{scenario.file}: supply.{rs.product}: {rs.supply} is more than the {max(rs.remaining, 0)} units "
                f"cycle {spec.cycle.id} has left for round {spec.round} (cycle supply {rs.cycle_supply}, "
                f"{rs.issued_before} issued by approved rounds)"
                for rs in over
            )
        )
    last = is_last_round(spec.cycle, spec.round, issued)
    return round_terms(spec, scenario.variants, supplies, last), supplies, issued


def _with_previous(
    scenario: Scenario, snapshot: pl.DataFrame, previous: PreviousTiers | None
) -> tuple[pl.DataFrame, dict[str, object] | None]:
    """The snapshot with empty current tiers taken from `previous`, and a note of how many."""
    field = scenario.tiering.current_field
    if previous is None or field is None:
        return snapshot, None
    before = previous.tiers.select("client_id", pl.col("tier").alias("_previous"))
    snapshot = snapshot.join(before, on="client_id", how="left", maintain_order="left")
    n = int((snapshot[field].is_null() & snapshot["_previous"].is_not_null()).sum())
    snapshot = snapshot.with_columns(pl.coalesce(field, "_previous").alias(field)).drop("_previous")
    return snapshot, {"from_run": previous.run_id, "period": previous.period, "clients_filled": n}


def run_scenario(path: Path, mode: Mode = "grouped") -> RunResult:
    """Load a scenario file and run it (`run(load_scenario(path), mode)`): for use from Python."""
    return run(load_scenario(path), mode)


__all__ = ["PreviousTiers", "RunResult", "VariantResult", "run", "run_scenario"]
