"""The names the README documents for use from Python."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import allocator


def test_apportion_is_the_package_level_function() -> None:
    assert allocator.apportion([5, 3, 1], 7, caps=[5, 2, 5], method="webster", tiebreak=[3, 2, 1]) == [4, 2, 1]
    assert allocator.apportion([Fraction(1, 3), Fraction(2, 3)], 3, method="hamilton") == [1, 2]
    assert callable(allocator.load_rules)


def test_load_then_run_is_what_run_scenario_does() -> None:
    path = Path(__file__).parents[2] / "scenarios" / "demo.yaml"
    scenario = allocator.load_scenario(path)
    assert scenario.clients is not None and scenario.clients.clients.height == 3000
    one, two = allocator.run(scenario), allocator.run_scenario(path)
    assert [v.name for v in one.variants] == [v.name for v in two.variants]
    assert one.tiers.equals(two.tiers)
    assert all(a.summary.equals(b.summary) for a, b in zip(one.variants, two.variants, strict=True))
