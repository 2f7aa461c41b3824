"""Synthetic snapshots for benchmarks: N retailers, P products, fixed seed.

Skewed like real retail: lognormal volume (a long tail of big shops), a 60/40 city/village
mix, a few violations, a current tier for most shops, 0-10 cartons ordered per product.
Writes Parquet plus the matching scenario and allocation files into one folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import polars as pl

TIERING = Path(__file__).resolve().parent.parent / "rules" / "tiering.yaml"


def snapshot(n: int, products: int, seed: int = 2026) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.random(n) < 0.6
    volume = np.round(np.exp(rng.normal(np.where(city, np.log(200.0), np.log(90.0)), 0.9)))
    volume[rng.random(n) < 0.01] = 0
    unit = np.maximum(rng.normal(np.where(city, 150.0, 130.0), 35.0), 40.0)
    violations = rng.choice(5, size=n, p=[0.85, 0.09, 0.03, 0.02, 0.01])
    size = np.minimum(3, (volume / np.where(city, 200, 100)).astype(np.int64))
    current = np.array(["D", "C", "B", "A"])[np.clip(size + rng.choice([-1, 0, 0, 1], size=n), 0, 3)]
    columns: dict[str, object] = {
        "client_id": [f"R{i:08d}" for i in range(n)],
        "market": np.where(city, "city", "village"),
        "volume": volume,
        "amount": np.round(volume * unit, 2),
        "violations": violations,
        "current_tier": pl.Series(current).set(pl.Series(rng.random(n) < 0.1), None),
    }
    for p in range(products):
        orders = np.minimum(10, 1 + size * 2 + rng.integers(0, 4, size=n))
        orders[rng.random(n) < 0.15] = 0
        columns[f"order_p{p:02d}"] = orders
    return pl.DataFrame(columns)


def allocation_yaml(products: int, clients: int) -> str:
    lines = ["kind: allocation", "version: 1", "products:"]
    for p in range(products):
        supply = clients * (4 + 3 * (p % 3)) // 10  # from about a third to all the tiers are entitled to
        lines += [
            f"  - id: p{p:02d}",
            f"    supply: {supply}",
            f"    order_column: order_p{p:02d}",
            "    reserve: {share: 0.05, owner: account-managers}",
            "    per_client: {A: 5, B: 3, C: 1, D: 0}",
            "    max_per_client: 5",
            "    eligible:",
            "      - {id: no-repeat-offenders, when: {violations: {gte: 2}}, exclude: true}",
        ]
    return "\n".join(lines) + "\n"


def write(folder: Path, n: int, products: int) -> Path:
    """Write snapshot.parquet, allocation.yaml and scenario.yaml; return the scenario path."""
    folder.mkdir(parents=True, exist_ok=True)
    snapshot(n, products).write_parquet(folder / "snapshot.parquet")
    (folder / "allocation.yaml").write_text(allocation_yaml(products, n), encoding="utf-8")
    scenario = folder / "scenario.yaml"
    scenario.write_text(
        "kind: scenario\nversion: 1\n"
        f"name: bench {n} x {products}\n"
        "snapshot: snapshot.parquet\n"
        f"tiering: {TIERING}\n"
        "allocation: allocation.yaml\n"
        "period: 2026Q4\nseed: 2026\n",
        encoding="utf-8",
    )
    return scenario


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("clients", type=int)
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    args = parser.parse_args()
    print(write(args.out / f"n{args.clients}", args.clients, args.products))
