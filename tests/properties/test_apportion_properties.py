"""Fairness of allocator.apportionment.methods, stated as properties and checked with hypothesis.

Definitions the properties rely on (the same as in the module docstring):

- effective cap: the cap, None meaning unbounded; a weight-0 claimant's effective cap is its
  floor (it never gets more than its floor).
- priority of the unit lifting a claimant from q to q + 1: w / d(q) for a divisor method,
  compared exactly; d(q) = 0 (Adams, Huntington-Hill at q = 0) is an infinite priority, ranked
  among infinities by weight. Hamilton: (s - q, w), s the capped fair share.
- capped fair share s (Hamilton): min(cap, w·μ), one μ for all, adding up to
  min(total, Σ effective caps) when the positive weights' caps allow it (else everyone at the
  cap); computed here by the textbook iteration "fix whoever is over the cap, share the rest in
  proportion, repeat", independently of the implementation's breakpoint sweep. Floors are not
  part of it: a floor above ⌊s⌋ is paid from the remainder units.

Each property was broken on purpose once and failed (break -> test that caught it):
clamp drops the floor -> bounds; one tied unit not handed out -> nothing wasted; first units
(d(0) = 0) all tied regardless of weight -> weight order; all tied units to one member -> equal
claimants; webster routed through Hamilton -> house monotone; uncapped groups read as "no room" ->
cap monotone; first units ranked smallest weight first -> weight monotone; dhondt via Hamilton ->
consistency; adams via Hamilton -> new client; webster counts with floor instead of round, or with
D'Hondt priorities -> divisor optimality; fair share not re-shared after a cap -> Hamilton within
one unit; tied units by row instead of key -> row order; tied units shuffled -> determinism;
Hamilton ties without the weight -> unit-by-unit; Huntington-Hill without squaring w -> groups.
The webster and Huntington-Hill priority breaks only show on exact ties, hence the pinned examples.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, replace
from fractions import Fraction

from hypothesis import assume, example, given
from hypothesis import strategies as st

from allocator.apportionment.methods import METHODS, Group, GroupShare, apportion, apportion_groups, tiebreak_keys

DIVISORS = tuple(m for m in METHODS if m != "hamilton")
Weight = int | Fraction


@dataclass(frozen=True)
class Problem:
    weights: tuple[Weight, ...]
    caps: tuple[int | None, ...]
    floors: tuple[int, ...]
    total: int
    keys: tuple[int, ...]

    def solve(self, method: str) -> list[int]:
        return apportion(
            list(self.weights),
            self.total,
            caps=list(self.caps),
            floors=list(self.floors),
            method=method,
            tiebreak=list(self.keys),
        )

    def take(self, rows: list[int], total: int) -> Problem:
        return Problem(
            tuple(self.weights[i] for i in rows),
            tuple(self.caps[i] for i in rows),
            tuple(self.floors[i] for i in rows),
            total,
            tuple(self.keys[i] for i in rows),
        )

    @property
    def size(self) -> int:
        return len(self.weights)


# -- strategies ---------------------------------------------------------------------------------

weights_st = st.one_of(
    st.just(0),
    st.sampled_from([1, 2, 3, 5, 6]),  # small ratios: many exact ties
    st.integers(1, 60),
    st.fractions(min_value=0, max_value=8, max_denominator=4),
)
caps_st = st.one_of(st.none(), st.just(0), st.integers(0, 8))


@st.composite
def claimant_st(draw: st.DrawFn) -> tuple[Weight, int | None, int]:
    weight = draw(weights_st)
    cap = draw(caps_st)
    floor = draw(st.one_of(st.just(0), st.integers(0, 3)))
    return weight, cap, floor if cap is None else min(floor, cap)


@st.composite
def problems(draw: st.DrawFn, max_size: int = 7, max_extra: int = 30) -> Problem:
    """Claimants drawn from a few kinds (so duplicates are common) plus some one-offs."""
    kinds = draw(st.lists(claimant_st(), min_size=1, max_size=3))
    size = draw(st.integers(0, max_size))
    rows = [draw(st.one_of(st.sampled_from(kinds), claimant_st())) for _ in range(size)]
    floors = tuple(f for _, _, f in rows)
    total = sum(floors) + draw(st.one_of(st.integers(0, 4), st.integers(0, max_extra)))  # often scarce
    keys = draw(st.lists(st.integers(-100, 100), unique=True, min_size=size, max_size=size))
    return Problem(tuple(w for w, _, _ in rows), tuple(c for _, c, _ in rows), floors, total, tuple(keys))


# -- independent references ---------------------------------------------------------------------


def effective_caps(p: Problem) -> list[int | None]:
    return [f if w == 0 else c for w, c, f in zip(p.weights, p.caps, p.floors, strict=True)]


def supply(p: Problem) -> int:
    """What must be handed out: min(total, Σ effective caps)."""
    caps = effective_caps(p)
    return p.total if None in caps else min(p.total, sum(c or 0 for c in caps))


def below_cap(cap: int | None, q: int) -> bool:
    return cap is None or q < cap


def fair_shares(p: Problem) -> list[Fraction]:
    """Capped fair share: fix whoever is over the cap, share the rest in proportion, repeat."""
    target = supply(p)
    positive = [i for i in range(p.size) if p.weights[i] > 0]
    fixed: set[int] = set()
    mu = Fraction(0)
    while free := [i for i in positive if i not in fixed]:
        mu = Fraction(target - sum(p.caps[i] or 0 for i in fixed)) / sum(Fraction(p.weights[i]) for i in free)
        over = {i for i in free if (cap := p.caps[i]) is not None and p.weights[i] * mu > cap}
        if not over:
            break
        fixed |= over
    shares = [Fraction(0)] * p.size
    for i in positive:
        shares[i] = Fraction(p.caps[i] or 0) if i in fixed else p.weights[i] * mu
    return shares


def priority(method: str, weight: Weight, q: int, share: Fraction = Fraction(0)) -> tuple[Fraction, ...]:
    """Priority of the unit from q to q + 1 (larger first); HH compares (w/d)² exactly."""
    w = Fraction(weight)
    if method == "hamilton":
        return (share - q, w)
    signpost_squared = {
        "dhondt": Fraction(q + 1) ** 2,
        "webster": (q + Fraction(1, 2)) ** 2,
        "adams": Fraction(q) ** 2,
        "huntington_hill": Fraction(q * (q + 1)),
    }[method]
    if signpost_squared == 0:
        return (Fraction(1), w)
    return (Fraction(0), w * w / signpost_squared)


def unit_by_unit(p: Problem, method: str) -> list[int]:
    """Floors first, then one unit at a time to the highest priority; ties to the lowest key."""
    caps = effective_caps(p)
    shares = fair_shares(p) if method == "hamilton" else [Fraction(0)] * p.size
    quotas = list(p.floors)
    for _ in range(supply(p) - sum(quotas)):
        best = max(
            (i for i in range(p.size) if p.weights[i] > 0 and below_cap(caps[i], quotas[i])),
            key=lambda i: (priority(method, p.weights[i], quotas[i], shares[i]), -p.keys[i]),
        )
        quotas[best] += 1
    return quotas


def levels_reference(groups: list[Group], total: int, method: str) -> tuple[list[GroupShare], int]:
    """apportion_groups, slowly: members one by one, a whole priority level at a time."""
    member_of = [g for g, group in enumerate(groups) for _ in range(group.count)]
    p = Problem(
        tuple(groups[g].weight for g in member_of),
        tuple(groups[g].cap for g in member_of),
        tuple(groups[g].floor for g in member_of),
        total,
        tuple(range(len(member_of))),
    )
    caps = effective_caps(p)
    shares = fair_shares(p) if method == "hamilton" else [Fraction(0)] * p.size
    quotas = list(p.floors)
    left = supply(p) - sum(quotas)
    tied_members: list[int] = []
    extra = 0
    while left > 0:
        open_ = [i for i in range(p.size) if p.weights[i] > 0 and below_cap(caps[i], quotas[i])]
        top = max(priority(method, p.weights[i], quotas[i], shares[i]) for i in open_)
        level = [i for i in open_ if priority(method, p.weights[i], quotas[i], shares[i]) == top]
        if len(level) > left:
            tied_members, extra = level, left
            break
        for i in level:
            quotas[i] += 1
        left -= len(level)
    out = []
    for g, group in enumerate(groups):
        mine = [quotas[i] for i in range(p.size) if member_of[i] == g]
        assert len(set(mine)) <= 1  # interchangeable members stay equal before the tie-break
        tied = sum(1 for i in tied_members if member_of[i] == g)
        assert tied in (0, group.count)
        out.append(GroupShare(mine[0] if mine else group.floor, tied))
    return out, extra


# -- pinned examples ----------------------------------------------------------------------------

ADAMS_P8B = Problem((3, 3, 2, 5, 2), (17, 0, 14, 29, 15), (0,) * 5, 1, (0, 1, 2, 3, 4))
ZERO_WEIGHT_FLOOR = Problem((0, 3), (None, 4), (5, 0), 20, (1, 0))
HAMILTON_FLOOR = Problem((1, 9, 6), (None, None, None), (1, 0, 0), 5, (0, 1, 2))
CAPPED_TIE = Problem((2, 1, 1), (1, 1, None), (0, 0, 3), 4, (1, 0, 2))
EMPTY = Problem((), (), (), 3, ())
# Hamilton gives [1, 2], and [0, 3, 2] once a weight-6 client joins with 2 more units.
HAMILTON_NEWCOMER = Problem((2, 9), (None, None), (0, 0), 3, (0, 1))
# Hamilton with floors: 3 -> [1, 1, 1], 4 -> [2, 2, 0] (Alabama paradox in three claimants).
HAMILTON_ALABAMA = Problem((3, 3, 1), (None, None, None), (1, 1, 0), 3, (0, 1, 2))
# Hamilton: [2, 0, 1] (shares 2 and 1; the floor of the weight-0 claimant costs a remainder
# unit), but the first two alone with 2 units get [1, 1]: not consistent.
HAMILTON_INCONSISTENT = Problem((2, 1, 0), (None, None, None), (0, 0, 1), 3, (0, 1, 2))
# Webster ties: 1/(1/2) = 3/(3/2) at the second unit.
WEBSTER_TIE = Problem((1, 3), (None, None), (0, 0), 2, (0, 1))
THREE_FIRST_UNITS = Problem((1, 1, 1), (None, None, None), (0, 0, 0), 1, (0, 1, 2))


# -- the properties -----------------------------------------------------------------------------


@given(p=problems(), method=st.sampled_from(METHODS))
@example(p=EMPTY, method="webster")
@example(p=ZERO_WEIGHT_FLOOR, method="adams")
@example(p=Problem((3, 1), (None, None), (0, 1), 2, (0, 1)), method="webster")
def test_quotas_are_whole_and_within_bounds(p: Problem, method: str) -> None:
    quotas = p.solve(method)
    assert len(quotas) == p.size
    for q, w, cap, floor in zip(quotas, p.weights, p.caps, p.floors, strict=True):
        assert type(q) is int
        assert floor <= q and below_cap(cap, q - 1)
        if w == 0:
            assert q == floor


@given(p=problems(), method=st.sampled_from(METHODS))
@example(p=ZERO_WEIGHT_FLOOR, method="hamilton")
def test_nothing_is_wasted(p: Problem, method: str) -> None:
    assert sum(p.solve(method)) == supply(p)


@given(p=problems(), method=st.sampled_from(METHODS))
@example(p=ADAMS_P8B, method="adams")
@example(p=CAPPED_TIE, method="hamilton")
def test_weight_order(p: Problem, method: str) -> None:
    """w_i >= w_j, cap_i >= cap_j, floor_i >= floor_j => q_i >= q_j, unless i and j are
    genuinely tied (equal weight) and j holds the lower key."""
    quotas = p.solve(method)
    for i, j in itertools.permutations(range(p.size), 2):
        cap_i, cap_j = p.caps[i], p.caps[j]
        dominates = (
            p.weights[i] >= p.weights[j]
            and (cap_i is None or (cap_j is not None and cap_i >= cap_j))
            and p.floors[i] >= p.floors[j]
        )
        if dominates and quotas[i] < quotas[j]:
            assert p.weights[i] == p.weights[j]
            assert quotas[j] == quotas[i] + 1 and p.keys[j] < p.keys[i]


@given(p=problems(), method=st.sampled_from(METHODS))
def test_equal_claimants_differ_by_at_most_one(p: Problem, method: str) -> None:
    quotas = p.solve(method)
    for i, j in itertools.combinations(range(p.size), 2):
        if (p.weights[i], p.caps[i], p.floors[i]) == (p.weights[j], p.caps[j], p.floors[j]):
            low, high = sorted((i, j), key=lambda k: p.keys[k])
            assert quotas[high] <= quotas[low] <= quotas[high] + 1


@given(p=problems(), method=st.sampled_from(DIVISORS), more=st.integers(1, 6))
@example(p=HAMILTON_ALABAMA, method="webster", more=1)
def test_house_monotone(p: Problem, method: str, more: int) -> None:
    before = p.solve(method)
    after = replace(p, total=p.total + more).solve(method)
    assert all(b <= a for b, a in zip(before, after, strict=True))


@given(
    p=problems(),
    method=st.sampled_from(DIVISORS),
    index=st.integers(0, 6),
    raise_by=st.one_of(st.none(), st.integers(0, 5)),
)
def test_cap_monotone(p: Problem, method: str, index: int, raise_by: int | None) -> None:
    """Raising one claimant's cap (None: removing it) never lowers its quota."""
    assume(p.size > 0 and p.caps[index % p.size] is not None)
    i = index % p.size
    caps = list(p.caps)
    caps[i] = None if raise_by is None else (p.caps[i] or 0) + raise_by
    assert replace(p, caps=tuple(caps)).solve(method)[i] >= p.solve(method)[i]


