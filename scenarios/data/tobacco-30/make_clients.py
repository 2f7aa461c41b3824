"""Make the 30-tier demo snapshot: one shop per customer of the real city in tobacco_30_tiers.json.

The city's customers per tier (D30 ... D1, 14,979 shops, from Robin-Jason/CigaretteDistributionSystem,
see README.md) are reproduced exactly: for each tier we make that many shops whose weekly volume
and value per carton fall in the tier's cell of rules/tobacco-30-tiering.yaml (10 volume bands x
3 value intervals). Volumes and values inside a cell are drawn with a fixed seed; standard library
only, so the file is the same on every machine: `python make_clients.py` rewrites clients.csv.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
BANDS = [1, 10, 20, 30, 45, 60, 80, 100, 130, 170, 300]  # band b covers [BANDS[b-1], BANDS[b])
VALUES = [(80, 150), (150, 250), (250, 450)]  # yuan per carton: low, mid, high


def main() -> None:
    counts = json.loads((HERE / "tobacco_30_tiers.json").read_text(encoding="utf-8"))["customers_per_tier_D30_to_D1"]
    rnd = random.Random(2025)
    rows = []
    for index, count in enumerate(counts):
        tier = 30 - index
        band, value = (tier - 1) // 3, (tier - 1) % 3
        for _ in range(count):
            volume = rnd.randrange(BANDS[band], BANDS[band + 1])
            unit = rnd.randrange(*VALUES[value])
            rows.append({"volume": volume, "amount": volume * unit, "tier": f"D{tier}"})
    rnd.shuffle(rows)
    with (HERE / "clients.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["client_id", "volume", "amount"])
        for i, row in enumerate(rows):
            writer.writerow([f"S{i + 1:05d}", row["volume"], row["amount"]])


if __name__ == "__main__":
    main()
