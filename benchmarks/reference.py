"""A hand-written numpy reference for the benchmark's rules: the same tiering and allocation.

It hard-codes rules/tiering.yaml and the generated allocation (per_tier A 5, B 3, C 1, D 0,
max 5 per client, 5 % reserve, clients with 2+ violations excluded, webster rounding, the same
tie-break keys), does no validation, and writes the same tiers.csv and quotas.csv. It is the
yardstick for what a specialised program costs; the benchmark also checks that its quotas equal
Allocator's.
"""

from __future__ import annotations

import heapq
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import polars as pl

from allocator.apportionment.tiebreak import client_hashes, product_keys

TIERS = np.array(["A", "B", "C", "D"])
ENTITLEMENT = np.array([5, 3, 1, 0])


def tiers_of(df: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    vol = df["volume"].to_numpy()
    amount = df["amount"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(vol == 0, np.nan, amount / vol)
    city = df["market"].to_numpy() == "city"
    rank = np.where(
        city,
        np.select([(vol >= 600) & (unit >= 180), (vol >= 250) & (unit >= 150), vol >= 80], [0, 1, 2], 3),
        np.select([(vol >= 300) & (unit >= 160), vol >= 120, vol >= 40], [0, 1, 2], 3),
    )
    viol = df["violations"].to_numpy()
    rank = np.minimum(rank + (viol >= 1), 3)
    rank = np.minimum(rank + (viol >= 3), 3)
    cur = df["current_tier"].replace_strict({"A": 0, "B": 1, "C": 2, "D": 3}, default=-1).to_numpy()
    has = cur >= 0
    rank = np.where(has, np.clip(rank, cur - 1, cur + 2), rank)
    return city, rank


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


def main(scenario_dir: Path, out: Path) -> None:
    df = pl.read_parquet(scenario_dir / "snapshot.parquet").sort("client_id")
    city, rank = tiers_of(df)
    ids = df["client_id"].to_list()
    hashes = client_hashes(ids)
    out.mkdir(parents=True, exist_ok=True)
    ladder = pl.Series(["village", "city"]).gather(city.astype(np.int64))
    tier = pl.Series(list(TIERS)).gather(rank)
    pl.DataFrame({"client_id": df["client_id"], "ladder": ladder, "tier": tier}).write_csv(out / "tiers.csv")
    products = sorted(c.removeprefix("order_") for c in df.columns if c.startswith("order_"))
    n = df.height
    excluded = df["violations"].to_numpy() >= 2
    ent = ENTITLEMENT[rank]
    with (out / "quotas.csv").open("wb") as f:
        for i, p in enumerate(products):
            supply = n * (4 + 3 * (int(p[1:]) % 3)) // 10
            available = supply - supply * 5 // 100
            orders = df[f"order_{p}"].to_numpy()
            cap = np.where(excluded, 0, np.minimum(orders, 5))
            claim = np.minimum(ent, cap)
            quota = webster(ent, claim, product_keys(hashes, 2026, "2026Q4", p), available, rank)
            pl.DataFrame(
                {
                    "client_id": df["client_id"],
                    "ladder": ladder,
                    "tier": tier,
                    "ordered": orders,
                    "entitled": claim,
                    "quota": quota,
                }
            ).select("client_id", pl.lit(p).alias("product"), pl.exclude("client_id")).write_csv(
                f, include_header=i == 0
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
