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
from dataclasses import dataclass
from fractions import Fraction
from functools import partial

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.arrays import KeyFn, apportion_arrays
from allocator.apportionment.tiebreak import U64, product_keys
from allocator.errors import AllocatorError
from allocator.inputs.models import Product
from allocator.inputs.product_rules import AllocationRules, ProductRules
from allocator.inputs.product_terms import ProductTerms, reserve_of
from allocator.pipeline.amounts import segment_amounts, tier_amounts
from allocator.pipeline.client_rules import excluded_by, factors_of
from allocator.pipeline.cycle import rotation_keys
from allocator.pipeline.manual import (
    RULES,
    Budget,
    Hand,
    ManualProblems,
    budgets_of,
    check_locks_fit,
    hand_quotas,
)
from allocator.pipeline.segments import OUTSIDE as NOT_IN_SEGMENTS
from allocator.pipeline.segments import Pool, plan_segments
from allocator.pipeline.tiered import Caps, TieredClients

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
    segment: pl.Series | None = None  # each client's segment, when the run shows segments
    segment_amounts: dict[tuple[str, str, str], int] | None = None  # (segment, ladder, tier) -> amount
    in_segments: npt.NDArray[np.bool_] | None = None  # a segmented product's chosen clients
    hand: Hand | None = None  # budgets, assignments and locks, when the product has any

    @property
    def budgets(self) -> tuple[Budget, ...]:
        return self.hand.budgets if self.hand is not None else ()

    @property
    def quotas(self) -> pl.DataFrame:
        """client_id, product, ladder, tier, [segment,] ordered, entitled, excluded_by, quota,
        source, [assigned]."""
        base = self.tiers.select("client_id", pl.lit(self.product).alias("product"), "ladder", "tier")
        if self.segment is not None:
            base = base.with_columns(self.segment.alias("segment"))
        return pl.concat([base, self.columns], how="horizontal")


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
    """Quotas for one product, for every client of the run: pool by pool when it has segments."""
    spec = product.spec
    _check_int64(product, terms)
    n = ctx.tiers.height
    caps = caps_of(product, ctx)
    keys: U64 | KeyFn
    if spec.rotation and ctx.cycle is not None:
        every = product_keys(ctx.hashes, ctx.seed, ctx.period, spec.id)
        keys = rotation_keys(every, *ctx.cycle.so_far(spec.id, ctx.tiers["client_id"]))
    else:  # only the keys of tied clients are ever read: work out those alone
        keys = partial(_keys_of, ctx.hashes, ctx.seed, ctx.period, spec.id)
    reserve = reserve_of(terms)
    people = _people(product, terms, ctx, caps, reserve)
    available = terms.supply - reserve + (people.released_early if people else 0)
    factor = factors_of(product, ctx)
    notes: list[str] = []
    plan = None
    if spec.segments is not None:
        plan = plan_segments(spec.segments, product.weighted_field, ctx.table, caps.ordered, available)
        caps = _only(caps, plan.chosen, NOT_IN_SEGMENTS)
        notes += plan.notes
    pools = plan.pools if plan is not None else (Pool("all", np.ones(n, dtype=bool), available),)
    hand = None
    if people is not None:
        hand = hand_quotas(spec.id, ctx.tiers["client_id"], caps, ctx.manual, people.budgets, people.release,
                           plan.pools if people.by_segment and plan is not None else None)  # fmt: skip
        pools = _pools_less_locks(spec.id, hand, pools, ctx, people.by_segment)
        available = sum(p.supply for p in pools) + sum(hand.lock_quota[hand.locked].tolist())
        caps = hand.caps(caps)
    quota, entitled, known = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)
    amounts: dict[tuple[str, str], int] | None = None
    by_segment: dict[tuple[str, str, str], int] | None = None
    for pool in pools:
        inside = caps if plan is None else _only(caps, pool.members, None)
        if spec.policy in ("per_tier", "weighted"):
            q, e, k = _divided(product, terms, ctx, inside, keys, pool.supply, notes, factor)
        elif spec.policy == "priority":
            q = _priority(ctx, product, inside.cap, inside.capped, keys, pool.supply, terms.rounding)
            e, k = inside.cap, inside.capped
        elif plan is None:
            amounts = tier_amounts(ctx, product, terms, inside, pool.supply, factor)
            q = _capped(ctx.per_cell(amounts) * factor, inside)
            e, k = q, np.ones(n, dtype=bool)
        else:
            found = segment_amounts(ctx, product, terms, inside, pool, plan.labels, factor, notes)
            by_segment = {**(by_segment or {}), **found}
            per_client = _per_segment_cell(ctx, plan.labels, found)
            q = _capped(per_client * factor, inside)
            e, k = q, np.ones(n, dtype=bool)
        if plan is None:  # one pool of every client
            quota, entitled, known = q, e, k
            continue
        quota = np.where(pool.members, q, quota)
        entitled = np.where(pool.members, e, entitled)
        known = np.where(pool.members, k, known)
    source = _all_rules(ctx)
    kept = reserve
    if hand is not None:
        entitled = np.where(hand.locked, hand.lock_quota, entitled + hand.assigned)
        known = known | hand.locked
        source, quota, kept = hand.sources(quota), hand.quotas(quota), hand.kept
    columns = pl.DataFrame(
        {
            "ordered": _with_nulls(caps.ordered, caps.has_order),
            "entitled": _with_nulls(entitled, known),
            "excluded_by": caps.excluded,
            "quota": pl.Series(quota, dtype=pl.Int64),
            "source": source,
        }
    )
    if ctx.manual.assignments_file is not None:  # the run has an assignments file, even an empty one
        assigned = hand.assigned if hand is not None else np.zeros(n, dtype=np.int64)
        columns = columns.with_columns(pl.Series("assigned", assigned, dtype=pl.Int64))
    allocated = exact_sum(quota)
    segment = plan.labels if plan is not None else None
    if ctx.segment_column and segment is None:
        segment = pl.Series("segment", [""] * n, dtype=pl.String)
    return ProductResult(
        spec.id, terms.supply, reserve, terms.reserve_owner, available, allocated, terms.supply - kept - allocated,
        columns, ctx.tiers, amounts, tuple(notes), segment, by_segment,
        plan.chosen if plan is not None else None, hand,
    )  # fmt: skip


