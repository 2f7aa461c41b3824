"""The allocation cycle: a supply issued in rounds that lands exactly, and rotation among equals.

**Round supply.** A product's cycle supply is issued over the cycle's rounds, by their shares
(equal when not given). A round's supply is what remains of the cycle supply, after the units
issued by the rounds already approved, spread over the rounds not yet approved by their shares:
whole units that add up exactly (largest remainder; equal remainders go to the earlier round).
So the cycle lands on its supply whatever the earlier rounds did (assignments, locks, units left
because orders ran out, a planner's override of one round, a cycle supply changed mid-cycle): the
last round issues what remains, if orders take it. The scenario's own `supply:` for a cycle
product overrides this round's supply; every round reports its drift from its nominal share
(the same split of the cycle supply over all rounds).

**Rotation** (`rotation: true` on a product). Among clients tied for a unit (the same claim in
the same tier, so the policy cannot tell them apart), the one that has received less so far in the
cycle, relative to what it was entitled to, goes first; between equal ratios the seeded key still
decides. With u units for n equal clients in every round, their cumulative quotas then differ by
at most 1, where the seeded key alone gives the same u clients the unit every round.

**The last round** (every other round approved) releases what the reserve's owners did not
assign to the policy, whatever `unassigned` says: the cycle's supply is the month's, and units
held back in its last round would never be issued.

**Unmet orders are not carried.** Each round's snapshot says what each shop orders for that round;
an order the last round did not meet is not added to the next round's (that would count a shop's
demand twice when it orders again). `allocator cycle` shows each tier's orders and receipts so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.methods import apportion
from allocator.apportionment.tiebreak import U64
from allocator.inputs.models import CycleSpec, ScenarioFile
from allocator.inputs.product_terms import ProductTerms


@dataclass(frozen=True)
class Issued:
    """What the cycle's approved rounds issued: per round and product the units, and per product
    and client the units received and the units it was entitled to (summed over those rounds)."""

    units: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (round, product) -> units
    clients: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"product": pl.String, "client_id": pl.String, "received": pl.Int64, "entitled": pl.Int64}
        )
    )
    runs: Mapping[str, int] = field(default_factory=dict)  # approved round -> its run id

    def after(self, round_name: str, run_id: int, quotas: list[pl.DataFrame]) -> Issued:
        """What is issued once `round_name` (run `run_id`, its quotas per product) is approved too."""
        units = dict(self.units)
        frames = [self.clients]
        for q in quotas:
            units[(round_name, q["product"][0] if q.height else "")] = int(q["quota"].sum())
            received = pl.col("quota").alias("received")
            entitled = pl.col("entitled").fill_null(pl.col("quota")).alias("entitled")
            frames.append(q.select("product", "client_id", received, entitled))
        clients = pl.concat(frames).group_by("product", "client_id").agg(pl.col("received", "entitled").sum())
        return Issued(units, clients.sort("product", "client_id"), {**self.runs, round_name: run_id})

    def so_far(self, product: str, client_ids: pl.Series) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Each client's units received and entitled so far in the cycle (0 when none), in order."""
        mine = self.clients.filter(pl.col("product") == product).drop("product")
        joined = pl.DataFrame({"client_id": client_ids}).join(mine, on="client_id", how="left", maintain_order="left")
        return joined["received"].fill_null(0).to_numpy(), joined["entitled"].fill_null(0).to_numpy()


@dataclass(frozen=True)
class RoundSupply:
    """One product's supply in this round, and where it comes from."""

    product: str
    cycle_supply: int
    nominal: int  # the round's share of the cycle supply, split over every round
    issued_before: int  # by the rounds already approved
    supply: int
    overridden: bool  # the scenario's `supply:` set this round's supply

    @property
    def remaining(self) -> int:
        return self.cycle_supply - self.issued_before

    @property
    def drift(self) -> int:
        return self.supply - self.nominal


def shares_of(cycle: CycleSpec) -> list[Fraction]:
    """Each round's share, in round order (1 each when not given)."""
    given = cycle.shares or {}
    return [Fraction(str(given[r])) if r in given else Fraction(1) for r in cycle.rounds]


def round_supplies(
    cycle: CycleSpec, this_round: str, issued: Issued, overrides: Mapping[str, int]
) -> dict[str, RoundSupply]:
    """Every cycle product's supply in `this_round` (see the module docstring)."""
    shares = shares_of(cycle)
    open_rounds = [i for i, r in enumerate(cycle.rounds) if r not in issued.runs or r == this_round]
    at = open_rounds.index(cycle.rounds.index(this_round))
    out = {}
    for pid, total in cycle.supply.items():
        nominal = apportion(shares, total, method="hamilton")[cycle.rounds.index(this_round)]
        before = sum(n for (r, p), n in issued.units.items() if p == pid and r != this_round)
        remaining = max(total - before, 0)
        spread = apportion([shares[i] for i in open_rounds], remaining, method="hamilton")
        supply, overridden = spread[at], pid in overrides
        if overridden:
            supply = overrides[pid]
        out[pid] = RoundSupply(pid, total, nominal, before, supply, overridden)
    return out


def rotation_keys(keys: U64, received: npt.NDArray[np.int64], entitled: npt.NDArray[np.int64]) -> U64:
    """Tie-break keys that put clients who received less so far, relative to their entitlement,
    first; the seeded key orders equal ratios. A client never entitled counts as having received
    nothing if it received nothing, else as fully served."""
    ratio = np.where(entitled > 0, received / np.maximum(entitled, 1), np.where(received > 0, np.inf, 0.0))
    distinct, rank = np.unique(ratio, return_inverse=True)
    bits = int(len(distinct) - 1).bit_length()
    if bits == 0:
        return keys
    shift = np.uint64(64 - bits)
    return (rank.astype(np.uint64) << shift) | (keys >> np.uint64(bits))


def round_terms(
    spec: ScenarioFile,
    variants: Mapping[str, Mapping[str, ProductTerms]],
    supplies: Mapping[str, RoundSupply],
    last: bool = False,
) -> dict[str, dict[str, ProductTerms]]:
    """Every variant's product terms with this round's supplies: a variant that sets a cycle
    product's supply keeps it; one with a supply_factor scales the round's supply. In the last
    round, a reserve's units nobody assigned go to the policy (`release`), so that the cycle
    lands on its supply."""
    by_name = {v.name: v for v in spec.variants}
    out = {}
    for name, terms in variants.items():
        changed = dict(terms)
        variant = by_name.get(name)
        for pid, rs in supplies.items():
            if variant is not None and pid in variant.supply:
                continue
            supply = rs.supply
            if variant is not None and pid in variant.supply_factor:
                supply = int(supply * Fraction(str(variant.supply_factor[pid])))
            reserve = terms[pid].reserve_spec
            if last and reserve is not None and reserve.unassigned == "keep":  # the cycle must land
                reserve = reserve.model_copy(update={"unassigned": "release"})
            changed[pid] = replace(terms[pid], supply=supply, reserve_spec=reserve)
        out[name] = changed
    return out


def is_last_round(cycle: CycleSpec, this_round: str, issued: Issued) -> bool:
    """Whether every other round of the cycle is approved: this round issues what remains."""
    return all(r in issued.runs for r in cycle.rounds if r != this_round)