@given(
    p=problems(),
    method=st.sampled_from(DIVISORS),
    index=st.integers(0, 6),
    more=st.fractions(min_value=Fraction(1, 3), max_value=6, max_denominator=3),
)
@example(p=THREE_FIRST_UNITS, method="adams", index=0, more=Fraction(1, 3))
def test_weight_monotone(p: Problem, method: str, index: int, more: Fraction) -> None:
    """Raising one claimant's weight never lowers its quota."""
    assume(p.size > 0)
    i = index % p.size
    weights = list(p.weights)
    weights[i] += more
    assert replace(p, weights=tuple(weights)).solve(method)[i] >= p.solve(method)[i]


@given(p=problems(), method=st.sampled_from(DIVISORS), keep=st.lists(st.booleans(), max_size=7))
@example(p=HAMILTON_INCONSISTENT, method="dhondt", keep=[True, True])
def test_consistency(p: Problem, method: str, keep: list[bool]) -> None:
    """Re-apportioning what a subset holds among that subset (same keys) changes nothing."""
    quotas = p.solve(method)
    rows = [i for i in range(p.size) if i < len(keep) and keep[i]]
    again = p.take(rows, sum(quotas[i] for i in rows)).solve(method)
    assert again == [quotas[i] for i in rows]


@given(
    p=problems(),
    method=st.sampled_from(DIVISORS),
    new=claimant_st(),
    key=st.integers(101, 200),
    more=st.integers(0, 6),
)
@example(p=HAMILTON_NEWCOMER, method="webster", new=(6, None, 0), key=101, more=2)
def test_new_client_neutral(p: Problem, method: str, new: tuple[Weight, int | None, int], key: int, more: int) -> None:
    """A newcomer and the units it receives added to the supply leave everyone else unchanged."""
    weight, cap, floor = new
    joined = Problem((*p.weights, weight), (*p.caps, cap), (*p.floors, floor), p.total + floor + more, (*p.keys, key))
    with_new = joined.solve(method)
    without = replace(p, total=joined.total - with_new[-1]).solve(method)
    assert with_new[:-1] == without


