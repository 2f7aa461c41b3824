"""Tiering: derive metrics, pick each client's ladder, place, adjust, limit the move.

Placement is first-hit (the first rule that matches places the client; none matching gives the
ladder's default tier). Adjustments then apply in file order, each one step-clamped to the
ladder, so demoting the last tier keeps it last. Finally the move from the client's current tier
is limited to `max_up` / `max_down`; a client without a current tier keeps its adjusted tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from allocator.engine.durable import Rule, all_matches, first_match
from allocator.engine.grouping import representatives
from allocator.engine.rule_sets import LADDER, engine_rules, rule_inputs
from allocator.inputs.expressions import to_polars
from allocator.inputs.tiering_rules import TieringRules


@dataclass(frozen=True)
class Outcome:
    """The engine's answers for one client: which rule placed it and which adjustments hit."""

    placed_by: str | None
    adjustments: tuple[str, ...]


def with_derived(rules: TieringRules, clients: pl.DataFrame) -> pl.DataFrame:
    """Add the `derive:` columns (in order, so one may use an earlier one) and the ladder column."""
    df = clients
    for name, expr in rules.derive.items():
        df = df.with_columns(to_polars(expr).alias(name))
    if rules.by is None:
        only = next(iter(rules.ladders))
        return df.with_columns(pl.lit(only).alias(LADDER))
    return df.with_columns(pl.col(rules.by).alias(LADDER))


Mode = Literal["grouped", "exact"]


@dataclass(frozen=True)
class Outcomes:
    """The engine's answers for groups of clients, and each client's group (row order)."""

    group: pl.Series  # Int64, one per row of the table
    per_group: list[Outcome]

    def per_client(self) -> list[Outcome]:
        """One outcome per row of the table (for checks; the pipeline stays on groups)."""
        return [self.per_group[g] for g in self.group.to_list()]


def engine_outcomes(rules: TieringRules, table: pl.DataFrame, mode: Mode = "grouped") -> Outcomes:
    """Run placement and adjustments through the engine, once per group of identical clients.

    `grouped` posts one representative per group of clients whose atomic conditions all agree
    (see `engine.grouping`); `exact` posts every client, and clients with the same answers share a group.
    """
    placement, adjust = engine_rules(rules)
    if mode == "grouped":
        group, reps = representatives(table, [r.cond for r in (*placement, *adjust)])
        return Outcomes(group, _run(rules, placement, adjust, table[reps]))
    distinct: dict[Outcome, int] = {}
    codes = [distinct.setdefault(o, len(distinct)) for o in _run(rules, placement, adjust, table)]
    return Outcomes(pl.Series(codes, dtype=pl.Int64), list(distinct))


def _run(rules: TieringRules, placement: list[Rule], adjust: list[Rule], table: pl.DataFrame) -> list[Outcome]:
    facts = table.select(rule_inputs(rules)).to_dicts()
    placed = first_match("placement", placement, facts) if placement else [None] * len(facts)
    hits = all_matches("adjust", adjust, facts) if adjust else [[] for _ in facts]
    return [Outcome(p, tuple(h)) for p, h in zip(placed, hits, strict=True)]


def _adjusted(rules: TieringRules, ladder: str, outcome: Outcome) -> tuple[str, int]:
    """The placed tier and the rank after every adjustment, each step kept on the ladder."""
    tiers = rules.ladders[ladder]
    placed = next(r.tier for r in rules.placement if r.id == outcome.placed_by) if outcome.placed_by else None
    placed = placed or rules.default_tier[ladder]
    rank = tiers.index(placed)
    steps = {r.id: r.steps for r in rules.adjust}
    for rid in outcome.adjustments:
        rank = min(max(rank + steps[rid], 0), len(tiers) - 1)
    return placed, rank


