"""The totals one segment's ladder can reach, by levels of amount rather than by amounts.

A segment's ladder (its tiers with clients, best first) takes non-increasing amounts a_1 >= ... >=
a_T. Read it by levels: level j >= 1 is reached by the tiers with a_t >= j, which are the best
tau_j of them, and tau_1 >= tau_2 >= ... The total is sum_j G_j(tau_j), where G_j(tau) adds the
marginals d_t(j) = f_t(j) - f_t(j - 1) of the best tau tiers. Above the last cap, J = the largest
ceil(cap / k), every marginal is the tier's uncapped slope u_t and G_j is the same coin
C(tau) = u_1 + ... + u_tau at every level, so the levels above J add any number of coins
C(1..tau_J): an unbounded knapsack, closed by doubling shifts.

So X_j(tau), the totals of levels 1..j with tau_j = tau, is (X_{j-1}(tau) | X_{j-1}(tau + 1) | ...)
shifted by G_j(tau), for j = 1..E, E = min(J, max_amount, limit) (a level above the limit adds
nothing to a total within it: a tier still growing there would already hold more than the limit).
The tail is Horner's scheme over tau from the top: acc_tau = (acc_{tau+1} | X_E(tau)) + {0, C(tau),
2 C(tau), ...}, and the reachable totals are acc_1 | X_E(0). With max_amount M > J at most M - J tail
levels exist; when they are fewer than limit / (the smallest positive coin) they are run as levels.

The start X_0(T) is a base set instead of {0}: run over the segments one after the other, the last
run holds the sum-set of every segment's totals, which is the pool's, exactly and bit by bit. With
uncapped clients one segment costs about T log2(limit) shifts of a limit-bit integer, whatever the
amounts (a single client in the best tier may take the whole supply: by amounts that is
limit * limit steps).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from allocator.apportionment.tier_amounts import STEP_LIMIT, TABLE_LIMIT, TierAmountsTooLarge
from allocator.apportionment.tier_demand import _Tier
from allocator.apportionment.tier_reach import positions


def _shift(bits: int, by: int, limit: int) -> int:
    """bits + by, the totals above limit dropped."""
    shifted = bits << by
    return shifted & ((1 << (limit + 1)) - 1) if shifted.bit_length() > limit + 1 else shifted


def _multiples(bits: int, coin: int, limit: int) -> int:
    """bits + {0, coin, 2 coin, ...} within limit: doubling shifts, one per power of two."""
    if coin == 0 or not bits:
        return bits
    step = coin
    while step <= limit:
        bits |= _shift(bits, step, limit)
        step *= 2
    return bits


def _has(bits: int, x: int) -> bool:
    return x >= 0 and bool((bits >> x) & 1)


@dataclass(frozen=True)
class Levels:
    """How a ladder is read by levels: E explicit levels, then tail coins (or a bounded tail)."""

    explicit: int  # E
    tail: int | None  # tail levels allowed above E: None = any number, 0 = none
    coins: tuple[int, ...]  # C(0..T): the tail's G, C(0) = 0

    def steps(self, tiers: int, limit: int) -> int:
        """(level, tau, total) triples the run visits, as solve_tier_amounts counts its steps."""
        bounded = self.tail if self.tail is not None and self.tail > 0 else 0
        return (self.explicit + bounded) * (tiers + 1) * (limit + 1)


def levels_of(tiers: Sequence[_Tier], limit: int, max_amount: int | None) -> Levels:
    """The level structure of a ladder for totals up to limit."""
    top = max((-(-cap // k) for tier in tiers for cap, k, _ in tier.capped), default=0)  # J
    explicit = min(top, limit) if max_amount is None else min(top, max_amount, limit)
    coins = [0]
    for tier in tiers:
        coins.append(coins[-1] + tier.uncapped)
    if explicit < top or not any(coins):
        return Levels(explicit, 0, tuple(coins))  # every level that can count is explicit
    if max_amount is None:
        return Levels(explicit, None, tuple(coins))
    room = max_amount - explicit
    smallest = min(c for c in coins if c)
    # a total within the limit uses at most limit // smallest tail levels that add anything
    return Levels(explicit, None if room >= limit // smallest else room, tuple(coins))


def _gains(tiers: Sequence[_Tier], level: int) -> list[int]:
    """G_j(0..T) for level j: the marginals of the best tau tiers added up."""
    out = [0]
    for tier in tiers:
        out.append(out[-1] + tier.quota(level) - tier.quota(level - 1))
    return out


class LevelRun:
    """One ladder's reachable totals from a base set; keeps what a witness needs if asked to."""

    def __init__(
        self, tiers: Sequence[_Tier], base: int, limit: int, max_amount: int | None, keep: bool = False
    ) -> None:
        self.tiers = list(tiers)
        self.limit = limit
        self.shape = levels_of(self.tiers, limit, max_amount)
        count = len(self.tiers)
        self.layers: list[list[int]] = []  # X_0 .. X_E (kept only for a witness)
        self.gains: list[list[int]] = []  # G_1 .. G_E (idem)
        x = [0] * count + [base]
        if keep:
            self.layers.append(x)
        bounded = self.shape.tail or 0
        for level in range(1, self.shape.explicit + bounded + 1):
            gain = _gains(self.tiers, level) if level <= self.shape.explicit else list(self.shape.coins)
            x = self._level(x, gain)
            if keep:
                self.layers.append(x)
                self.gains.append(gain)
        self.accs: list[int] = [0] * (count + 2)
        acc = 0
        if self.shape.tail is None:
            for tau in range(count, 0, -1):
                acc = _multiples(acc | x[tau], self.shape.coins[tau], limit)
                self.accs[tau] = acc
            self.reach = acc | x[0]
        else:
            self.reach = 0
            for bits in x:
                self.reach |= bits
        self.last = x

    def _level(self, x: Sequence[int], gain: Sequence[int]) -> list[int]:
        out = [0] * len(x)
        union = 0
        for tau in range(len(x) - 1, -1, -1):
            union |= x[tau]
            if union:
                out[tau] = _shift(union, gain[tau], self.limit)
        return out

    def witness(self, total: int) -> tuple[tuple[int, ...], int]:
        """Amounts of this ladder reaching part of total, and the rest, which lies in the base set."""
        count = len(self.tiers)
        extra = [0] * (count + 1)  # tail levels with tau = k
        x, tau = total, None
        if self.shape.tail is None:
            if _has(self.last[0], x):
                tau = 0
            for k in range(1, count + 1):
                if tau is not None:
                    break
                coin = self.shape.coins[k]
                below = _bools(self.accs[k + 1] | self.last[k], x)
                steps = np.arange(0, x // coin + 1 if coin else 1, dtype=np.int64)
                hit = np.flatnonzero(below[x - steps * coin])
                if not len(hit):
                    raise AssertionError(f"total {total} is not reachable in the tail")  # a bug, not input
                extra[k] = int(steps[hit[0]])
                x -= extra[k] * coin
                if _has(self.last[k], x):
                    tau = k
        else:
            tau = next(k for k in range(count + 1) if _has(self.last[k], x))
        assert tau is not None
        taus = [tau]
        for level in range(len(self.gains), 0, -1):  # X_level(tau) -> X_{level-1}(tau' >= tau)
            x -= self.gains[level - 1][taus[-1]]
            layer = self.layers[level - 1]
            taus.append(next(k for k in range(taus[-1], count + 1) if _has(layer[k], x)))
        reached = [sum(1 for t_ in taus[:-1] if t_ > t) for t in range(count)]
        tail = [sum(extra[k] for k in range(t + 1, count + 1)) for t in range(count)]
        return tuple(r + e for r, e in zip(reached, tail, strict=True)), x


def _bools(bits: int, upto: int) -> npt.NDArray[np.bool_]:
    """bits 0..upto as a boolean array."""
    out = np.zeros(upto + 1, dtype=bool)
    where = positions(bits & ((1 << (upto + 1)) - 1))
    out[where] = True
    return out


def check_levels(ladders: Sequence[Sequence[_Tier]], limit: int, max_amount: int | None) -> None:
    """Refuse a pool whose level runs would pass STEP_LIMIT steps or TABLE_LIMIT bytes of kept layers."""
    steps = table = 0
    most = 0
    for tiers in ladders:
        shape = levels_of(tiers, limit, max_amount)
        steps += shape.steps(len(tiers), limit)
        kept = (shape.explicit + (shape.tail or 0) + 1) * (len(tiers) + 1) * (limit + 1) // 8
        table = max(table, kept)  # one segment's layers at a time, for the witness
        most = max(most, shape.explicit + (shape.tail or 0))
    if steps <= STEP_LIMIT and table <= TABLE_LIMIT:
        return
    raise TierAmountsTooLarge(
        f"proving the optimal total of the pool needs {steps:,} steps and {table:,} bytes of tables "
        f"({len(ladders)} segments, up to {most:,} levels of amount below the largest cap, totals up to "
        f"{limit:,}), above the limits of {STEP_LIMIT:,} steps and {TABLE_LIMIT:,} bytes: "
        "give clients smaller caps (max_per_client), or a smaller supply"
    )


def pool_reach(ladders: Sequence[Sequence[_Tier]], limit: int, max_amount: int | None) -> list[int]:
    """bases[s]: the totals segments 0..s-1 reach together (bases[0] = {0}); the last is the pool's."""
    bases = [1]
    for tiers in ladders:
        bases.append(LevelRun(tiers, bases[-1], limit, max_amount).reach)
    return bases


def pool_witness(
    ladders: Sequence[Sequence[_Tier]], bases: Sequence[int], total: int, max_amount: int | None
) -> list[tuple[int, ...]]:
    """Amounts for every ladder, their totals adding up to total (which must be in bases[-1])."""
    out: list[tuple[int, ...]] = [()] * len(ladders)
    for s in range(len(ladders) - 1, -1, -1):
        run = LevelRun(ladders[s], bases[s], total, max_amount, keep=True)
        out[s], total = run.witness(total)
    if total != 0:
        raise AssertionError("the witness does not add up")  # a bug, not input
    return out
