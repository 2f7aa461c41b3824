"""Make the demo snapshot: synthetic tobacco retailers with a fixed seed.

Run from the repository root: `python scenarios/data/make_demo_clients.py` rewrites
`scenarios/data/demo-clients.csv` byte for byte (standard library only, so the file does not
depend on a numpy or polars version).
"""

from __future__ import annotations

import csv
import math
import random
import sys
from pathlib import Path

SEED = 2026
CLIENTS = 3000
PRODUCTS = ("order_zhonghua_soft", "order_huanghelou_1916", "order_furongwang_hard")


def make(n: int = CLIENTS, seed: int = SEED) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        market = "city" if rnd.random() < 0.6 else "village"
        median = 200.0 if market == "city" else 90.0
        volume = 0 if rnd.random() < 0.01 else round(math.exp(rnd.gauss(math.log(median), 0.9)))
        unit = rnd.gauss(150.0 if market == "city" else 130.0, 35.0)
        amount = round(volume * max(unit, 40.0), 2)
        violations = rnd.choices([0, 1, 2, 3, 4], weights=[85, 9, 3, 2, 1])[0]
        size = min(3, int(volume / (200 if market == "city" else 100)))
        current = "" if rnd.random() < 0.1 else "DCBA"[min(3, max(0, size + rnd.choice([-1, 0, 0, 1])))]
        row: dict[str, object] = {
            "client_id": f"R{i + 1:05d}",
            "market": market,
            "volume": volume,
            "amount": amount,
            "violations": violations,
            "current_tier": current,
        }
        for p in PRODUCTS:
            row[p] = 0 if rnd.random() < 0.15 else min(10, 1 + size * 2 + rnd.randint(0, 3))
        rows.append(row)
    return rows


def main(path: Path) -> None:
    rows = make()
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("demo-clients.csv"))
