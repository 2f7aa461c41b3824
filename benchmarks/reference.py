"""A hand-written numpy reference for the benchmark's rules: the same tiering and allocation.

It hard-codes rules/tiering.yaml and the generated allocation (per_tier A 5, B 3, C 1, D 0,
max 5 per client, 5 % reserve, clients with 2+ violations excluded, webster rounding, the same
tie-break keys), does no validation, writes no summary, report or manifest, and writes the same
tiers and quotas files as Allocator, column for column: CSV (`csv`, the default) or Parquet
(`parquet`, with Allocator's own Parquet writer, so both sides write the same bytes the same
way). It is the yardstick for what a specialised program costs; the benchmark checks that its
files hold the same rows as Allocator's.

    python -m benchmarks.reference SCENARIO_DIR OUT_DIR [csv|parquet]
"""

from __future__ import annotations

import heapq
import sys
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from allocator.apportionment.tiebreak import client_hashes, product_keys
from allocator.outputs.parquet import write_parquet, write_parquet_parts

TIERS = np.array(["A", "B", "C", "D"])
ENTITLEMENT = np.array([5, 3, 1, 0])
PLACED_BY = {  # (city, rank) -> the placement rule's id; rank 3 is the default tier, no rule
    (True, 0): "city-a", (True, 1): "city-b", (True, 2): "city-c",
    (False, 0): "village-a", (False, 1): "village-b", (False, 2): "village-c",
}  # fmt: skip
ADJUSTMENTS = np.array(["", "violation-demotes", "violation-demotes;repeat-violations-demote-again"])


def tiers_of(df: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """Each client's ladder (city?) and tier rank, and the tiers table as Allocator writes it."""
    vol = df["volume"].to_numpy()
    amount = df["amount"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(vol == 0, np.nan, amount / vol)
    city = df["market"].to_numpy() == "city"
    placed = np.where(
        city,
        np.select([(vol >= 600) & (unit >= 180), (vol >= 250) & (unit >= 150), vol >= 80], [0, 1, 2], 3),
        np.select([(vol >= 300) & (unit >= 160), vol >= 120, vol >= 40], [0, 1, 2], 3),
    )
    viol = df["violations"].to_numpy()
    adjusted = np.minimum(placed + (viol >= 1), 3)
    adjusted = np.minimum(adjusted + (viol >= 3), 3)
    cur = df["current_tier"].replace_strict({"A": 0, "B": 1, "C": 2, "D": 3}, default=-1).to_numpy()
    has = cur >= 0
    rank = np.where(has, np.clip(adjusted, cur - 1, cur + 2), adjusted)
    limit = np.where(has & (adjusted < cur - 1), 1, np.where(has & (adjusted > cur + 2), 2, 0))
    by = np.full(len(rank), "", dtype=object)
    for (c, r), rule in PLACED_BY.items():
        by[(city == c) & (placed == r)] = rule
    text = pl.Series(list(TIERS))
    tiers = pl.DataFrame(
        {
            "client_id": df["client_id"],
            "ladder": pl.Series(["village", "city"]).gather(city.astype(np.int64)),
            "previous_tier": df["current_tier"],
            "placed_tier": text.gather(placed),
            "tier": text.gather(rank),
            "placed_by": pl.Series(by, dtype=pl.String).replace("", None),
            "adjustments": pl.Series(ADJUSTMENTS[(viol >= 1).astype(int) + (viol >= 3)]).replace("", None),
            "move_limit": pl.Series(["", "max_up", "max_down"]).gather(limit).replace("", None),
        }
    )
    return city, rank, tiers


def webster(weights: np.ndarray, caps: np.ndarray, keys: np.ndarray, total: int, rank: np.ndarray) -> np.ndarray:
    """Webster with caps on the distinct (weight, cap) groups; ties to the better tier, then the lowest key."""
    packed = weights.astype(np.int64) * 64 + caps  # small non-negative ints: one dense count
    dense = np.bincount(packed)
    present = np.flatnonzero(dense)
    lookup = np.zeros(len(dense), dtype=np.int64)
    lookup[present] = np.arange(len(present))
    inverse, counts = lookup[packed], dense[present]
    pairs = np.stack([present // 64, present % 64], axis=1)
    q = np.zeros(len(pairs), dtype=np.int64)
    left = min(total, int((pairs[:, 1] * counts).sum()))
    heap = [(-Fraction(int(w), 1) / Fraction(1, 2), g) for g, (w, c) in enumerate(pairs) if w > 0 and c > 0]
    heapq.heapify(heap)
    while heap and left > 0:
        prio, g = heapq.heappop(heap)
        same = [g]
        while heap and heap[0][0] == prio:
            same.append(heapq.heappop(heap)[1])
        size = int(sum(counts[s] for s in same))
        if size <= left:
            for s in same:
                q[s] += 1
                left -= int(counts[s])
                if q[s] < pairs[s, 1]:
                    heapq.heappush(heap, (-Fraction(int(pairs[s, 0])) / (q[s] + Fraction(1, 2)), s))
            continue
        quota = q[inverse]
        members = np.flatnonzero(np.isin(inverse, same))
        winners = members[np.lexsort((keys[members], rank[members]))[:left]]
        quota[winners] += 1
        return quota
    return q[inverse]


def quotas(df: pl.DataFrame, tiers: pl.DataFrame, rank: np.ndarray) -> Iterator[pl.DataFrame]:
    """quotas, one product at a time, with Allocator's columns."""
    hashes = client_hashes(df["client_id"].to_list())
    products = sorted(c.removeprefix("order_") for c in df.columns if c.startswith("order_"))
    n = df.height
    excluded = df["violations"].to_numpy() >= 2
    why = pl.Series("excluded_by", np.where(excluded, "no-repeat-offenders", ""), dtype=pl.String).replace("", None)
    ent = ENTITLEMENT[rank]
    source = pl.repeat("rules", n, eager=True, dtype=pl.String).alias("source")
    for p in products:
        supply = n * (4 + 3 * (int(p[1:]) % 3)) // 10
        available = supply - supply * 5 // 100
        orders = df[f"order_{p}"].to_numpy()
        cap = np.where(excluded, 0, np.minimum(orders, 5))
        claim = np.minimum(ent, cap)
        quota = webster(ent, claim, product_keys(hashes, 2026, "2026Q4", p), available, rank)
        yield pl.DataFrame(
            [
                tiers["client_id"], pl.repeat(p, n, eager=True, dtype=pl.String).alias("product"), tiers["ladder"],
                tiers["tier"], pl.Series("ordered", orders, dtype=pl.Int64), pl.Series("entitled", claim, dtype=pl.Int64),
                why, pl.Series("quota", quota, dtype=pl.Int64), source,
            ]
        )  # fmt: skip


def main(scenario_dir: Path, out: Path, form: str = "csv") -> None:
    df = pl.read_parquet(scenario_dir / "snapshot.parquet").sort("client_id")
    _, rank, tiers = tiers_of(df)
    out.mkdir(parents=True, exist_ok=True)
    if form == "parquet":
        write_parquet(tiers, out / "tiers.parquet")
        write_parquet_parts(quotas(df, tiers, rank), out / "quotas.parquet")
        return
    tiers.write_csv(out / "tiers.csv", null_value="")
    with (out / "quotas.csv").open("wb") as f:
        for i, part in enumerate(quotas(df, tiers, rank)):
            part.write_csv(f, include_header=i == 0, null_value="")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *sys.argv[3:4])
