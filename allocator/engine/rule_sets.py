"""A tiering file's rules as engine rules: placement and adjustments, each scoped to its ladders."""

from __future__ import annotations

from collections.abc import Sequence

from allocator.engine.durable import Rule
from allocator.inputs.conditions import All, Compare, Cond
from allocator.inputs.tiering_rules import TieringRules

LADDER = "ladder"  # the column holding each client's ladder


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
