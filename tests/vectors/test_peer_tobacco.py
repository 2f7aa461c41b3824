"""The peer's tobacco plans (Robin-Jason/CigaretteDistributionSystem): our `nearest` optimum.

Every customer is uncapped, so with d_t = a_t - a_{t+1} >= 0 the total is sum_t d_t * P_t, P_t the
number of customers in the window's best t tiers: the reachable totals are the sums of the coins
P_t, each used any number of times. The independent check below is that coin-change DP (numpy,
one residue class at a time), nothing like the solver's per-amount bitsets.
"""

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from allocator.apportionment.tier_amounts import TierDemand, solve_tier_amounts, total_for

DATA = json.loads((Path(__file__).parent / "peer" / "tobacco_30_tiers.json").read_text("utf-8"))
CUSTOMERS: list[int] = DATA["customers_per_tier_D30_to_D1"]
NAMES = [f"D{30 - i}" for i in range(30)]
PLANS: list[dict[str, Any]] = DATA["cigarettes"]
PEER_PLANS = [plan for plan in PLANS if "peer_single_level" in plan]


def window(plan: dict[str, Any]) -> range:
    return range(NAMES.index(plan["highest_tier"]), NAMES.index(plan["lowest_tier"]) + 1)


def coin_change_nearest(coins: list[int], target: int) -> int:
    """The reachable total nearest to target (ties to the lower), totals up to 2 * target."""
    limit = 2 * target
    reach = np.zeros(limit + 1, dtype=bool)
    reach[0] = True
    for coin in coins:
        if coin == 0 or coin > limit:
            continue
        size = -(-(limit + 1) // coin) * coin
        padded = np.zeros(size, dtype=bool)
        padded[: limit + 1] = reach
        # reach[x] |= reach[x - coin] for x ascending = a running OR along each residue class
        reach = np.logical_or.accumulate(padded.reshape(-1, coin), axis=0).reshape(-1)[: limit + 1]
    totals = np.flatnonzero(reach)
    return int(min(totals.tolist(), key=lambda x: (abs(x - target), x)))


def test_the_file_has_the_plans_we_expect() -> None:
    assert (len(PLANS), len(PEER_PLANS), sum(CUSTOMERS)) == (25, 23, 14979)


@pytest.mark.parametrize("plan", PLANS, ids=[plan["code"] for plan in PLANS])
def test_nearest_is_the_optimum(plan: dict[str, Any]) -> None:
    inside = window(plan)
    tiers = [TierDemand(NAMES[i], {None: CUSTOMERS[i]}) for i in inside]
    got = solve_tier_amounts(tiers, plan["target"], target="nearest")
    coins = [sum(CUSTOMERS[inside.start : i + 1]) for i in inside]
    assert got.total == coin_change_nearest(coins, plan["target"])
    assert got.total == total_for(tiers, got.amounts)
    assert got.total == sum(a * CUSTOMERS[i] for a, i in zip(got.amounts, inside, strict=True))
    assert list(got.amounts) == sorted(got.amounts, reverse=True)


@pytest.mark.parametrize("plan", PEER_PLANS, ids=[plan["code"] for plan in PEER_PLANS])
def test_never_worse_than_the_peer(plan: dict[str, Any]) -> None:
    peer = plan["peer_single_level"]
    amounts: list[int] = peer["amounts_D30_to_D1"]
    assert sum(a * n for a, n in zip(amounts, CUSTOMERS, strict=True)) == peer["total"]
    assert amounts == sorted(amounts, reverse=True)
    assert all(amounts[i] == 0 for i in range(30) if i not in window(plan))
    inside = window(plan)
    tiers = [TierDemand(NAMES[i], {None: CUSTOMERS[i]}) for i in inside]
    got = solve_tier_amounts(tiers, plan["target"], target="nearest")
    assert abs(got.total - plan["target"]) <= abs(peer["total"] - plan["target"])


def test_error_sums_over_the_peer_plans() -> None:
    """Peer: 681 cartons off over 23 plans (mean 29.6); ours 147 (mean 6.4), 17 plans exact."""
    peer = [abs(p["peer_single_level"]["total"] - p["target"]) for p in PEER_PLANS]
    ours = []
    for plan in PEER_PLANS:
        tiers = [TierDemand(NAMES[i], {None: CUSTOMERS[i]}) for i in window(plan)]
        ours.append(abs(solve_tier_amounts(tiers, plan["target"], target="nearest").total - plan["target"]))
    assert (sum(peer), sum(ours), ours.count(0)) == (681, 147, 17)
