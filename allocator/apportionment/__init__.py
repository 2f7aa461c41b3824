"""Pure integer apportionment and tie-breaks: no I/O, no engine, nothing else of the package.

`methods` (divisor methods and Hamilton, with caps and floors), `arrays` (the same on grouped
client arrays), `tier_amounts` (one amount per tier at the proven optimum), `tiebreak` (the
seeded keys that decide exact ties).
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

__all__ = ["METHODS", "ApportionError", "Group", "GroupShare", "apportion", "apportion_groups", "tiebreak_keys"]