def exact_sum(values: npt.NDArray[np.int64]) -> int:
    """The exact sum of non-negative int64 values: numpy's when no partial sum can pass int64, else Python's."""
    if not values.size:
        return 0
    if int(values.max()) * values.size < INT64_MAX:
        return int(values.sum())
    return sum(values.tolist())


def _with_nulls(values: npt.NDArray[np.int64], known: npt.NDArray[np.bool_]) -> pl.Series:
    """An int64 column, null where not `known` (no copy for the nulls when every value is known)."""
    column = pl.Series(values, dtype=pl.Int64)
    return column if known.all() else column.set(pl.Series(~known), None)


def _all_rules(ctx: TieredClients) -> pl.Series:
    """quotas.csv's `source` when the rules set every quota: one column shared by the products."""
    found = ctx.memo.get("source rules")
    if not isinstance(found, pl.Series):
        found = ctx.memo["source rules"] = pl.repeat(RULES, ctx.tiers.height, eager=True, dtype=pl.String)
    return found.alias("source")


def _keys_of(hashes: U64, seed: int, period: str, product: str, rows: npt.NDArray[np.intp]) -> U64:
    """The tie-break keys of some clients (rows) for one product."""
    return product_keys(hashes[rows], seed, period, product)


@dataclass(frozen=True)
class _People:
    """A product's budgets, before the run checks its assignments against them."""

    budgets: list[tuple[str, str | None, int]]
    release: bool
    by_segment: bool
    released_early: int  # units released to the whole supply (owners' budgets, `release`)


def _people(product: ProductRules, terms: ProductTerms, ctx: TieredClients, caps: Caps, reserve: int) -> _People | None:
    """The product's budgets, when it has owners' budgets, assignments or locks (else None)."""
    spec, given = product.spec, terms.reserve_spec
    plain = given is None or (given.owners is None and given.by_segment is None and given.unassigned == "keep")
    if not ctx.manual.touches(spec.id) and plain:
        return None
    by_segment = given is not None and given.by_segment is not None
    reserve_pools = None
    if by_segment and spec.segments is not None:
        reserve_pools = plan_segments(spec.segments, product.weighted_field, ctx.table, caps.ordered, reserve).pools
    budgets = budgets_of(given, reserve, reserve_pools)
    release = given is not None and given.unassigned == "release"
    early = 0
    if release and not by_segment:
        for owner, _, units in budgets:
            early += max(
                0, units - sum(a.units for a in ctx.manual.assignments if a.product == spec.id and a.owner == owner)
            )
    return _People(budgets, release, by_segment, early)


