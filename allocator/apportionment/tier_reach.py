"""Reachability of tier totals: which totals non-increasing tier amounts can give, and the
lexicographically smallest amounts for one of them (the proof behind `tier_amounts`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt


def positions(bits: int) -> npt.NDArray[np.int64]:
    """The positions of the set bits of a non-negative int, ascending."""
    words = np.frombuffer(bits.to_bytes((bits.bit_length() + 63) // 64 * 8, "little"), dtype="<u8")
    nonzero = np.flatnonzero(words)  # scan 64 bits at a time, unpack only the words that matter
    raw = words[nonzero].view(np.uint8).reshape(-1, 8)
    rows, cols = np.nonzero(np.unpackbits(raw, axis=1, bitorder="little"))
    return nonzero[rows] * 64 + cols


def reach(
    quotas: Sequence[Sequence[int]], lows: Sequence[int], limit: int, base: int = 1
) -> tuple[int, list[npt.NDArray[np.unsignedinteger[Any]]]]:
    """The totals <= limit all tiers reach (a bitset), and first[t][x]: the smallest a_t with
    which tiers t.. reach total x (above every amount if none), so x is reachable with a_t <= u
    iff first[t][x] <= u. With a base set (a bitset of totals reached elsewhere, such as other
    segments of the pool), every total is the base's plus the tiers': the sum-set.

    The tiers advance in lockstep over the amounts, worst tier first at each amount: then
    P_{t+1}(a) is simply tier t+1's union so far, and memory is one bitset and one first table
    per tier, O(tiers * limit), whatever the number of amounts."""
    count = len(quotas)
    mask = (1 << (limit + 1)) - 1
    never = max((low + len(row) for low, row in zip(lows, quotas, strict=True)), default=0)
    dtype = np.min_scalar_type(never)
    first = [np.full(limit + 1 if t else 0, never, dtype=dtype) for t in range(count)]
    unions = [0] * count  # P_t(a): the totals tiers t.. reach with a_t <= the current amount
    done = [False] * count  # a tier is done once its quota passes the limit (quotas only grow)
    for amount in range(min(lows, default=0), never):
        for t in reversed(range(count)):
            i = amount - lows[t]
            if done[t] or not 0 <= i < len(quotas[t]):
                continue
            quota = quotas[t][i]
            if quota > limit:
                done[t] = True
                continue
            shifted = (unions[t + 1] if t + 1 < count else base) << quota
            new = (shifted & mask if shifted.bit_length() > limit + 1 else shifted) & ~unions[t]
            if new:
                unions[t] |= new
                if t:
                    first[t][positions(new)] = amount
    return unions[0], first


def lexmin(
    quotas: Sequence[Sequence[int]],
    lows: Sequence[int],
    first: Sequence[npt.NDArray[np.unsignedinteger[Any]]],
    total: int,
    base: int = 1,
) -> tuple[int, ...]:
    """The lexicographically smallest vector (best tier first) in the boxes with this total, the
    rest of the total in the base set that _reach was given."""
    amounts: list[int] = []
    rest = total
    for t, row in enumerate(quotas):
        # smallest-first already keeps a_t <= a_{t-1}; the bound only saves the scan
        top = len(row) - 1 if not amounts else min(len(row) - 1, amounts[-1] - lows[t])
        for i in range(top + 1):
            left = rest - row[i]
            if left < 0:
                break
            # the last tier must land on the total; otherwise the worse tiers reach `left` with
            # a_{t+1} <= this amount
            last = t + 1 == len(quotas)
            if (base >> left) & 1 if last else bool(first[t + 1][left] <= lows[t] + i):
                amounts.append(lows[t] + i)
                rest = left
                break
        else:
            raise AssertionError(f"total {total} is not reachable in tier {t}")  # a bug, not input
    if not (base >> rest) & 1:
        raise AssertionError(f"total {total} is not reachable")
    return tuple(amounts)


Found = TypeVar("Found")


def smallest_deviation(run: Callable[[Fraction], Found | None], ceiling: int, ideal: Sequence[Fraction]) -> Found:
    """The result of `run` at the smallest deviation it accepts (run is monotone: a deviation
    that works keeps working when larger; `ceiling` works). Gallop and bisect over the integers,
    then over the only values the optimum can take in (probe - 1, probe]: there |a - x| is
    probe - 1 + frac(x) or probe - frac(x) for an ideal x."""
    failed, step = -1, 1
    while True:  # gallop to the smallest feasible integer
        probe = min(failed + step, ceiling)
        if probe == ceiling or run(Fraction(probe)) is not None:
            break
        failed, step = probe, step * 2
    while probe - failed > 1:
        mid = (failed + probe) // 2
        if run(Fraction(mid)) is not None:
            probe = mid
        else:
            failed = mid
    fractions = {x - math.floor(x) for x in ideal} - {Fraction(0)}
    values = {Fraction(probe)} | {probe - 1 + phi for phi in fractions} | {probe - phi for phi in fractions}
    candidates = sorted(c for c in values if probe - 1 < c <= probe and c >= 0)
    low, high = 0, len(candidates) - 1
    while low < high:
        mid = (low + high) // 2
        if run(candidates[mid]) is not None:
            high = mid
        else:
            low = mid + 1
    found = run(candidates[low])
    if found is None:
        raise AssertionError("no feasible deviation found")  # a bug, not input
    return found
