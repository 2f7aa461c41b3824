"""The names the README documents for use from Python."""

from __future__ import annotations

from fractions import Fraction

import allocator


def test_apportion_is_the_package_level_function() -> None:
    assert allocator.apportion([5, 3, 1], 7, caps=[5, 2, 5], method="webster", tiebreak=[3, 2, 1]) == [4, 2, 1]
    assert allocator.apportion([Fraction(1, 3), Fraction(2, 3)], 3, method="hamilton") == [1, 2]
    assert callable(allocator.run_scenario) and callable(allocator.load_rules)
