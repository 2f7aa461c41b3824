"""Pure integer apportionment and tie-breaks: no I/O, no engine, nothing else of the package.

`methods` (divisor methods and Hamilton, with caps and floors), `arrays` (the same on grouped
client arrays), `tier_amounts` (one amount per tier at the proven optimum; its demand model in
`tier_demand`), `segment_amounts` (one amount per segment and tier of a shared pool: the optimal
total, then the smallest spread between segments; helped by `segment_reach`, `segment_bounds` and
`segment_search`), `tiebreak` (the seeded keys that decide exact ties).
"""

from allocator.apportionment.methods import (
    METHODS,
    ApportionError,
    Group,
    GroupShare,
    apportion,
    apportion_groups,
    tiebreak_keys,
)
from allocator.apportionment.segment_amounts import SegmentAmounts, SegmentDemand, solve_segment_amounts
from allocator.apportionment.tier_amounts import TierAmounts, TierDemand, solve_tier_amounts

__all__ = [
    "METHODS",
    "ApportionError",
    "Group",
    "GroupShare",
    "SegmentAmounts",
    "SegmentDemand",
    "TierAmounts",
    "TierDemand",
    "apportion",
    "apportion_groups",
    "solve_segment_amounts",
    "solve_tier_amounts",
    "tiebreak_keys",
]