def assign_tiers(rules: TieringRules, table: pl.DataFrame, outcomes: Outcomes) -> pl.DataFrame:
    """Tiers from engine outcomes: placed tier, adjusted tier, then the move limits, column-wise.

    The placed and adjusted tiers are worked out once per (group, ladder) and joined to the
    clients; returns client_id, ladder, previous_tier, placed_tier, tier, placed_by, adjustments,
    move_limit.
    """
    keys = pl.DataFrame({"_group": outcomes.group, LADDER: table[LADDER]})
    combos = keys.unique(maintain_order=True)
    placed_by, adjustments, placed_col, rank_col = [], [], [], []
    for g, lad in combos.iter_rows():
        outcome = outcomes.per_group[g]
        placed, adjusted = _adjusted(rules, lad, outcome)
        placed_by.append(outcome.placed_by)
        adjustments.append(";".join(outcome.adjustments))
        placed_col.append(placed)
        rank_col.append(adjusted)
    combos = combos.with_columns(
        pl.Series("placed_by", placed_by, dtype=pl.String),
        pl.Series("adjustments", adjustments, dtype=pl.String),
        pl.Series("placed_tier", placed_col, dtype=pl.String),
        pl.Series("_rank", rank_col, dtype=pl.Int64),
    )
    df = keys.join(combos, on=["_group", LADDER], how="left", nulls_equal=True, maintain_order="left")
    prev = table[rules.current_field] if rules.current_field else pl.Series([None] * table.height, dtype=pl.String)
    ranks = rules.ladder_table.frame(LADDER, "_prev", "_cur")
    df = df.with_columns(prev.alias("_prev")).join(ranks, on=[LADDER, "_prev"], how="left", maintain_order="left")
    df = df.with_columns(*_move_limited(rules))
    tier_names = rules.ladder_table.frame(LADDER, "tier", "_final")
    df = df.join(tier_names, on=[LADDER, "_final"], how="left", maintain_order="left")
    return pl.DataFrame(
        {
            "client_id": table["client_id"],
            "ladder": df[LADDER],
            "previous_tier": df["_prev"],
            "placed_tier": df["placed_tier"],
            "tier": df["tier"],
            "placed_by": df["placed_by"],
            "adjustments": df["adjustments"],
            "move_limit": df["move_limit"],
        }
    )


def _move_limited(rules: TieringRules) -> tuple[pl.Expr, pl.Expr]:
    """The final rank (`_final`: the adjusted rank `_rank` kept within max_up / max_down of the
    current rank `_cur`) and why it was limited (`move_limit`)."""
    up: pl.Expr | None = pl.col("_cur") - rules.max_up if rules.max_up is not None else None
    down: pl.Expr | None = pl.col("_cur") + rules.max_down if rules.max_down is not None else None
    rank = pl.col("_rank")
    limited: pl.Expr = rank
    limit: pl.Expr = pl.lit("")
    if up is not None:
        limited = pl.when(pl.col("_cur").is_not_null() & (rank < up)).then(up).otherwise(limited)
        limit = pl.when(pl.col("_cur").is_not_null() & (rank < up)).then(pl.lit("max_up")).otherwise(limit)
    if down is not None:
        limited = pl.when(pl.col("_cur").is_not_null() & (rank > down)).then(down).otherwise(limited)
        limit = pl.when(pl.col("_cur").is_not_null() & (rank > down)).then(pl.lit("max_down")).otherwise(limit)
    not_on_ladder = pl.col("_prev").is_not_null() & pl.col("_cur").is_null()
    limit = (
        pl.when(not_on_ladder)
        .then(pl.format("previous tier {} is not on ladder {}", pl.col("_prev"), pl.col(LADDER)))
        .otherwise(limit)
    )
    return limited.alias("_final"), limit.alias("move_limit")


def tier_clients(
    rules: TieringRules, clients: pl.DataFrame, mode: Mode = "grouped"
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The clients with derived columns and ladder, and their tiers."""
    table = with_derived(rules, clients)
    return table, assign_tiers(rules, table, engine_outcomes(rules, table, mode))
