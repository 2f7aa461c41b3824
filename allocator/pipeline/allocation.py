"""Allocation policies on top of `apportion`: who is eligible, what each client may claim, quotas.

For each product: the reserve is held back first; eligibility rules run through the engine
(an excluded client gets 0); tiers outside the window get 0; each client's cap is the smallest
of its order and `max_per_client`; then the policy decides:

- `per_tier`: each client claims its tier's entitlement capped by its order and
  `max_per_client`; when supply is short every capped claim is scaled down by one common divisor
  (a divisor method, `rounding`): the capped claim is the weight, so equal claims are treated
  alike whatever the tiers' uncapped entitlements.
- `weighted`: supply is shared in proportion to tier weights until orders are met.
- `priority`: tiers are served best first (rank by rank across ladders), equal shares within.
- `tier_amounts`: one amount per (ladder, tier), non-increasing, total optimal for `target`.

Everything is column-wise: clients with the same (ladder, tier, claim, floor) are
interchangeable, so apportionment runs on those groups, and only the units left for exactly
tied clients are handed out one by one, by tie-break key. Supply left once every claim is met is
reported as `unallocated`, never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.arrays import apportion_arrays, unique_rows
from allocator.apportionment.methods import apportion
from allocator.apportionment.tiebreak import U64, client_hashes, product_keys
from allocator.apportionment.tier_amounts import TierAmountsTooLarge, TierDemand, solve_tier_amounts
from allocator.engine.durable import Rule, all_matches
from allocator.engine.grouping import representatives
from allocator.errors import AllocatorError, TooLargeError
from allocator.inputs.allocation_rules import AllocationRules, ProductRules
from allocator.inputs.conditions import fields_of
from allocator.inputs.ladders import Ladders
from allocator.inputs.models import Product
from allocator.inputs.product_terms import ProductTerms, reserve_of


@dataclass(frozen=True)
class TieredClients:
    """What every product of a run shares: rule inputs, tiers, tie-break hashes, seed, period.

    `ladders.cells` lists every (ladder, tier) of the tiering rules; `codes` gives each client's
    cell, so per-tier tables become array look-ups instead of joins.
    """

    table: pl.DataFrame  # snapshot + derived values + ladder, sorted by client_id
    tiers: pl.DataFrame  # tiers.csv, same order
    hashes: U64
    seed: int
    period: str
    mode: str = "grouped"
    ladders: Ladders = field(default_factory=lambda: Ladders({}))
    codes: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def build(
        cls,
        table: pl.DataFrame,
        tiers: pl.DataFrame,
        ladders: Ladders | Mapping[str, tuple[str, ...]],
        seed: int,
        period: str,
        mode: str,
    ) -> TieredClients:
        ladders = ladders if isinstance(ladders, Ladders) else Ladders(ladders)
        codes = ladders.codes(tiers["ladder"], tiers["tier"])
        hashes = client_hashes(tiers["client_id"].to_list())
        return cls(table, tiers, hashes, seed, period, mode, ladders, codes)

    @property
    def cells(self) -> tuple[tuple[str, str], ...]:
        return self.ladders.cells

    @property
    def ranks(self) -> npt.NDArray[np.int64]:
        """Each client's tier position on its ladder (0 = best): ties go to the better tier."""
        return self.ladders.cell_ranks[self.codes]

    def per_cell(self, values: Mapping[tuple[str, str], int], default: int = 0) -> npt.NDArray[np.int64]:
        """Each client's value from a (ladder, tier) table."""
        return np.array([values.get(c, default) for c in self.cells], dtype=np.int64)[self.codes]


INT64_MAX = 2**63 - 1  # quotas, caps and claims live in int64 arrays
OUTSIDE = -1  # a rank for tiers outside the window: ranks are positions, never negative


@dataclass(frozen=True)
class ProductResult:
    """One product's allocation: totals, and per client (in tiers order) the numbers behind it."""

    product: str
    supply: int
    reserve: int
    reserve_owner: str | None
    available: int
    allocated: int
    unallocated: int
    columns: pl.DataFrame  # ordered, entitled, excluded_by, quota
    tiers: pl.DataFrame
    tier_amounts: dict[tuple[str, str], int] | None = None
    notes: tuple[str, ...] = ()

    @property
    def quotas(self) -> pl.DataFrame:
        """client_id, product, ladder, tier, ordered, entitled, excluded_by, quota."""
        base = self.tiers.select("client_id", pl.lit(self.product).alias("product"), "ladder", "tier")
        return pl.concat([base, self.columns], how="horizontal")


def excluded_by(product: ProductRules, ctx: TieredClients) -> pl.Series:
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


