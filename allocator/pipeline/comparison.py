"""Side-by-side comparison of a scenario's base and its variants, per product, ladder and tier
(and segment, when a product of the scenario has segments: summary.csv has its `segment` column
then, and comparison.csv has it too, after `product`; a scenario without segments keeps the
columns it always had)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import polars as pl


class _Variant(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def summary(self) -> pl.DataFrame: ...


COLUMNS = [
    "product", "ladder", "tier", "variant", "clients", "allocated", "fill_rate", "stockout_rate", "full_fill_rate",
    "coverage", "tier_changed",
]  # fmt: skip


def comparison(variants: Sequence[_Variant], tier_changes: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """One row per product x [segment x] ladder x tier x variant (base first), in the base's order.

    `tier_changes` gives, per variant name, a frame (ladder, tier, changed) counting the clients of
    each tier whose tier differs from the base; variants that do not change tiering have none.
    Tiering does not depend on products or segments, so a segmented product's rows of one tier
    all have the tier's count: the clients of the tier, in every segment, whose tier changed.
    """
    segmented = any("segment" in v.summary.columns for v in variants)
    keys = ["product", "segment", "ladder", "tier"] if segmented else ["product", "ladder", "tier"]
    parts = []
    for v in variants:
        tiers = v.summary.filter(pl.col("line") == "tier")
        part = tiers.select(
            *keys,
            pl.lit(v.name).alias("variant"),
            "clients",
            "allocated",
            "fill_rate",
            "stockout_rate",
            "full_fill_rate",
            "coverage",
        )
        changes = (tier_changes or {}).get(v.name)
        if changes is not None:
            part = (
                part.join(changes, on=["ladder", "tier"], how="left")
                .with_columns(pl.col("changed").fill_null(0).alias("tier_changed"))
                .drop("changed")
            )
        else:
            part = part.with_columns(pl.lit(0, dtype=pl.Int64).alias("tier_changed"))
        parts.append(part.with_row_index("_order"))
    columns = [*keys, *COLUMNS[3:]] if segmented else COLUMNS
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    rank = {v.name: i for i, v in enumerate(variants)}
    out = pl.concat(parts).with_columns(pl.col("variant").replace_strict(rank).alias("_v"))
    # each row follows its line of the base; a line of one segment only is matched with its segment
    first = out.filter(pl.col("_v") == 0).select(*keys, pl.col("_order").alias("_pos"))
    out = out.join(first, on=keys, how="left").sort("_pos", "_v", "_order", nulls_last=True)
    return out.select(columns)
