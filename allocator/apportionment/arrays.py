"""Apportionment of client arrays: clients with equal (cell, claim, cap, floor) form one group.

The groups go to `apportion_groups`; only the units left for exactly tied clients are handed
out one by one, the better tier first, then by tie-break key. Pure numpy and integers: no
engine, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from allocator.apportionment.methods import Group, apportion_groups
from allocator.apportionment.tiebreak import U64

KeyFn = Callable[[npt.NDArray[np.intp]], U64]  # rows -> their tie-break keys


def apportion_arrays(
    codes: npt.NDArray[np.int64],
    weights: Sequence[Fraction] | None,
    claim: npt.NDArray[np.int64],
    bounded: npt.NDArray[np.bool_],
    floor: npt.NDArray[np.int64],
    keys: U64 | KeyFn,
    total: int,
    method: str,
    ranks: npt.NDArray[np.int64] | None = None,
) -> npt.NDArray[np.int64]:
    """Quotas for clients with a cell code (its weight), a claim (a cap where `bounded`) and a floor.

    `weights` gives each cell's weight; None makes every client's weight its own claim.
    Clients with equal (cell, claim, bounded, floor) are interchangeable: apportion the groups,
    then give the units left for exactly tied clients to the best `ranks` (tier position on its
    ladder) first, then to the lowest keys, then to the first in row order (client id order).
    `keys` is every client's key, or a function giving the keys of some rows (only the tied
    clients' keys are then worked out).
    """
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    if ranks is None:
        ranks = np.zeros(len(codes), dtype=np.int64)
    uniq, inverse, counts = unique_rows(codes, claim, bounded.view(np.int8), floor)
    groups = [
        Group(Fraction(cl) if weights is None else weights[c], k, cl if b else None, fl)
        for (c, cl, b, fl), k in zip(uniq, counts.tolist(), strict=True)
    ]
    shares, extra = apportion_groups(groups, total, method)
    base = np.array([s.base for s in shares], dtype=np.int64)
    tied = np.array([s.tied for s in shares], dtype=np.int64)
    quota = base[inverse]
    if extra and bool((tied[tied > 0] == counts[tied > 0]).all()):  # whole groups tied: the usual case
        quota[_whole_group_winners(inverse, tied, ranks, keys, extra)] += 1
    elif extra:
        candidates = np.flatnonzero(tied[inverse] > 0)
        partial = tied[inverse[candidates]] < counts[inverse[candidates]]
        if partial.any():
            # Only `tied` members of such a group are in the tie: the group's lowest keys.
            order = np.lexsort((_keys(keys, candidates), inverse[candidates]))
            ranked, group = candidates[order], inverse[candidates[order]]
            starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
            rank = np.arange(len(ranked)) - np.repeat(starts, np.diff(np.r_[starts, len(ranked)]))
            candidates = np.sort(ranked[rank < tied[group]])
        quota[_winners(candidates, ranks[candidates], _keys(keys, candidates), extra)] += 1
    return quota


def _whole_group_winners(
    inverse: npt.NDArray[np.intp], tied: npt.NDArray[np.int64], ranks: npt.NDArray[np.int64], keys: U64 | KeyFn, k: int
) -> npt.NDArray[np.intp]:
    """`_winners` when every member of a tied group is tied: the groups are taken rank by rank
    (a rank is the same for a group's members: it comes from the cell, part of the group's key),
    all the members of a rank that fits, the lowest keys of the first that does not; only that
    rank's keys are worked out."""
    group_rank = np.zeros(len(tied), dtype=np.int64)
    group_rank[inverse] = ranks
    chosen = []
    for rank in sorted(set(group_rank[tied > 0].tolist())):
        if k <= 0:
            break
        here = (tied > 0) & (group_rank == rank)
        rows = np.flatnonzero(here[inverse])
        if len(rows) <= k:
            chosen.append(rows)
            k -= len(rows)
            continue
        chosen.append(_lowest(rows, _keys(keys, rows), k))
        break
    return np.concatenate(chosen) if chosen else inverse[:0]


def _keys(keys: U64 | KeyFn, rows: npt.NDArray[np.intp]) -> U64:
    """The tie-break keys of `rows`: only these are worked out when `keys` is a function."""
    return keys(rows) if callable(keys) else keys[rows]


def _winners(rows: npt.NDArray[np.intp], ranks: npt.NDArray[np.int64], keys: U64, k: int) -> npt.NDArray[np.intp]:
    """The `k` tied rows that get one more unit: the better tier first, then the lowest key."""
    chosen = []
    for rank in np.unique(ranks).tolist():
        if k <= 0:
            break
        here = ranks == rank
        picked = _lowest(rows[here], keys[here], k)
        chosen.append(picked)
        k -= len(picked)
    return np.concatenate(chosen) if chosen else rows[:0]


def _lowest(rows: npt.NDArray[np.intp], keys: U64, k: int) -> npt.NDArray[np.intp]:
    """The `k` rows with the lowest keys, equal keys going to the earlier row; in linear time."""
    if k >= len(rows):
        return rows
    kth = np.partition(keys, k - 1)[k - 1]
    below = rows[keys < kth]
    return np.concatenate([below, rows[keys == kth][: k - len(below)]])


def unique_rows(
    *columns: npt.NDArray[np.int64],
) -> tuple[list[tuple[int, ...]], npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Distinct rows of non-negative integer columns, with inverse and counts.

    The columns are packed into one int64 when their widths add up to 62 bits or less, which
    sorts far faster than `np.unique(axis=0)`; wider values (orders near int64's top) take the
    general path.
    """
    if not columns[0].size:
        return [], np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    lows = [int(c.min()) for c in columns]
    highs = [int(c.max()) for c in columns]
    varying = [i for i, (lo, hi) in enumerate(zip(lows, highs, strict=True)) if lo != hi]
    widths = {i: max(highs[i].bit_length(), 1) for i in varying}
    if sum(widths.values()) <= 62:
        # only the columns that vary are packed (a constant one is the same in every row)
        packed = np.zeros(len(columns[0]), dtype=np.int64)
        for i in varying:
            np.left_shift(packed, widths[i], out=packed)
            np.bitwise_or(packed, columns[i], out=packed, casting="unsafe")
        if int(packed.max(initial=0)) < max(4 * len(packed), 1 << 16):
            # a dense count beats sorting when the packed values span a small range
            dense = np.bincount(packed)
            uniq = np.flatnonzero(dense)
            lookup = np.zeros(len(dense), dtype=np.intp)
            lookup[uniq] = np.arange(len(uniq))
            inverse, counts = lookup[packed], dense[uniq]
        else:
            uniq, inverse, counts = np.unique(packed, return_inverse=True, return_counts=True)
        rows = []
        for value in uniq.tolist():
            row = list(lows)
            for i in reversed(varying):
                row[i] = value & ((1 << widths[i]) - 1)
                value >>= widths[i]
            rows.append(tuple(row))
        return rows, inverse.reshape(-1), counts
    stacked = np.stack(columns, axis=1)
    u, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [tuple(int(x) for x in r) for r in u], inverse.reshape(-1), counts