@given(p=problems(), method=st.sampled_from(DIVISORS))
@example(p=ADAMS_P8B, method="adams")
@example(p=WEBSTER_TIE, method="webster")
@example(p=Problem((2, 6), (None, None), (0, 0), 2, (0, 1)), method="webster")
def test_divisor_optimality(p: Problem, method: str) -> None:
    """Below its cap i's next unit never outranks j's last one; equal: j holds the lower key."""
    quotas = p.solve(method)
    caps = effective_caps(p)
    for i, j in itertools.permutations(range(p.size), 2):
        if p.weights[i] > 0 and below_cap(caps[i], quotas[i]) and quotas[j] > p.floors[j]:
            next_i = priority(method, p.weights[i], quotas[i])
            last_j = priority(method, p.weights[j], quotas[j] - 1)
            assert next_i <= last_j
            if next_i == last_j:
                assert p.keys[j] < p.keys[i]


@given(p=problems())
@example(p=HAMILTON_FLOOR)
@example(p=CAPPED_TIE)
def test_hamilton_within_one_unit_of_the_fair_share(p: Problem) -> None:
    """q_i < s_i + 1 unless held at the floor; q_i > s_i - 1 for all when no floor exceeds ⌊s⌋.

    Also the definition itself: i's next unit (s_i - q_i, w_i) never outranks j's last one.
    """
    quotas = p.solve("hamilton")
    shares = fair_shares(p)
    caps = effective_caps(p)
    floors_bind = any(f > s for f, s in zip(p.floors, shares, strict=True))
    for q, s, f in zip(quotas, shares, p.floors, strict=True):
        assert q == f or q < s + 1
        assert floors_bind or q > s - 1
    for i, j in itertools.permutations(range(p.size), 2):
        if p.weights[i] > 0 and below_cap(caps[i], quotas[i]) and quotas[j] > p.floors[j]:
            next_i = (shares[i] - quotas[i], p.weights[i])
            last_j = (shares[j] - quotas[j] + 1, p.weights[j])
            assert next_i <= last_j
            if next_i == last_j:
                assert p.keys[j] < p.keys[i]


