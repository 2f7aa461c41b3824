"""Our exact tier amounts against the peer's greedy ones on its own tobacco plans.

Run: .venv/bin/python -m benchmarks.peer_comparison
Data: tests/vectors/peer/tobacco_30_tiers.json (Robin-Jason/CigaretteDistributionSystem, see the
README there). Every customer is uncapped; target = the plan's supply; mode `nearest`, shape flat.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from allocator.apportionment.tier_amounts import TierDemand, solve_tier_amounts

DATA = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "peer" / "tobacco_30_tiers.json"
NAMES = [f"D{30 - i}" for i in range(30)]


def compact(amounts: Sequence[int]) -> str:
    """Runs of equal amounts as value×count, best tier first: 5 5 4 3 3 3 -> 5×2 4 3×3."""
    runs: list[list[int]] = []
    for amount in amounts:
        if runs and runs[-1][0] == amount:
            runs[-1][1] += 1
        else:
            runs.append([amount, 1])
    return " ".join(f"{a}×{n}" if n > 1 else str(a) for a, n in runs)


def main(argv: Sequence[str] | None = None) -> int:
    """Print one Markdown table row per plan with a peer result, then the mean and max errors."""
    data: dict[str, Any] = json.loads(DATA.read_text("utf-8"))
    customers: list[int] = data["customers_per_tier_D30_to_D1"]
    print(
        "| code | name | window | target | peer total | peer error | our total | our error "
        "| our amounts (D30→D1) | solve ms |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|---|---:|")
    peer_errors: list[int] = []
    our_errors: list[int] = []
    for plan in data["cigarettes"]:
        peer = plan.get("peer_single_level")
        if peer is None:
            continue
        inside = range(NAMES.index(plan["highest_tier"]), NAMES.index(plan["lowest_tier"]) + 1)
        tiers = [TierDemand(NAMES[i], {None: customers[i]}) for i in inside]
        start = time.perf_counter()
        got = solve_tier_amounts(tiers, plan["target"], target="nearest")
        elapsed = (time.perf_counter() - start) * 1000
        amounts = [0] * inside.start + list(got.amounts) + [0] * (30 - inside.stop)
        peer_errors.append(abs(peer["total"] - plan["target"]))
        our_errors.append(abs(got.total - plan["target"]))
        print(
            f"| {plan['code']} | {plan['name']} | {plan['highest_tier']}–{plan['lowest_tier']} "
            f"| {plan['target']} | {peer['total']} | {peer_errors[-1]} | {got.total} "
            f"| {our_errors[-1]} | {compact(amounts)} | {elapsed:.1f} |"
        )
    print()
    print(
        f"{len(our_errors)} plans: peer error mean {sum(peer_errors) / len(peer_errors):.1f}, "
        f"max {max(peer_errors)}; our error mean {sum(our_errors) / len(our_errors):.1f}, "
        f"max {max(our_errors)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
