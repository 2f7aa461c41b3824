"""`tier_amounts`: one amount per tier (per segment and tier with segments), at the proven optimum.

Clients are grouped by (cell, cap, multiplier): the solvers see group counts, never clients.
Several ladders share the supply by `ladder_split` (largest remainder) and are solved apart.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.arrays import unique_rows
from allocator.apportionment.methods import apportion
from allocator.apportionment.segment_amounts import SegmentDemand, solve_segment_amounts
from allocator.apportionment.tier_amounts import TierAmountsTooLarge, TierDemand, solve_tier_amounts
from allocator.errors import TooLargeError
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.product_terms import ProductTerms
from allocator.pipeline.segments import Pool
from allocator.pipeline.tiered import Caps, TieredClients

Histogram = dict[tuple[str, str], dict[tuple[int | None, int], int]]  # cell -> (cap, factor) -> clients


def histogram(
    ctx: TieredClients, caps: Caps, factor: npt.NDArray[np.int64], members: npt.NDArray[np.bool_]
) -> Histogram:
    """Per (ladder, tier) cell, how many of `members` have each (cap, multiplier); None = uncapped."""
    rows, _, counts = unique_rows(
        ctx.codes[members], caps.cap[members], caps.capped[members].astype(np.int64), factor[members]
    )
    hist: Histogram = {}
    for (code, c, b, f), k in zip(rows, counts.tolist(), strict=True):
        hist.setdefault(ctx.cells[code], {})[(c if b else None, f)] = k
    return hist


def demand(name: str, groups: dict[tuple[int | None, int], int]) -> TierDemand:
    """The solver's view of one tier: clients by cap, and by cap and multiplier where one applies."""
    plain: dict[int | None, int] = {}
    scaled: dict[tuple[int | None, int], int] = {}
    for (cap, f), k in groups.items():
        if f == 1:
            plain[cap] = plain.get(cap, 0) + k
        else:
            scaled[(cap, f)] = k
    return TierDemand(name, plain, scaled) if scaled else TierDemand(name, plain)


def _ladder_shares(ctx: TieredClients, product: ProductRules, available: int) -> list[tuple[str, int]]:
    """The ladders of the window that have clients, each with its share of the supply."""
    present_codes = set(np.unique(ctx.codes).tolist())
    present = [lad for lad in product.window if any(ctx.cells[c][0] == lad for c in present_codes)]
    split = product.spec.ladder_split or {}
    if len(present) > 1:
        shares = apportion([Fraction(str(split.get(lad, 0))) for lad in present], available, method="hamilton")
    else:
        shares = [available] * len(present)
    return list(zip(present, shares, strict=True))


def _options(product: ProductRules, terms: ProductTerms, ladder: str) -> dict[str, Any]:
    """What both solvers are told besides the demand and the supply: target, shape, entitlement, cap."""
    spec = product.spec
    ent = terms.entitlement[ladder] if terms.entitlement and spec.shape == "entitlement" else None
    entitlement = [ent[t] for t in product.window[ladder]] if ent else None
    return {"target": spec.target, "shape": spec.shape, "entitlement": entitlement, "max_amount": spec.max_per_client}


def tier_amounts(
    ctx: TieredClients,
    product: ProductRules,
    terms: ProductTerms,
    caps: Caps,
    available: int,
    factor: npt.NDArray[np.int64],
) -> dict[tuple[str, str], int]:
    """One amount per (ladder, tier) of the window: the single-ladder solver, ladder by ladder."""
    spec = product.spec
    hist = histogram(ctx, caps, factor, np.ones(ctx.tiers.height, dtype=bool))
    amounts: dict[tuple[str, str], int] = {}
    for lad, share in _ladder_shares(ctx, product, available):
        window = product.window[lad]
        try:
            result = solve_tier_amounts(
                [demand(t, hist.get((lad, t), {})) for t in window], share, **_options(product, terms, lad)
            )
        except TierAmountsTooLarge as exc:
            raise TooLargeError(f"product {spec.id}, ladder {lad}: {exc}") from None
        amounts.update({(lad, t): a for t, a in zip(window, result.amounts, strict=True)})
    return amounts


def segment_amounts(
    ctx: TieredClients,
    product: ProductRules,
    terms: ProductTerms,
    caps: Caps,
    pool: Pool,
    labels: pl.Series,
    factor: npt.NDArray[np.int64],
    notes: list[str],
) -> dict[tuple[str, str, str], int]:
    """One amount per (segment, ladder, tier) of one pool: the segment solver, ladder by ladder.
    A spread or a tie-break the bounded search could not prove smallest is said in `notes`."""
    spec = product.spec
    names = labels.to_numpy()
    segments = sorted(set(names[pool.members].tolist()))
    hists = {s: histogram(ctx, caps, factor, pool.members & (names == s)) for s in segments}
    amounts: dict[tuple[str, str, str], int] = {}
    for lad, share in _ladder_shares(ctx, product, pool.supply):
        window = product.window[lad]
        demands = [SegmentDemand(s, [demand(t, hists[s].get((lad, t), {})) for t in window]) for s in segments]
        try:
            result = solve_segment_amounts(demands, share, **_options(product, terms, lad))
        except TierAmountsTooLarge as exc:
            raise TooLargeError(f"product {spec.id}, pool {pool.name}, ladder {lad}: {exc}") from None
        for s in segments:
            amounts.update({(s, lad, t): a for t, a in zip(window, result.amounts[s], strict=True)})
        if len(segments) > 1:
            proof = "proven smallest" if result.spread_proven else "the smallest found, not proven"
            shape = "" if result.shape_proven else "; the tie-break among such plans is not proven"
            notes.append(f"pool {pool.name}, ladder {lad}: spread {result.spread} between segments ({proof}{shape})")
    return amounts
