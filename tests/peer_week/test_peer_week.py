"""The peer's real week end to end: both spreadsheets as it ships them, 86 plans, 15,020 shops.

`allocator run scenarios/peer-week/scenario.yaml` must allocate the 48 tier-based plans without a
tag and the tagged one (through an eligibility rule on QUALITY_DATA_SHARE), report the 37
price-band plans as not allocated, and land every plan at the optimum: its error |total - ADV|
equals the smallest error any plan of one amount per (segment, tier) could reach.

The optimum is computed here independently of the solvers: the shops are counted straight from
the xlsx with openpyxl, grades read as Chinese numerals, and with non-increasing amounts a
segment's totals are exactly the sums of its prefix counts (n_D30, n_D30 + n_D29, ...), each used
any number of times: a coin problem, solved by a bitset of reachable totals.
"""

from __future__ import annotations

from collections import Counter

import polars as pl
import pytest

from allocator.inputs.scenarios import load_scenario
from allocator.pipeline.run import RunResult, run
from benchmarks.peer_week import WEEK, coins_reach, nearest, prefix_coins, week_rows


@pytest.fixture(scope="module")
def week() -> RunResult:
    return run(load_scenario(WEEK / "scenario.yaml"))


def test_the_optimum_is_a_coin_problem_on_hand_checked_cases() -> None:
    assert prefix_coins(Counter({30: 2, 29: 0, 28: 3})) == {2, 5}
    reach = coins_reach({2, 5}, 20)
    assert [t for t in range(21) if reach >> t & 1] == [0, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    assert (nearest(reach, 3), nearest(coins_reach({4, 6}, 20), 5), nearest(coins_reach({4}, 20), 6)) == (2, 4, 4)


def test_every_tier_based_plan_lands_at_the_optimum(week: RunResult, capsys: pytest.CaptureFixture[str]) -> None:
    rows = week_rows(week)
    assert len(rows) == 48
    with capsys.disabled():  # the table the README shows
        print("\n" + "\n".join(f"{r['code']} {r['target']} {r['total']} {r['error']} {r['optimum']}" for r in rows))
    assert [r for r in rows if r["error"] != r["optimum"]] == []


def test_the_tagged_plan_goes_through_its_eligibility_rule(week: RunResult) -> None:
    tagged = next(p for p in week.variants[0].products if p.product == "42021111")
    excluded = tagged.quotas["excluded_by"].value_counts(sort=True).rows()
    # no shop of the week has QUALITY_DATA_SHARE 1: every shop is excluded by the tag's rule,
    # except those the method's own rules exclude first (not visited, no grade)
    assert excluded == [("not-quality-data-share", 14979), ("not-visited", 39), ("no-grade", 2)]
    assert (tagged.allocated, tagged.unallocated) == (0, 115575)


def test_the_price_band_plans_are_reported_not_allocated(week: RunResult) -> None:
    skipped = week.scenario.allocation.not_allocated
    assert len(skipped) == 37
    assert {(p.method, p.reason) for p in skipped} == {
        ("按价位段自选投放", "method '按价位段自选投放' is not in plans.methods")
    }
    lines = week.variants[0].summary.filter(pl.col("line") == "not_allocated")
    assert lines.height == 37
    assert lines.row(0, named=True)["note"] == (
        "not allocated: method '按价位段自选投放' is not in plans.methods (row 51, 中华(软), 按价位段自选投放)"
    )


def test_ids_are_the_sheets_codes(week: RunResult) -> None:
    quotas = week.variants[0].products[0].quotas
    assert quotas["client_id"].head(2).to_list() == ["104203100001", "104203200002"]
    assert week.tiers.height == 15020
    assert sorted(p.product for p in week.variants[0].products)[:3] == ["13070011", "13070059", "13070067"]