def _check_int64(product: ProductRules, terms: ProductTerms) -> None:
    """Every quantity that enters an int64 array fits it (the rule files bound them far lower)."""
    spec = product.spec
    named = [("supply", terms.supply), ("max_per_client", spec.max_per_client)]
    named.append(("min_per_client", spec.min_per_client))
    for ladder, row in (terms.entitlement or {}).items():
        named += [(f"per_client {ladder}/{tier}", value) for tier, value in row.items()]
    for name, value in named:
        if value is not None and value > INT64_MAX:
            raise AllocatorError(
                f"product {spec.id}: {name} {value:,} is above the largest allocation supports, {INT64_MAX:,}"
            )


def _orders(product: ProductRules, ctx: TieredClients) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Each client's order (0 where none) and whether it has one: an explicit mask, so that no
    order value, however large, can mean "no order"."""
    column = product.spec.order_column
    n = ctx.tiers.height
    if not column:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    values = ctx.table[column].cast(pl.Int64)
    has = values.is_not_null().to_numpy()
    ordered = values.fill_null(0).to_numpy()
    negative = np.flatnonzero(ordered < 0)
    if negative.size:  # the snapshot refuses them; a caller of the Python API may not have
        row = int(negative[0])
        raise AllocatorError(
            f"product {product.id}: order column {column}: {int(ordered[row])} is below 0 "
            f"(client {ctx.tiers['client_id'][row]})"
        )
    return ordered, has


def _floors(
    spec: Product, claim: npt.NDArray[np.int64], bounded: npt.NDArray[np.bool_], wants: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """min_per_client for every client that wants one, never above its claim."""
    assert spec.min_per_client is not None
    low = np.where(bounded, np.minimum(spec.min_per_client, claim), spec.min_per_client)
    return np.where(wants, low, 0)


@dataclass(frozen=True)
class Caps:
    """Per client: its order (0 where none, `has_order` says), the eligibility rule that excludes
    it, and its cap, the smallest of order and max_per_client (0 when excluded or outside the
    window; `capped` says whether there is a cap at all)."""

    ordered: npt.NDArray[np.int64]
    has_order: npt.NDArray[np.bool_]
    excluded: pl.Series
    cap: npt.NDArray[np.int64]
    capped: npt.NDArray[np.bool_]


def caps_of(product: ProductRules, ctx: TieredClients) -> Caps:
    """Each client's order, exclusion and cap for one product."""
    spec = product.spec
    inside = {(lad, t) for lad, tiers in product.window.items() for t in tiers}
    in_window = np.array([c in inside for c in ctx.cells], dtype=bool)[ctx.codes]
    ordered, has_order = _orders(product, ctx)
    excluded = excluded_by(product, ctx)
    shut = excluded.is_not_null().to_numpy() | ~in_window
    capped = has_order | (spec.max_per_client is not None) | shut
    cap = ordered.copy()
    if spec.max_per_client is not None:
        cap = np.where(has_order, np.minimum(cap, spec.max_per_client), spec.max_per_client)
    return Caps(ordered, has_order, excluded, np.where(shut, 0, cap), capped)


Quotas = tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]  # quota, entitled, known


def allocate_product(product: ProductRules, terms: ProductTerms, ctx: TieredClients) -> ProductResult:
    """Quotas for one product, for every client of the run."""
    spec = product.spec
    _check_int64(product, terms)
    n = ctx.tiers.height
    caps = caps_of(product, ctx)
    keys = product_keys(ctx.hashes, ctx.seed, ctx.period, spec.id)
    reserve = reserve_of(terms)
    available = terms.supply - reserve
    notes: list[str] = []
    amounts = None
    if spec.policy in ("per_tier", "weighted"):
        quota, entitled, known = _divided(product, terms, ctx, caps, keys, available, notes)
    elif spec.policy == "priority":
        quota = _priority(ctx, product, caps.cap, caps.capped, keys, available, terms.rounding)
        entitled, known = caps.cap, caps.capped
    else:
        amounts = _tier_amounts(ctx, product, terms, caps.cap, caps.capped, available)
        per_client = ctx.per_cell(amounts)
        quota = np.where(caps.capped, np.minimum(per_client, caps.cap), per_client)
        entitled, known = quota, np.ones(n, dtype=bool)
    columns = pl.DataFrame(
        {
            "ordered": pl.Series(caps.ordered, dtype=pl.Int64).set(pl.Series(~caps.has_order), None),
            "entitled": pl.Series(entitled, dtype=pl.Int64).set(pl.Series(~known), None),
            "excluded_by": caps.excluded,
            "quota": pl.Series(quota, dtype=pl.Int64),
        }
    )
    allocated = sum(quota.tolist()) if n else 0  # exact; at most `available`, which fits int64
    return ProductResult(
        spec.id, terms.supply, reserve, terms.reserve_owner, available, allocated, available - allocated,
        columns, ctx.tiers, amounts, tuple(notes),
    )  # fmt: skip