@given(p=problems(), method=st.sampled_from(METHODS), shuffler=st.randoms(use_true_random=False))
def test_row_order_does_not_matter(p: Problem, method: str, shuffler: random.Random) -> None:
    """Permuting the claimants together with their keys permutes the quotas."""
    order = list(range(p.size))
    shuffler.shuffle(order)
    shuffled = p.take(list(order), p.total).solve(method)
    quotas = p.solve(method)
    assert shuffled == [quotas[i] for i in order]


@given(p=problems(), method=st.sampled_from(METHODS), seed=st.integers(0, 2**32))
def test_deterministic(p: Problem, method: str, seed: int) -> None:
    ids = [f"client-{i}" for i in range(p.size)]
    keys = tiebreak_keys(seed, "2024Q3", "zhonghua-soft", ids)
    assert keys == tiebreak_keys(seed, "2024Q3", "zhonghua-soft", ids)
    keyed = replace(p, keys=tuple(keys))
    first = keyed.solve(method)
    assert all(keyed.solve(method) == first for _ in range(3))


@given(p=problems(max_size=6, max_extra=25), method=st.sampled_from(METHODS))
@example(p=ADAMS_P8B, method="adams")
@example(p=ZERO_WEIGHT_FLOOR, method="hamilton")
@example(p=HAMILTON_FLOOR, method="hamilton")
@example(p=CAPPED_TIE, method="hamilton")
def test_apportion_matches_unit_by_unit(p: Problem, method: str) -> None:
    assert p.solve(method) == unit_by_unit(p, method)


@st.composite
def group_lists(draw: st.DrawFn) -> tuple[list[Group], int]:
    groups = []
    for _ in range(draw(st.integers(0, 4))):
        weight, cap, floor = draw(claimant_st())
        groups.append(Group(weight, draw(st.integers(0, 4)), cap, floor))
    total = sum(g.floor * g.count for g in groups) + draw(st.integers(0, 30))
    return groups, total


@given(case=group_lists(), method=st.sampled_from(METHODS))
@example(case=([Group(2, 1), Group(1, 2)], 2), method="dhondt")
@example(case=([Group(3, 3), Group(5, 2, cap=4)], 4), method="huntington_hill")
@example(case=([Group(5, 2), Group(2, 1)], 6), method="huntington_hill")
def test_apportion_groups_matches_levels_reference(case: tuple[list[Group], int], method: str) -> None:
    groups, total = case
    shares, extra = apportion_groups(groups, total, method)
    assert (shares, extra) == levels_reference(groups, total, method)
    tied = sum(s.tied for s in shares)
    assert extra == tied == 0 or 0 < extra < tied
