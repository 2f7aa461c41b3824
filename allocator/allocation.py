"""Allocation policies on top of `apportion`: who is eligible, what each client may claim, quotas.

For each product: the reserve is held back first; eligibility rules run through the engine
(an excluded client gets 0); tiers outside the window get 0; each client's cap is the smallest
of its order and `max_per_client`; then the policy decides:

- `per_tier`: each client claims its tier's entitlement (capped); when supply is short every
  claim is scaled down by one common divisor (a divisor method, `rounding`).
- `weighted`: supply is shared in proportion to tier weights until orders are met.
- `priority`: tiers are served best first (rank by rank across ladders), equal shares within.
- `tier_amounts`: one amount per (ladder, tier), non-increasing, total optimal for `target`.

Supply left once every claim is met is reported as `unallocated`, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import polars as pl

from allocator.allocation_rules import AllocationRules, ProductRules
from allocator.apportion import apportion, tiebreak_keys
from allocator.engine import Rule, all_matches
from allocator.tier_amounts import TierDemand, solve_tier_amounts


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
class ProductResult:
    product: str
    supply: int
    reserve: int
    reserve_owner: str | None
    available: int
    allocated: int
    unallocated: int
    quotas: pl.DataFrame  # client_id, product, ladder, tier, ordered, entitled, cap, excluded_by, quota
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


def allocate_product(
    product: ProductRules,
    settings: Settings,
    table: pl.DataFrame,
    tiers: pl.DataFrame,
    *,
    seed: int,
    period: str,
) -> ProductResult:
    """Quotas for one product: `table` has the rule inputs, `tiers` the tier of each client (same order)."""
    spec = product.spec
    ids = tiers["client_id"].to_list()
    ladders = tiers["ladder"].to_list()
    tier_list = tiers["tier"].to_list()
    n = len(ids)
    excluded_by: list[str | None] = [None] * n
    if product.eligible:
        facts = table.with_columns(tiers["tier"]).to_dicts()
        rules = [Rule(e.id, e.cond) for e in product.eligible]
        for i, hits in enumerate(all_matches(f"eligible-{spec.id}", rules, facts)):
            excluded_by[i] = hits[0] if hits else None
    ordered: list[int | None] = table[spec.order_column].to_list() if spec.order_column else [None] * n
    in_window = [t in product.window.get(lad, ()) for lad, t in zip(ladders, tier_list, strict=True)]
    caps: list[int | None] = []
    for i in range(n):
        cap = _min(ordered[i], spec.max_per_client)
        caps.append(0 if excluded_by[i] is not None or not in_window[i] else cap)
    reserve = reserve_of(settings)
    available = settings.supply - reserve
    keys = tiebreak_keys(seed, period, spec.id, ids)
    amounts = None
    notes: list[str] = []
    if spec.policy == "per_tier":
        assert settings.entitlement is not None
        entitled = [settings.entitlement[lad][t] for lad, t in zip(ladders, tier_list, strict=True)]
        claim = [_min(e, c) if c is not None else e for e, c in zip(entitled, caps, strict=True)]
        floors = _floors(entitled, claim, ordered, spec.min_per_client)
        if sum(floors) > available:
            notes.append(
                f"min_per_client {spec.min_per_client} not applied: {sum(floors)} needed, {available} available"
            )
            floors = [0] * n
        quotas = _apportion(entitled, claim, floors, available, settings.rounding, keys)
        entitled_out: list[int | None] = list(claim)
    elif spec.policy == "weighted":
        assert product.weights is not None
        weights = [product.weights[lad][t] for lad, t in zip(ladders, tier_list, strict=True)]
        claim = [0 if w == 0 else c for w, c in zip(weights, caps, strict=True)]
        floors = _floors(weights, claim, ordered, spec.min_per_client)
        if sum(floors) > available:
            notes.append(
                f"min_per_client {spec.min_per_client} not applied: {sum(floors)} needed, {available} available"
            )
            floors = [0] * n
        quotas = _apportion(weights, claim, floors, available, settings.rounding, keys)
        entitled_out = list(claim)
    elif spec.policy == "priority":
        quotas = _priority(ladders, tier_list, product, caps, available, settings.rounding, keys)
        entitled_out = list(caps)
    else:
        quotas, amounts = _tier_amounts(product, settings, ladders, tier_list, caps, available)
        entitled_out = [_min(amounts[(lad, t)], c) for lad, t, c in zip(ladders, tier_list, caps, strict=True)]
    allocated = sum(quotas)
    frame = pl.DataFrame(
        {
            "client_id": ids,
            "product": [spec.id] * n,
            "ladder": ladders,
            "tier": tier_list,
            "ordered": pl.Series(ordered, dtype=pl.Int64),
            "entitled": pl.Series(entitled_out, dtype=pl.Int64),
            "excluded_by": pl.Series(excluded_by, dtype=pl.String),
            "quota": pl.Series(quotas, dtype=pl.Int64),
        }
    )
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


def _min(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _floors(
    weights: Sequence[int | Fraction], caps: list[int | None], ordered: list[int | None], min_per_client: int | None
) -> list[int]:
    """`min_per_client` for every client with a claim (positive weight, and an order if orders are known)."""
    if not min_per_client:
        return [0] * len(weights)
    out = []
    for w, c, o in zip(weights, caps, ordered, strict=True):
        claims = w > 0 and (o is None or o > 0) and c != 0
        out.append(0 if not claims else min_per_client if c is None else min(min_per_client, c))
    return out


def _apportion(
    weights: Sequence[int | Fraction],
    caps: list[int | None],
    floors: list[int],
    available: int,
    method: str,
    keys: list[int],
) -> list[int]:
    return apportion(list(weights), available, caps=caps, floors=floors, method=method, tiebreak=keys)


def _priority(
    ladders: list[str],
    tiers: list[str],
    product: ProductRules,
    caps: list[int | None],
    available: int,
    method: str,
    keys: list[int],
) -> list[int]:
    ranks: dict[int, list[int]] = {}
    for i, (lad, t) in enumerate(zip(ladders, tiers, strict=True)):
        ranks.setdefault(product.window[lad].index(t) if t in product.window.get(lad, ()) else -1, []).append(i)
    quotas = [0] * len(tiers)
    left = available
    for rank in sorted(r for r in ranks if r >= 0):
        members = ranks[rank]
        part = apportion(
            [1] * len(members),
            left,
            caps=[caps[i] for i in members],
            method=method,
            tiebreak=[keys[i] for i in members],
        )
        for i, q in zip(members, part, strict=True):
            quotas[i] = q
        left -= sum(part)
    return quotas


def _tier_amounts(
    product: ProductRules,
    settings: Settings,
    ladders: list[str],
    tiers: list[str],
    caps: list[int | None],
    available: int,
) -> tuple[list[int], dict[tuple[str, str], int]]:
    spec = product.spec
    present = sorted(set(ladders), key=list(product.window).index) if ladders else []
    split = spec.ladder_split or {}
    if len(present) > 1:
        shares = apportion([Fraction(str(split.get(lad, 0))) for lad in present], available, method="hamilton")
    else:
        shares = [available] * len(present)
    amounts: dict[tuple[str, str], int] = {}
    for lad, share in zip(present, shares, strict=True):
        window = product.window[lad]
        hist: dict[str, dict[int | None, int]] = {t: {} for t in window}
        for la, t, c in zip(ladders, tiers, caps, strict=True):
            if la == lad and t in hist:
                hist[t][c] = hist[t].get(c, 0) + 1
        ent = settings.entitlement[lad] if settings.entitlement else None
        result = solve_tier_amounts(
            [TierDemand(t, hist[t]) for t in window],
            share,
            target=spec.target,
            shape=spec.shape,
            entitlement=[ent[t] for t in window] if ent and spec.shape == "entitlement" else None,
            max_amount=spec.max_per_client,
        )
        amounts.update({(lad, t): a for t, a in zip(window, result.amounts, strict=True)})
    quotas = [_min(amounts.get((lad, t), 0), c) or 0 for lad, t, c in zip(ladders, tiers, caps, strict=True)]
    return quotas, amounts


def allocate(
    rules: AllocationRules,
    table: pl.DataFrame,
    tiers: pl.DataFrame,
    settings: dict[str, Settings],
    *,
    seed: int,
    period: str,
) -> list[ProductResult]:
    """Every product's quotas, in file order."""
    return [allocate_product(p, settings[p.id], table, tiers, seed=seed, period=period) for p in rules.products]