def _divided(
    product: ProductRules,
    terms: ProductTerms,
    ctx: TieredClients,
    caps: Caps,
    keys: U64,
    available: int,
    notes: list[str],
) -> Quotas:
    """`per_tier` and `weighted`: one divisor method over every client's claim (see the module)."""
    spec, n = product.spec, ctx.tiers.height
    if spec.policy == "per_tier":
        assert terms.entitlement is not None
        table = {(lad, t): Fraction(v) for lad, row in terms.entitlement.items() for t, v in row.items()}
    else:
        assert product.weights is not None
        table = {(lad, t): v for lad, row in product.weights.items() for t, v in row.items()}
    positive = ctx.per_cell({c: int(w > 0) for c, w in table.items()}).astype(bool)
    claim, bounded = caps.cap, caps.capped
    if spec.policy == "per_tier":
        ent = ctx.per_cell({c: int(w) for c, w in table.items()})
        claim, bounded = np.where(caps.capped, np.minimum(ent, caps.cap), ent), np.ones(n, dtype=bool)
    claim = np.where(positive, claim, 0)
    bounded = bounded | ~positive
    floor = np.zeros(n, dtype=np.int64)
    if spec.min_per_client:
        wants = positive & (~caps.has_order | (caps.ordered > 0)) & (~bounded | (claim != 0))
        floor = _floors(spec, claim, bounded, wants)
        needed = sum(floor.tolist())  # exact: an int64 sum of many floors could wrap
        if needed > available:
            notes.append(f"min_per_client {spec.min_per_client} not applied: {needed} needed, {available} available")
            floor = np.zeros(n, dtype=np.int64)
    # per_tier: the weight is the capped claim itself, so one common divisor scales every
    # claim alike (README); weighted: the tier's weight, capped by the order
    weights = None if spec.policy == "per_tier" else [table.get(c, Fraction(0)) for c in ctx.cells]
    quota = apportion_arrays(ctx.codes, weights, claim, bounded, floor, keys, available, terms.rounding, ctx.ranks)
    return quota, claim, bounded


def _priority(
    ctx: TieredClients,
    product: ProductRules,
    cap: npt.NDArray[np.int64],
    capped: npt.NDArray[np.bool_],
    keys: U64,
    total: int,
    method: str,
) -> npt.NDArray[np.int64]:
    """Serve tiers best first, rank by rank across ladders; equal shares within a rank."""
    rank_of = {(lad, t): i for lad, tiers in product.window.items() for i, t in enumerate(tiers)}
    ranks = ctx.per_cell(rank_of, default=OUTSIDE)
    quota = np.zeros(len(cap), dtype=np.int64)
    left = total
    ones = [Fraction(1)] * len(ctx.cells)
    for rank in sorted(set(ranks.tolist()) - {OUTSIDE}):
        members = np.flatnonzero(ranks == rank)
        floor = np.zeros(len(members), dtype=np.int64)
        part = apportion_arrays(
            ctx.codes[members], ones, cap[members], capped[members], floor, keys[members], left, method
        )
        quota[members] = part
        left -= sum(part.tolist())
    return quota


def _tier_amounts(
    ctx: TieredClients,
    product: ProductRules,
    terms: ProductTerms,
    cap: npt.NDArray[np.int64],
    capped: npt.NDArray[np.bool_],
    available: int,
) -> dict[tuple[str, str], int]:
    spec = product.spec
    present_codes = set(np.unique(ctx.codes).tolist())
    present = [lad for lad in product.window if any(ctx.cells[c][0] == lad for c in present_codes)]
    split = spec.ladder_split or {}
    if len(present) > 1:
        shares = apportion([Fraction(str(split.get(lad, 0))) for lad in present], available, method="hamilton")
    else:
        shares = [available] * len(present)
    triples, _, counts = unique_rows(ctx.codes, cap, capped.astype(np.int64))
    hist: dict[tuple[str, str], dict[int | None, int]] = {}
    for (code, c, b), k in zip(triples, counts.tolist(), strict=True):
        hist.setdefault(ctx.cells[code], {})[c if b else None] = k
    amounts: dict[tuple[str, str], int] = {}
    for lad, share in zip(present, shares, strict=True):
        window = product.window[lad]
        ent = terms.entitlement[lad] if terms.entitlement and spec.shape == "entitlement" else None
        try:
            result = solve_tier_amounts(
                [TierDemand(t, hist.get((lad, t), {})) for t in window],
                share,
                target=spec.target,
                shape=spec.shape,
                entitlement=[ent[t] for t in window] if ent else None,
                max_amount=spec.max_per_client,
            )
        except TierAmountsTooLarge as exc:
            raise TooLargeError(f"product {spec.id}, ladder {lad}: {exc}") from None
        amounts.update({(lad, t): a for t, a in zip(window, result.amounts, strict=True)})
    return amounts


def allocate(rules: AllocationRules, ctx: TieredClients, terms: dict[str, ProductTerms]) -> list[ProductResult]:
    """Every product's quotas, in file order."""
    return [allocate_product(p, terms[p.id], ctx) for p in rules.products]
