"""Write one quarter of the Online Retail data as a snapshot: `python quarter.py 2011Q3`.

Rows are copied unchanged (every client of the quarter, cancellations-only quarters included),
so the snapshot keeps the data's real quirks for the rules to handle.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(period: str) -> None:
    with (HERE / "online_retail_client_quarter.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = [r for r in reader if r["period"] == period]
    if not rows:
        raise SystemExit(f"no rows for period {period}")
    with (HERE / f"online-retail-{period}.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "2011Q3")
