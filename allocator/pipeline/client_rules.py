"""Per-client rules of a product, decided by the engine: eligibility and multipliers.

Each rule set runs through durable-rules once per group of clients whose conditions all agree
(`engine.grouping`), or for every client in `exact` mode; the answers are broadcast back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.engine.durable import Rule, all_matches
from allocator.engine.grouping import representatives
from allocator.inputs.conditions import fields_of
from allocator.inputs.product_rules import ProductRules

if TYPE_CHECKING:
    from allocator.pipeline.tiered import TieredClients


def excluded_by(product: ProductRules, ctx: TieredClients) -> pl.Series:
    """The first eligibility rule that excludes each client (null: eligible), via the engine."""
    if not product.eligible:
        return pl.Series("excluded_by", [None] * ctx.tiers.height, dtype=pl.String)
    key = f"eligible {product.eligible!r}"  # repr tells 1 from true, which == would not
    known = ctx.memo.get(key)
    if isinstance(known, pl.Series):
        return known
    found = _excluded_by(product, ctx)
    ctx.memo[key] = found
    return found


def _excluded_by(product: ProductRules, ctx: TieredClients) -> pl.Series:
    rules = [Rule(e.id, e.cond) for e in product.eligible]
    conds = [r.cond for r in rules]
    needed = sorted(set().union(*(fields_of(c) for c in conds)))
    table = ctx.table.with_columns(ctx.tiers["tier"]).select(needed)
    label = f"eligible-{product.id}"
    if ctx.mode == "exact":
        return pl.Series(
            "excluded_by", [h[0] if h else None for h in all_matches(label, rules, table.to_dicts())], dtype=pl.String
        )
    group, reps = representatives(ctx.table.with_columns(ctx.tiers["tier"]), conds)
    firsts = [h[0] if h else None for h in all_matches(label, rules, table[reps].to_dicts())]
    return pl.Series("excluded_by", firsts, dtype=pl.String).gather(group)


def _matches(label: str, rules: Sequence[Rule], ctx: TieredClients) -> list[list[str]]:
    """For each client, the ids of the rules it matches, in rule order."""
    conds = [r.cond for r in rules]
    needed = sorted(set().union(*(fields_of(c) for c in conds)))
    table = ctx.table.with_columns(ctx.tiers["tier"]).select(needed)
    if ctx.mode == "exact":
        return all_matches(label, rules, table.to_dicts())
    group, reps = representatives(ctx.table.with_columns(ctx.tiers["tier"]), conds)
    hits = all_matches(label, rules, table[reps].to_dicts())
    return [hits[g] for g in group.to_list()]


def factors_of(product: ProductRules, ctx: TieredClients) -> npt.NDArray[np.int64]:
    """Each client's multiplier: the product of the factors of every multiplier rule it matches (1: none)."""
    n = ctx.tiers.height
    if not product.multipliers:
        return np.ones(n, dtype=np.int64)
    factor = {m.id: m.factor for m in product.multipliers}
    hits = _matches(f"multiplier-{product.id}", [Rule(m.id, m.cond) for m in product.multipliers], ctx)
    return np.array([int(np.prod([factor[h] for h in hit])) if hit else 1 for hit in hits], dtype=np.int64)
