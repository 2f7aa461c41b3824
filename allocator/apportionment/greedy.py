"""Unit-by-unit apportionment, one priority level at a time (private to `allocator.apportionment.methods`).

Both families of methods are greedy: start every claimant at its floor and hand out units one at
a time to the claimant (below its cap) whose next unit has the highest priority. Only the
priority differs: w / d(q) for a divisor method, (s - q, w) for Hamilton. Priorities fall
strictly as a claimant's quota grows, so "all units above a level λ" is a consistent state.

`settle` starts from such a state, found cheaply by the caller, and moves whole priority
levels (every group whose next unit has exactly that priority) up or down until the supply is
met. A level that does not fit entirely is the tie: its groups are tied for the units left.
All comparisons are exact (ints, Fractions).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from fractions import Fraction

# (weight, count, cap, floor); cap None = no cap. The caller has already set cap = floor for
# zero-weight groups, so every group with weight > 0 and cap > floor can still take units.
GroupTuple = tuple[Fraction | int, int, int | None, int]
# A priority: a tuple of exact numbers, compared lexicographically, larger first.
Priority = tuple[Fraction | int, ...]
PriorityOf = Callable[[int, int], Priority]  # (group, quota before the unit) -> priority


def clamp(value: int, floor: int, cap: int | None) -> int:
    """`value` held between floor and cap (None = no cap)."""
    if cap is not None and value > cap:
        return cap
    return max(value, floor)


def movable(groups: Sequence[GroupTuple]) -> list[int]:
    """Groups that can take units beyond their floor: weight > 0, members, room below the cap."""
    return [g for g, (w, c, cap, f) in enumerate(groups) if w > 0 and c > 0 and (cap is None or cap > f)]


def settle(
    groups: Sequence[GroupTuple],
    active: Sequence[int],
    quota: list[int],
    total: int,
    priority: PriorityOf,
) -> tuple[list[int], int]:
    """Move `quota` (a consistent state, changed in place) to the supply `total`.

    Returns (tied, extra): tied[g] is the count of group g if its members are tied for one more
    unit, else 0; `extra` units go to tied members, 0 < extra < Σ tied, or extra == 0.
    """
    supplied = sum(q * g[1] for q, g in zip(quota, groups, strict=True))
    step = _ascend if supplied <= total else _descend
    extra, level = step(groups, active, quota, supplied, total, priority)
    tied = [0] * len(groups)
    for g in level:
        tied[g] = groups[g][1]
    return tied, extra


def _pop_level(heap: list[tuple[Priority, int]]) -> list[int]:
    """Pop every group sharing the top key: one priority level moves as a whole."""
    key, first = heapq.heappop(heap)
    level = [first]
    while heap and heap[0][0] == key:
        level.append(heapq.heappop(heap)[1])
    return level


def _ascend(
    groups: Sequence[GroupTuple],
    active: Sequence[int],
    quota: list[int],
    supplied: int,
    total: int,
    priority: PriorityOf,
) -> tuple[int, list[int]]:
    """Give units in descending priority until `total`; return (extra, tied groups)."""

    def key(g: int) -> Priority:
        return tuple(-x for x in priority(g, quota[g]))

    def can_grow(g: int) -> bool:
        cap = groups[g][2]
        return cap is None or quota[g] < cap

    heap = [(key(g), g) for g in active if can_grow(g)]
    heapq.heapify(heap)
    while supplied < total:
        level = _pop_level(heap)
        units = sum(groups[g][1] for g in level)
        if supplied + units > total:
            return total - supplied, level
        supplied += units
        for g in level:
            quota[g] += 1
            if can_grow(g):
                heapq.heappush(heap, (key(g), g))
    return 0, []


def _descend(
    groups: Sequence[GroupTuple],
    active: Sequence[int],
    quota: list[int],
    supplied: int,
    total: int,
    priority: PriorityOf,
) -> tuple[int, list[int]]:
    """Take back units in ascending priority until `total`; return (extra, tied groups)."""

    def key(g: int) -> Priority:
        return priority(g, quota[g] - 1)

    heap = [(key(g), g) for g in active if quota[g] > groups[g][3]]
    heapq.heapify(heap)
    while supplied > total:
        level = _pop_level(heap)
        units = sum(groups[g][1] for g in level)
        supplied -= units
        for g in level:
            quota[g] -= 1
        if supplied < total:
            return total - supplied, level
        for g in level:
            if quota[g] > groups[g][3]:
                heapq.heappush(heap, (key(g), g))
    return 0, []
