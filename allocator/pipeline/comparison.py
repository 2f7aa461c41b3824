"""Side-by-side comparison of a scenario's base and its variants, per product, ladder and tier."""

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
    """One row per product x ladder x tier x variant (base first), plus each product's totals.

    `tier_changes` gives, per variant name, a frame (ladder, tier, changed) counting the clients of
    each tier whose tier differs from the base; variants that do not change tiering have none.
    """
    parts = []
    for v in variants:
        tiers = v.summary.filter(pl.col("line") == "tier")
        part = tiers.select(
            "product",
            "ladder",
            "tier",
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
    if not parts:
        return pl.DataFrame(schema=dict.fromkeys(COLUMNS, pl.String))
    rank = {v.name: i for i, v in enumerate(variants)}
    out = pl.concat(parts).with_columns(pl.col("variant").replace_strict(rank).alias("_v"))
    first = out.filter(pl.col("_v") == 0).select("product", "ladder", "tier", pl.col("_order").alias("_pos"))
    out = out.join(first, on=["product", "ladder", "tier"], how="left").sort("_pos", "_v", nulls_last=True)
    return out.select(COLUMNS)
