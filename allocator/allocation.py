"""Allocation policies on top of `apportion`: who is eligible, what each client may claim, quotas.

For each product: the reserve is held back first; eligibility rules run through the engine
(an excluded client gets 0); tiers outside the window get 0; each client's cap is the smallest
of its order and `max_per_client`; then the policy decides:

- `per_tier`: each client claims its tier's entitlement (capped); when supply is short every
  claim is scaled down by one common divisor (a divisor method, `rounding`).
- `weighted`: supply is shared in proportion to tier weights until orders are met.
- `priority`: tiers are served best first (rank by rank across ladders), equal shares within.
- `tier_amounts`: one amount per (ladder, tier), non-increasing, total optimal for `target`.

Everything is column-wise: clients with the same (ladder, tier, claim, floor) are
interchangeable, so apportionment runs on those groups, and only the units left for exactly
tied clients are handed out one by one, by tie-break key. Supply left once every claim is met is
reported as `unallocated`, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import polars as pl

from allocator.allocation_rules import AllocationRules, ProductRules
from allocator.apportion import Group, apportion, apportion_groups
from allocator.conditions import fields_of
from allocator.engine import Rule, all_matches
from allocator.grouping import representatives
from allocator.tiebreak import U64, product_keys
from allocator.tier_amounts import TierDemand, solve_tier_amounts

KEY = ["ladder", "tier", "claim", "floor"]


@dataclass(frozen=True)
class Settings:
    """What a scenario (or a variant) changes about a product."""

    supply: int
    rounding: str
    entitlement: dict[str, dict[str, int]] | None
    reserve_share: Fraction | None
    reserve_amount: int | None
    reserve_owner: str | None


@dataclass(frozen=True)
class Context:
    """What every product of a run shares: rule inputs, tiers, tie-break hashes, seed, period."""

    table: pl.DataFrame  # snapshot + derived values + ladder, sorted by client_id
    tiers: pl.DataFrame  # tiers.csv, same order
    hashes: U64
    seed: int
    period: str
    mode: str = "grouped"


@dataclass(frozen=True)
class ProductResult:
    product: str
    supply: int
    reserve: int
    reserve_owner: str | None
    available: int
    allocated: int
    unallocated: int
    quotas: pl.DataFrame  # client_id, product, ladder, tier, ordered, entitled, excluded_by, quota
    tier_amounts: dict[tuple[str, str], int] | None = None
    notes: tuple[str, ...] = ()


def default_settings(product: ProductRules) -> Settings:
    r = product.spec.reserve
    return Settings(
        supply=product.spec.supply,
        rounding=product.spec.rounding,
        entitlement=product.entitlement,
        reserve_share=Fraction(str(r.share)) if r and r.share is not None else None,
        reserve_amount=r.amount if r else None,
        reserve_owner=r.owner if r else None,
    )


def reserve_of(settings: Settings) -> int:
    """Units held back: a share is rounded down, so the reserve never exceeds what was asked."""
    if settings.reserve_amount is not None:
        return min(settings.reserve_amount, settings.supply)
    if settings.reserve_share is not None:
        return int(settings.reserve_share * settings.supply)
    return 0


def excluded_by(product: ProductRules, ctx: Context) -> pl.Series:
    """The first eligibility rule that excludes each client (null: eligible), via the engine."""
    if not product.eligible:
        return pl.Series("excluded_by", [None] * ctx.tiers.height, dtype=pl.String)
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


def _tier_table(values: dict[str, dict[str, int]] | dict[str, dict[str, Fraction]], name: str) -> pl.DataFrame:
    rows = [(lad, t, v) for lad, row in values.items() for t, v in row.items()]
    dtype = pl.Int64 if all(isinstance(v, int) for _, _, v in rows) else pl.Object
    return pl.DataFrame(rows, schema={"ladder": pl.String, "tier": pl.String, name: dtype}, orient="row")


def allocate_product(product: ProductRules, settings: Settings, ctx: Context) -> ProductResult:
    """Quotas for one product, for every client of the run."""
    spec = product.spec
    t = ctx.table
    n = t.height
    window = pl.DataFrame(
        [(lad, tier) for lad, tiers in product.window.items() for tier in tiers],
        schema={"ladder": pl.String, "tier": pl.String},
        orient="row",
    ).with_columns(pl.lit(True).alias("in_window"))
    ordered = t[spec.order_column].cast(pl.Int64) if spec.order_column else pl.Series([None] * n, dtype=pl.Int64)
    df = (
        ctx.tiers.select("client_id", "ladder", "tier")
        .with_columns(
            ordered.alias("ordered"),
            excluded_by(product, ctx),
            pl.Series("_key", product_keys(ctx.hashes, ctx.seed, ctx.period, spec.id)),
        )
        .join(window, on=["ladder", "tier"], how="left", maintain_order="left")
    )
    cap = pl.min_horizontal(pl.col("ordered"), pl.lit(spec.max_per_client, dtype=pl.Int64))
    blocked = pl.col("excluded_by").is_not_null() | pl.col("in_window").is_null()
    df = df.with_columns(pl.when(blocked).then(0).otherwise(cap).alias("cap"))
    reserve = reserve_of(settings)
    available = settings.supply - reserve
    notes: list[str] = []
    amounts = None
    if spec.policy in ("per_tier", "weighted"):
        if spec.policy == "per_tier":
            assert settings.entitlement is not None
            weights: dict[tuple[str, str], Fraction] = {
                (lad, tier): Fraction(v) for lad, row in settings.entitlement.items() for tier, v in row.items()
            }
        else:
            assert product.weights is not None
            weights = {(lad, tier): v for lad, row in product.weights.items() for tier, v in row.items()}
        positive = pl.DataFrame(
            [(lad, tier, w > 0, int(w) if spec.policy == "per_tier" else None) for (lad, tier), w in weights.items()],
            schema={"ladder": pl.String, "tier": pl.String, "_pos": pl.Boolean, "_ent": pl.Int64},
            orient="row",
        )
        df = df.join(positive, on=["ladder", "tier"], how="left", maintain_order="left")
        claim = pl.min_horizontal(pl.col("_ent"), pl.col("cap")) if spec.policy == "per_tier" else pl.col("cap")
        df = df.with_columns(pl.when(pl.col("_pos")).then(claim).otherwise(0).alias("claim"))
        floor = pl.lit(0, dtype=pl.Int64)
        if spec.min_per_client:
            wants = (
                pl.col("_pos")
                & (pl.col("ordered").is_null() | (pl.col("ordered") > 0))
                & (pl.col("claim").is_null() | (pl.col("claim") > 0))
            )
            floor = pl.when(wants).then(pl.min_horizontal(pl.lit(spec.min_per_client), pl.col("claim"))).otherwise(0)
        df = df.with_columns(floor.cast(pl.Int64).alias("floor"))
        needed = int(df["floor"].sum())
        if needed > available:
            notes.append(f"min_per_client {spec.min_per_client} not applied: {needed} needed, {available} available")
            df = df.with_columns(pl.lit(0, dtype=pl.Int64).alias("floor"))
        quota = _apportion_frame(df, weights, available, settings.rounding)
        df = df.with_columns(quota, pl.col("claim").alias("entitled"))
    elif spec.policy == "priority":
        df = df.with_columns(pl.col("cap").alias("claim"), pl.lit(0, dtype=pl.Int64).alias("floor"))
        df = df.with_columns(_priority(df, product, available, settings.rounding), pl.col("cap").alias("entitled"))
    else:
        amounts = _tier_amounts(df, product, settings, available)
        table = pl.DataFrame(
            [(lad, tier, a) for (lad, tier), a in amounts.items()],
            schema={"ladder": pl.String, "tier": pl.String, "_amount": pl.Int64},
            orient="row",
        )
        df = df.join(table, on=["ladder", "tier"], how="left", maintain_order="left")
        got = pl.min_horizontal(pl.col("_amount").fill_null(0), pl.col("cap"))
        df = df.with_columns(got.alias("quota"), got.alias("entitled"))
    frame = df.select(
        "client_id",
        pl.lit(spec.id).alias("product"),
        "ladder",
        "tier",
        "ordered",
        pl.col("entitled").cast(pl.Int64),
        "excluded_by",
        pl.col("quota").cast(pl.Int64),
    )
    allocated = int(frame["quota"].sum())
    return ProductResult(
        spec.id,
        settings.supply,
        reserve,
        settings.reserve_owner,
        available,
        allocated,
        available - allocated,
        frame,
        amounts,
        tuple(notes),
    )


def _apportion_frame(df: pl.DataFrame, weights: dict[tuple[str, str], Fraction], total: int, method: str) -> pl.Series:
    """Quotas for the clients of `df` (columns ladder, tier, claim, floor, _key) sharing `total`."""
    groups = df.group_by(KEY).agg(pl.len().alias("_n")).sort(KEY, nulls_last=True)
    specs = [
        Group(weights.get((lad, tier), Fraction(0)), count, claim, floor)
        for lad, tier, claim, floor, count in groups.iter_rows()
    ]
    shares, extra = apportion_groups(specs, total, method)
    groups = groups.with_columns(
        pl.Series("_base", [s.base for s in shares], dtype=pl.Int64),
        pl.Series("_tied", [s.tied for s in shares], dtype=pl.Int64),
    )
    out = df.join(groups, on=KEY, how="left", nulls_equal=True, maintain_order="left")
    quota = out["_base"]
    if extra:
        # Within a group the first `tied` members by key are in the tie; across groups, the
        # lowest keys (then client ids) among those get one more unit each.
        ranked = out.with_row_index("_i").filter(pl.col("_tied") > 0)
        ranked = ranked.with_columns(pl.col("_key").rank("ordinal").over(KEY).alias("_r")).filter(
            pl.col("_r") <= pl.col("_tied")
        )
        winners = ranked.sort("_key", "client_id").head(extra)["_i"].to_numpy()
        values = quota.to_numpy().copy()
        values[winners] += 1
        quota = pl.Series(values)
    return quota.alias("quota")


def _priority(df: pl.DataFrame, product: ProductRules, total: int, method: str) -> pl.Series:
    """Serve tiers best first, rank by rank across ladders; equal shares within a rank."""
    rank_of = pl.DataFrame(
        [(lad, tier, i) for lad, tiers in product.window.items() for i, tier in enumerate(tiers)],
        schema={"ladder": pl.String, "tier": pl.String, "_rank": pl.Int64},
        orient="row",
    )
    ranked = df.with_row_index("_i").join(rank_of, on=["ladder", "tier"], how="left", maintain_order="left")
    values = np.zeros(df.height, dtype=np.int64)
    left = total
    for rank in sorted(r for r in ranked["_rank"].unique().to_list() if r is not None):
        part = ranked.filter(pl.col("_rank") == rank)
        ones = {(lad, tier): Fraction(1) for lad, tier in part.select("ladder", "tier").unique().iter_rows()}
        quota = _apportion_frame(part, ones, left, method)
        values[part["_i"].to_numpy()] = quota.to_numpy()
        left -= int(quota.sum())
    return pl.Series("quota", values)


def _tier_amounts(
    df: pl.DataFrame, product: ProductRules, settings: Settings, available: int
) -> dict[tuple[str, str], int]:
    spec = product.spec
    present = [lad for lad in product.window if lad in set(df["ladder"].unique().to_list())]
    split = spec.ladder_split or {}
    if len(present) > 1:
        shares = apportion([Fraction(str(split.get(lad, 0))) for lad in present], available, method="hamilton")
    else:
        shares = [available] * len(present)
    hist = df.group_by("ladder", "tier", "cap").agg(pl.len().alias("n"))
    amounts: dict[tuple[str, str], int] = {}
    for lad, share in zip(present, shares, strict=True):
        window = product.window[lad]
        caps: dict[str, dict[int | None, int]] = {t: {} for t in window}
        for _, tier, cap, count in hist.filter(pl.col("ladder") == lad).iter_rows():
            if tier in caps:
                caps[tier][cap] = count
        ent = settings.entitlement[lad] if settings.entitlement and spec.shape == "entitlement" else None
        result = solve_tier_amounts(
            [TierDemand(t, caps[t]) for t in window],
            share,
            target=spec.target,
            shape=spec.shape,
            entitlement=[ent[t] for t in window] if ent else None,
            max_amount=spec.max_per_client,
        )
        amounts.update({(lad, t): a for t, a in zip(window, result.amounts, strict=True)})
    return amounts


def allocate(rules: AllocationRules, ctx: Context, settings: dict[str, Settings]) -> list[ProductResult]:
    """Every product's quotas, in file order."""
    return [allocate_product(p, settings[p.id], ctx) for p in rules.products]
