"""Ladders and their tiers, best first: the one (ladder, tier, rank) table every stage reads.

`cells` numbers every (ladder, tier) of a tiering file, ladder by ladder, best tier first; a
client's cell code turns per-tier tables into array look-ups. `rank` is a tier's position on its
ladder (0 = best).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import polars as pl


@dataclass(frozen=True)
class Ladders:
    """The ladders of a tiering file, each with its tiers best first."""

    tiers: Mapping[str, tuple[str, ...]]

    @cached_property
    def cells(self) -> tuple[tuple[str, str], ...]:
        """Every (ladder, tier), ladder by ladder, best tier first: the cell codes' order."""
        return tuple((lad, t) for lad, ts in self.tiers.items() for t in ts)

    @cached_property
    def cell_ranks(self) -> npt.NDArray[np.int64]:
        """Each cell's rank on its ladder (0 = best)."""
        return np.array([i for ts in self.tiers.values() for i in range(len(ts))], dtype=np.int64)

    def frame(self, ladder: str = "ladder", tier: str = "tier", rank: str = "rank") -> pl.DataFrame:
        """The table as a frame: one row per (ladder, tier) with its rank, columns named as asked."""
        return pl.DataFrame(
            {
                ladder: pl.Series([lad for lad, _ in self.cells], dtype=pl.String),
                tier: pl.Series([t for _, t in self.cells], dtype=pl.String),
                rank: pl.Series(self.cell_ranks, dtype=pl.Int64),
            }
        )

    def codes(self, ladder: pl.Series, tier: pl.Series) -> npt.NDArray[np.int64]:
        """Each client's cell code from its ladder and tier columns."""
        index = self.frame("ladder", "tier", "_code").with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_code")
        )
        found = pl.DataFrame({"ladder": ladder, "tier": tier}).join(
            index, on=["ladder", "tier"], how="left", maintain_order="left"
        )
        return found["_code"].to_numpy()