def _pools_less_locks(
    product: str, hand: Hand, pools: tuple[Pool, ...], ctx: TieredClients, by_segment: bool
) -> tuple[Pool, ...]:
    """The pools the policy shares: each with its own budgets' released units (by_segment), less
    the units locked to its members."""
    if by_segment:
        back = {b.segment: b.left for b in hand.budgets if b.released}
        pools = tuple(Pool(p.name, p.members, p.supply + back.get(p.name, 0)) for p in pools)
    check_locks_fit(product, hand, pools, ctx.manual)
    return tuple(
        Pool(p.name, p.members, p.supply - sum(hand.lock_quota[p.members & hand.locked].tolist())) for p in pools
    )


def _only(caps: Caps, members: npt.NDArray[np.bool_], reason: str | None) -> Caps:
    """The caps with every client outside `members` held at 0; `reason` marks why in excluded_by."""
    excluded = caps.excluded
    if reason is not None:
        outside = pl.Series(~members) & excluded.is_null()
        excluded = pl.select(pl.when(outside).then(pl.lit(reason)).otherwise(excluded)).to_series().alias("excluded_by")
    return Caps(caps.ordered, caps.has_order, excluded, np.where(members, caps.cap, 0), caps.capped | ~members)


def _capped(amount: npt.NDArray[np.int64], caps: Caps) -> npt.NDArray[np.int64]:
    """Each client's amount, never above its cap."""
    return np.where(caps.capped, np.minimum(amount, caps.cap), amount)


def _per_segment_cell(
    ctx: TieredClients, labels: pl.Series, amounts: Mapping[tuple[str, str, str], int]
) -> npt.NDArray[np.int64]:
    """Each client's amount from a (segment, ladder, tier) table (0 where it has none)."""
    keys = pl.DataFrame({"segment": labels, "ladder": ctx.tiers["ladder"], "tier": ctx.tiers["tier"]})
    table = pl.DataFrame(
        [(s, lad, t, a) for (s, lad, t), a in amounts.items()],
        schema={"segment": pl.String, "ladder": pl.String, "tier": pl.String, "_amount": pl.Int64},
        orient="row",
    )
    found = keys.join(table, on=["segment", "ladder", "tier"], how="left", maintain_order="left")
    return found["_amount"].fill_null(0).to_numpy()


def _divided(
    product: ProductRules,
    terms: ProductTerms,
    ctx: TieredClients,
    caps: Caps,
    keys: U64 | KeyFn,
    available: int,
    notes: list[str],
    factor: npt.NDArray[np.int64],
) -> Quotas:
    """`per_tier` and `weighted`: one divisor method over every client's claim (see the module);
    a multiplier scales a client's entitlement (per_tier)."""
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
        ent = ctx.per_cell({c: int(w) for c, w in table.items()}) * factor
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
    keys: U64 | KeyFn,
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
            ctx.codes[members], ones, cap[members], capped[members], floor, _some(keys, members), left, method
        )
        quota[members] = part
        left -= exact_sum(part)
    return quota


def _some(keys: U64 | KeyFn, members: npt.NDArray[np.intp]) -> U64 | KeyFn:
    """The keys of `members`, as `keys` gives them: an array, or a function of their rows."""
    if callable(keys):
        return lambda rows: keys(members[rows])
    return keys[members]


def allocate(rules: AllocationRules, ctx: TieredClients, terms: Mapping[str, ProductTerms]) -> list[ProductResult]:
    """Every product's quotas, in file order; the problems of every product's assignments and
    locks at once."""
    results: list[ProductResult] = []
    problems: list[str] = []
    for p in rules.products:
        try:
            results.append(allocate_product(p, terms[p.id], ctx))
        except ManualProblems as exc:
            problems += exc.lines
    if problems:
        raise ManualProblems(problems)
    return results


__all__ = [
    "INT64_MAX",
    "Caps",
    "ProductResult",
    "TieredClients",
    "allocate",
    "allocate_product",
    "caps_of",
    "excluded_by",
]
