"""The README's cycle: the real 30-tier city over four rounds (scenarios/cycle.yaml), run here
as approving each round would leave the ledger. Both brands land on their supply; the rotating
one spreads the boundary tier's tie over all its shops (spread 1), the other gives it to the
same 255 shops every week (spread 4)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from allocator.inputs.scenarios import load_scenario
from allocator.pipeline.cycle import Issued
from allocator.pipeline.run import run

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "cycle.yaml"


def test_four_rounds_of_the_30_tier_city_land_and_rotate() -> None:
    issued = Issued()
    supplies = []
    for run_id, name in enumerate(("W1", "W2", "W3", "W4"), 1):
        result = run(load_scenario(SCENARIO, round_name=name), issued=issued)
        assert result.round_supplies is not None
        supplies.append({p: (rs.supply, rs.drift) for p, rs in result.round_supplies.items()})
        issued = issued.after(name, run_id, [p.quotas for p in result.variants[0].products])
    assert supplies == [{"huanghelou-soft-zhenpin": (s, 0), "zhonghua-hard": (s, 0)} for s in (2501, 2501, 2501, 2500)]
    tiers = result.tiers.select("client_id", "tier")
    got = issued.clients.join(tiers, on="client_id").filter(pl.col("tier") == "D23")
    by_product = got.group_by("product").agg(
        pl.col("received").sum().alias("units"),
        (pl.col("received") > 0).sum().alias("shops"),
        (pl.col("received").max() - pl.col("received").min()).alias("spread"),
    )
    assert sorted(by_product.iter_rows()) == [("huanghelou-soft-zhenpin", 1019, 596, 1), ("zhonghua-hard", 1019, 255, 4)]
    totals = issued.clients.group_by("product").agg(pl.col("received").sum()).sort("product")
    assert totals.rows() == [("huanghelou-soft-zhenpin", 10003), ("zhonghua-hard", 10003)]
