"""Segments: who may receive a product, and the pools its supply is split into.

A segment is one combination of the values of the product's `segments.by` fields (a district;
a district and a market type). Clients outside the chosen segments get 0 (quotas.csv says
`not in segments`). The chosen clients form pools:

- no weights: one pool, every chosen segment shares the whole supply;
- weights by the values of one field (`{城网: 4, 农网: 6}`): one pool per value, the supply
  split first by those shares, in whole units that add up exactly (largest remainder);
- `clients` / `orders`: one pool per segment, shares by its number of clients / its orders.

Shares are split with Hamilton (largest remainder) and exact arithmetic; equal remainders go to
the pool named first (the order of `values`, then of the weights). A pool without clients keeps
its units, reported as unallocated with a note, never given to another pool silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.methods import apportion
from allocator.inputs.models import Segments
from allocator.inputs.segment_rules import SEPARATOR

OUTSIDE = "not in segments"  # the reason quotas.csv gives a client outside the chosen segments


@dataclass(frozen=True)
class Pool:
    """Clients that share one supply: its name, its members, its supply."""

    name: str
    members: npt.NDArray[np.bool_]
    supply: int


@dataclass(frozen=True)
class SegmentPlan:
    """Each client's segment label, whether it is chosen, and the pools of the chosen clients."""

    labels: pl.Series  # "" for a client with an empty value in one of the fields
    chosen: npt.NDArray[np.bool_]
    pools: tuple[Pool, ...]
    notes: tuple[str, ...] = ()


def segment_labels(table: pl.DataFrame, by: list[str]) -> pl.Series:
    """Each client's segment: its values of the `by` fields joined by SEPARATOR ('' if one is empty)."""
    joined = table.select(pl.concat_str([pl.col(f).cast(pl.String) for f in by], separator=SEPARATOR))
    return joined.to_series().fill_null("").alias("segment")


def chosen_labels(segments: Segments) -> list[str] | None:
    """The chosen segments as labels, in the order written (None: all of them)."""
    if segments.values == "all":
        return None
    return [v if isinstance(v, str) else SEPARATOR.join(v) for v in segments.values]


def plan_segments(
    segments: Segments, weighted_field: str | None, table: pl.DataFrame, orders: npt.NDArray[np.int64], supply: int
) -> SegmentPlan:
    """The labels, the chosen clients and the pools, with each pool's whole share of `supply`.

    `weighted_field` is the `by` field whose values fixed weights name (found when the rule file
    is read)."""
    labels = segment_labels(table, segments.by)
    wanted = chosen_labels(segments)
    present = labels.to_numpy() != ""
    chosen = present if wanted is None else labels.is_in(wanted).to_numpy() & present
    order = wanted if wanted is not None else sorted(set(labels.filter(pl.Series(chosen)).to_list()))
    weights = segments.weights
    if weights is None:
        return SegmentPlan(labels, chosen, (Pool("all", chosen, supply),))
    if isinstance(weights, dict):
        assert weighted_field is not None
        values = table[weighted_field].cast(pl.String).to_numpy()
        names = list(weights)
        masks = [chosen & (values == name) for name in names]
        shares = [Fraction(str(weights[name])) for name in names]
    else:
        names = order
        label_array = labels.to_numpy()
        masks = [chosen & (label_array == name) for name in names]
        if weights == "clients":
            shares = [Fraction(int(m.sum())) for m in masks]
        else:
            shares = [Fraction(int(orders[m].sum())) for m in masks]
    if not names:  # `all` segments and no client in any of them: the supply stays whole, and is said to
        return SegmentPlan(
            labels,
            chosen,
            (Pool("none", chosen, supply),),
            (f"no client is in a segment: the {supply} units are left",) if supply else (),
        )
    if not any(shares):
        shares = [Fraction(1)] * len(names)  # no client orders anything: equal shares, nothing is lost
    split = apportion(shares, supply, method="hamilton")
    pools = tuple(Pool(n, m, s) for n, m, s in zip(names, masks, split, strict=True))
    notes = tuple(
        f"pool {p.name}: no client, its {p.supply} units are left" for p in pools if p.supply and not p.members.any()
    )
    return SegmentPlan(labels, chosen, pools, notes)
