"""Tiering: derive metrics, pick each client's ladder, place, adjust, limit the move.

Placement is first-hit (the first rule that matches places the client; none matching gives the
ladder's default tier). Adjustments then apply in file order, each one step-clamped to the
ladder, so demoting the last tier keeps it last. Finally the move from the client's current tier
is limited to `max_up` / `max_down`; a client without a current tier keeps its adjusted tier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from allocator.conditions import All, Compare, Cond
from allocator.engine import Rule, all_matches, first_match
from allocator.expressions import to_polars
from allocator.tiering_rules import TieringRules

LADDER = "ladder"


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


def _scoped(cond: Cond, ladders: Sequence[str], all_ladders: Sequence[str]) -> Cond:
    if len(ladders) == len(all_ladders):
        return cond
    return All((Compare(LADDER, "in", tuple(ladders)), cond))


def engine_rules(rules: TieringRules) -> tuple[list[Rule], list[Rule]]:
    """Placement and adjustment rules as engine rules, each limited to the ladders it serves."""
    lads = list(rules.ladders)
    placement = [Rule(r.id, _scoped(r.cond, r.ladders, lads)) for r in rules.placement]
    adjust = [Rule(r.id, _scoped(r.cond, r.ladders, lads)) for r in rules.adjust]
    return placement, adjust


def rule_inputs(rules: TieringRules) -> list[str]:
    """The columns the engine needs to see: every field and derived value, and the ladder."""
    return [*rules.fields, *rules.derive, LADDER]


def evaluate(rules: TieringRules, table: pl.DataFrame) -> list[Outcome]:
    """Run placement and adjustments through the engine for each row of `table`."""
    placement, adjust = engine_rules(rules)
    facts = table.select(rule_inputs(rules)).to_dicts()
    placed = first_match("placement", placement, facts) if placement else [None] * len(facts)
    hits = all_matches("adjust", adjust, facts) if adjust else [[] for _ in facts]
    return [Outcome(p, tuple(h)) for p, h in zip(placed, hits, strict=True)]


def assign_tiers(rules: TieringRules, table: pl.DataFrame, outcomes: Sequence[Outcome]) -> pl.DataFrame:
    """Tiers from engine outcomes: placed tier, adjusted tier, then the move limits.

    Returns client_id, ladder, previous_tier, placed_tier, tier, placed_by, adjustments, move_limit.
    """
    tier_of = {r.id: r.tier for r in rules.placement}
    steps_of = {r.id: r.steps for r in rules.adjust}
    ladders = table[LADDER].to_list()
    previous = table[rules.current_field].to_list() if rules.current_field else [None] * table.height
    placed_tiers, final, limits, prev_out = [], [], [], []
    for lad, out, prev in zip(ladders, outcomes, previous, strict=True):
        tiers = rules.ladders[lad]
        placed = tier_of[out.placed_by] if out.placed_by else rules.default_tier[lad]
        rank = tiers.index(placed)
        for rid in out.adjustments:
            rank = min(max(rank + steps_of[rid], 0), len(tiers) - 1)
        limit = ""
        if prev is not None and prev in tiers:
            cur = tiers.index(prev)
            if rules.max_up is not None and rank < cur - rules.max_up:
                rank, limit = cur - rules.max_up, "max_up"
            if rules.max_down is not None and rank > cur + rules.max_down:
                rank, limit = cur + rules.max_down, "max_down"
        elif prev is not None:
            limit = f"previous tier {prev} is not on ladder {lad}"
        placed_tiers.append(placed)
        final.append(tiers[rank])
        limits.append(limit)
        prev_out.append(prev)
    return pl.DataFrame(
        {
            "client_id": table["client_id"],
            "ladder": ladders,
            "previous_tier": pl.Series(prev_out, dtype=pl.String),
            "placed_tier": placed_tiers,
            "tier": final,
            "placed_by": pl.Series([o.placed_by for o in outcomes], dtype=pl.String),
            "adjustments": [";".join(o.adjustments) for o in outcomes],
            "move_limit": limits,
        }
    )


def tier_clients(rules: TieringRules, clients: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The clients with derived columns and ladder, and their tiers."""
    table = with_derived(rules, clients)
    return table, assign_tiers(rules, table, evaluate(rules, table))
