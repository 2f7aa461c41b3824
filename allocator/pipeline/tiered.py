"""The tiered clients every product of a run shares, and one product's caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.tiebreak import U64, client_hashes
from allocator.inputs.ladders import Ladders
from allocator.inputs.manual import Manual
from allocator.pipeline.cycle import Issued


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
    segment_column: bool = False  # some product of the run has segments: quotas show each client's
    manual: Manual = field(default_factory=Manual)  # the run's assignments and locks
    cycle: Issued | None = None  # what the cycle's approved rounds issued (rotation reads it)
    # answers of per-client rules, by rule set: products sharing eligibility rules ask the engine once
    memo: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        table: pl.DataFrame,
        tiers: pl.DataFrame,
        ladders: Ladders | Mapping[str, tuple[str, ...]],
        seed: int,
        period: str,
        mode: str,
        segment_column: bool = False,
        manual: Manual | None = None,
        cycle: Issued | None = None,
    ) -> TieredClients:
        ladders = ladders if isinstance(ladders, Ladders) else Ladders(ladders)
        codes = ladders.codes(tiers["ladder"], tiers["tier"])
        hashes = client_hashes(tiers["client_id"].to_list())
        return cls(table, tiers, hashes, seed, period, mode, ladders, codes, segment_column, manual or Manual(), cycle)

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
