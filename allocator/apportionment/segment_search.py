"""The exact search for a pool's plan with a given total and spread: a dynamic programme over tiers.

A plan gives every cell (segment s, tier t) with clients an amount; a segment's amounts never grow
from a better tier to a worse one; the spread of tier t is max - min of the amounts of the cells of
t. The programme runs from the worst tier up. Its state after tier t is one number per segment: the
segment's amount at its last cell at or below t (0 if it has none yet; reset to 0 once the segment
has no cell above). For each state it keeps the bitset of the totals tiers t.. reach with it.

The state v at tier t holds the cells of t in a window: v_s = m + o_s, 0 <= o_s <= spread, some
o_s = 0; the other segments keep their amount. A state w of the tier below leads to v when w_s <= v_s
on the cells of t and w_s = v_s elsewhere, that is when max(w - m, 0) <= o on the cells of t. So for
each base m the states w are dropped into the grid (spread + 1) ** cells at max(w - m, 0), those at
or below m all at 0 (a running union over w sorted by their largest amount), and a prefix OR along
every axis gives, at o, the union over everything that leads to m + o. Each state's totals are then
shifted by the tier's quota and cut at total - (what the segments' better cells receive at least:
they hold no less than the segment holds here), all rows at once. States never collide within a
tier, so a tier's states are two arrays (amounts, bitset words).

The plan is rebuilt from the best tier down: at each tier the smallest amounts of its cells (read
in segment order) that some state reaching the rest of the total allows, all such states kept as
candidates for the next tier. That is the lexicographically smallest plan read tier by tier, best
first, among the plans within the boxes (segment_bounds).

The work is counted (Budget) from the sizes of what is built; past its bound, or past STORED_WORDS
of kept tables or GRID_BYTES for one grid, the search stops with SearchCut and the caller falls back
to a plan it can prove less about.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from allocator.apportionment.segment_bounds import Bounds, Cell, Cells, active, bounds, own_bounds
from allocator.apportionment.tier_reach import smallest_deviation

GRID_BYTES = 2**27  # the largest grid of one base m: (spread + 1) ** cells bitsets


class SearchCut(Exception):
    """The exact search passed its work bound."""


@dataclass
class Budget:
    """Work units left, counted from the sizes of what is built (never from a clock, so that a cut
    falls on the same instances on every machine); a unit is about a microsecond on this project's."""

    left: int

    def spend(self, units: int) -> None:
        """Charge the units; SearchCut once the budget is gone."""
        self.left -= units
        if self.left < 0:
            raise SearchCut


@dataclass(frozen=True)
class _Frame:
    """One tier's cells as the programme sees them."""

    t: int
    cells: list[int]  # the segments with a cell in t
    kept: list[int]  # the others, which keep their amount
    offsets: npt.NDArray[np.int64]  # every o of the grid (spread + 1) ** cells, in grid order
    lows: npt.NDArray[np.int64]
    highs: npt.NDArray[np.int64]
    rows: list[npt.NDArray[np.int64]]  # the cells' quotas from lows to highs
    lifts: list[npt.NDArray[np.int64]]  # what the segments' better cells receive at least, idem


STORED_WORDS = 2**23  # the most bitset words the programme keeps for the rebuild (64 MiB)


@dataclass(frozen=True)
class States:
    """A tier's states: coords[i] the segments' amounts, words[i] its totals as a bitset (64 a word)."""

    coords: npt.NDArray[np.int64]
    words: npt.NDArray[np.uint64]


def unique_rows(matrix: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The distinct rows (in lexicographic order) and each row's index among them: np.unique(axis=0),
    by one lexsort instead of a sort of structured records."""
    if matrix.shape[1] == 0 or len(matrix) == 0:
        return matrix[:1], np.zeros(len(matrix), dtype=np.int64)
    order = np.lexsort(matrix.T[::-1])
    ordered = matrix[order]
    new = np.ones(len(matrix), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(len(matrix), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], inverse


def _from_int(bits: int, words: int) -> npt.NDArray[np.uint64]:
    return np.frombuffer(bits.to_bytes(words * 8, "little"), dtype="<u8").copy()


def shift_rows(
    rows: npt.NDArray[np.uint64], by: npt.NDArray[np.int64], room: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """Each row's bitset shifted up by by[i], the bits above room[i] cleared (all rows at once)."""
    count, width = rows.shape
    pad = np.zeros((count, width + 1), dtype=np.uint64)
    pad[:, 1:] = rows  # pad[:, p] = rows[:, p - 1]; pad[:, 0] = 0 stands for every word below the row
    place = np.arange(width)[None, :] - (by // 64)[:, None] + 1
    upper = np.take_along_axis(pad, np.clip(place, 0, width), axis=1)
    lower = np.take_along_axis(pad, np.clip(place - 1, 0, width), axis=1)
    bit = (by % 64).astype(np.uint64)[:, None]
    carry = np.where(bit > 0, lower >> np.where(bit > 0, np.uint64(64) - bit, np.uint64(0)), np.uint64(0))
    out = (upper << bit) | carry
    last = (room // 64)[:, None]
    column = np.arange(width)[None, :]
    keep = (np.uint64(2) << (room % 64).astype(np.uint64)[:, None]) - np.uint64(1)  # bits 0..room % 64
    out = np.where(column < last, out, np.where(column == last, out & keep, np.uint64(0)))
    return np.where((room >= 0)[:, None], out, np.uint64(0)).astype(np.uint64)


class Search:
    """The programme for one total, spread and set of boxes; `tables` is None when no plan exists."""

    def __init__(self, cells: Cells, total: int, spread: int, box: Bounds, budget: Budget) -> None:
        self.cells, self.total, self.spread, self.box, self.budget = cells, total, spread, box, budget
        self.segments = len(cells)
        self.words = (total + 64) // 64
        tiers = len(cells[0]) if cells else 0
        self.order = [t for t in range(tiers) if active(cells, t)]
        self.top = {
            s: min(t for t in self.order if cells[s][t] is not None)
            for s in range(self.segments)
            if any(cells[s][t] is not None for t in self.order)
        }
        self.rows = {c: cells[c[0]][c[1]].quotas(box.lo[c], box.hi[c]) for c in box.lo}  # type: ignore[union-attr]
        # lift[s, t][a - lo]: what the segment's better cells receive at least when its cell t holds a
        self.lift = {c: self._lift(c, box.lo[c], box.hi[c]) for c in box.lo}
        self.lifted: dict[tuple[int, int, int], int] = {}
        self.stored = 0
        self.tables: list[tuple[int, States]] | None = self._run()

    def _lift(self, cell: Cell, lo: int, hi: int) -> npt.NDArray[np.int64]:
        s, t = cell
        out = np.zeros(hi - lo + 1, dtype=np.int64)
        for better in self.cells[s][:t]:
            if better is not None:
                out += np.array(better.quotas(lo, hi), dtype=np.int64)
        return out

    def _lifted(self, s: int, t: int, amount: int) -> int:
        """What segment s's cells better than t receive at least, all at this amount."""
        key = (s, t, amount)
        if key not in self.lifted:
            self.lifted[key] = sum(c.quota(amount) for c in self.cells[s][:t] if c is not None)
        return self.lifted[key]

    def _run(self) -> list[tuple[int, States]] | None:
        states = States(np.zeros((1, self.segments), dtype=np.int64), _from_int(1, self.words)[None, :])
        tables: list[tuple[int, States]] = []
        for t in reversed(self.order):
            found = self._tier(t, states)
            self.stored += found.words.size
            if self.stored > STORED_WORDS:
                raise SearchCut
            tables.append((t, found))
            states = self._dropped(t, found)
            if not len(states.coords):
                return None
        tables.reverse()
        if not tables:
            return tables if self.total == 0 else None
        first = tables[0][1].words
        return tables if ((first[:, self.total // 64] >> np.uint64(self.total % 64)) & np.uint64(1)).any() else None

    def _dropped(self, t: int, found: States) -> States:
        """The states for the next tier up: a segment whose best cell is t no longer matters (0)."""
        ends = [s for s, top in self.top.items() if top == t]
        if not ends:
            return found
        coords = found.coords.copy()
        coords[:, ends] = 0
        unique, inverse = unique_rows(coords)
        words = np.zeros((len(unique), self.words), dtype=np.uint64)
        np.bitwise_or.at(words, inverse, found.words)
        return States(unique, words)

    def _frame(self, t: int) -> _Frame:
        cells_t = active(self.cells, t)
        shape = (self.spread + 1,) * len(cells_t)
        return _Frame(
            t,
            cells_t,
            [s for s in range(self.segments) if s not in cells_t],
            np.indices(shape).reshape(len(cells_t), -1).T,
            np.array([self.box.lo[s, t] for s in cells_t], dtype=np.int64),
            np.array([self.box.hi[s, t] for s in cells_t], dtype=np.int64),
            [np.array(self.rows[s, t], dtype=np.int64) for s in cells_t],
            [self.lift[s, t] for s in cells_t],
        )

    def _tier(self, t: int, below: States) -> States:
        frame = self._frame(t)
        if len(frame.offsets) * self.words * 8 > GRID_BYTES:
            raise SearchCut
        keys, group_of = unique_rows(below.coords[:, frame.kept])
        self.budget.spend(1 + below.words.size // 64)
        coords: list[npt.NDArray[np.int64]] = []
        words: list[npt.NDArray[np.uint64]] = []
        for g, key in enumerate(keys.tolist()):
            members = np.flatnonzero(group_of == g)
            held = below.coords[members][:, frame.cells]
            heights = held.max(axis=1)
            order = np.argsort(heights, kind="stable")
            group = (held[order], below.words[members][order], heights[order])
            running = np.bitwise_or.accumulate(group[1], axis=0)
            lows, highs = frame.lows, frame.highs
            start = max(int(lows.min()), int(lows.max()) - self.spread, int(group[2][0]) - self.spread, 0)
            for m in range(start, int(highs.min()) + 1):
                found = self._base(m, key, frame, (*group, running))
                if found is not None:
                    coords.append(found.coords)
                    words.append(found.words)
        if not coords:
            return States(np.zeros((0, self.segments), dtype=np.int64), np.zeros((0, self.words), dtype=np.uint64))
        return States(np.concatenate(coords), np.concatenate(words))

    def _base(
        self,
        m: int,
        key: list[int],
        frame: _Frame,
        group: tuple[npt.NDArray[np.int64], npt.NDArray[np.uint64], npt.NDArray[np.int64], npt.NDArray[np.uint64]],
    ) -> States | None:
        """The states of base m: w leads to m + o iff max(w - m, 0) <= o, so a prefix OR over the grid."""
        held, words, heights, running = group
        offsets, lows, count = frame.offsets, frame.lows, len(frame.cells)
        amounts = m + offsets
        fits = (offsets.min(axis=1) == 0) & (amounts >= lows).all(axis=1) & (amounts <= frame.highs).all(axis=1)
        if not fits.any():
            return None
        i = int(np.searchsorted(heights, m, side="right"))
        j = int(np.searchsorted(heights, m + self.spread, side="right"))
        shape = (self.spread + 1,) * count
        grid = np.zeros((len(offsets), self.words), dtype=np.uint64)
        if i:
            grid[0] = running[i - 1]  # every w at or below m leads to every state of base m
        if j > i:
            np.bitwise_or.at(grid, np.ravel_multi_index(tuple(np.clip(held[i:j] - m, 0, None).T), shape), words[i:j])
        cube = grid.reshape((*shape, self.words))
        for axis in range(count):  # a prefix OR along each axis, slice by slice (no strided accumulate)
            for step in range(1, self.spread + 1):
                here = (slice(None),) * axis + (step,)
                np.bitwise_or(cube[here], cube[(slice(None),) * axis + (step - 1,)], out=cube[here])
        chosen = np.flatnonzero(fits & grid.any(axis=1))
        # measured: about len(offsets) * count / 8 + grid.size * (count + 1) / 200 microseconds
        self.budget.spend(25 + len(offsets) * count // 8 + grid.size * (count + 1) // 200)
        quota = np.zeros(len(chosen), np.int64)
        # the better tiers still to come add at least `lift`: totals above total - lift cannot finish
        lift = np.full(len(chosen), sum(self._lifted(s, frame.t, a) for s, a in zip(frame.kept, key, strict=True)))
        for k, (row, up) in enumerate(zip(frame.rows, frame.lifts, strict=True)):
            quota += row[amounts[chosen, k] - lows[k]]
            lift += up[amounts[chosen, k] - lows[k]]
        reached = shift_rows(grid[chosen], quota, self.total - lift)
        alive = reached.any(axis=1)
        coords = np.zeros((int(alive.sum()), self.segments), dtype=np.int64)
        coords[:, frame.kept] = np.array(key, dtype=np.int64)
        coords[:, frame.cells] = amounts[chosen[alive]]
        return States(coords, reached[alive])

    def lexmin(self) -> dict[Cell, int]:
        """The plan read tier by tier from the best, each tier's cells as small as the rest allows."""
        if self.tables is None:
            raise AssertionError("no plan to rebuild")  # a bug, not input
        plan: dict[Cell, int] = {}
        rest = self.total
        above: list[int] = []
        ceiling = np.zeros(0, dtype=np.int64)  # the amounts the tier above chose: cells below stay under
        fixed: set[tuple[int, ...]] | None = None  # the kept amounts the candidates above allow
        for t, states in self.tables:
            cells_t = active(self.cells, t)
            others = [s for s in range(self.segments) if s not in above]
            ok = ((states.words[:, rest // 64] >> np.uint64(rest % 64)) & np.uint64(1)).astype(bool)
            coords = states.coords[ok]
            if fixed is not None:
                w = coords.copy()  # what the tier above saw of these states
                w[:, [s for s, top in self.top.items() if top == t]] = 0
                under = (w[:, above] <= ceiling).all(axis=1)
                keep = [i for i in np.flatnonzero(under).tolist() if tuple(w[i, others].tolist()) in fixed]
                coords = coords[keep]
            self.budget.spend(1 + len(states.coords) // 16 + len(coords))
            best = min(tuple(row) for row in coords[:, cells_t].tolist())
            chosen = coords[(coords[:, cells_t] == np.array(best, dtype=np.int64)).all(axis=1)]
            for s, a in zip(cells_t, best, strict=True):
                plan[s, t] = a
                rest -= self.rows[s, t][a - self.box.lo[s, t]]
            above, ceiling = cells_t, np.array(best, dtype=np.int64)
            fixed = {tuple(row) for row in chosen[:, [s for s in range(self.segments) if s not in above]].tolist()}
        if rest != 0:
            raise AssertionError("the rebuilt plan misses the total")  # a bug, not input
        return plan


def deviation(plan: dict[Cell, int], ideal: Sequence[Fraction]) -> Fraction:
    """max |a - ideal_t| over the plan's cells."""
    return max((abs(a - ideal[t]) for (_, t), a in plan.items()), default=Fraction(0))


def closest(
    cells: Cells,
    total: int,
    spread: int,
    max_amount: int | None,
    ideal: Sequence[Fraction],
    upper: Fraction,
    budget: Budget,
) -> Search:
    """The search at the smallest deviation from the ideal among the plans with this total and spread
    (upper: the deviation of one of them). As solve_tier_amounts does it: the smallest feasible
    integer K by galloping and halving, then the values |a - ideal_t| can take in (K - 1, K]."""

    own = own_bounds(cells, total)

    def run(delta: Fraction) -> Search | None:
        """The programme inside the boxes |a - ideal_t| <= delta, or None if it finds no plan."""
        box = bounds(cells, own, spread, max_amount, ideal, delta)
        if box is None:
            return None
        found = Search(cells, total, spread, box, budget)
        return found if found.tables is not None else None

    return smallest_deviation(run, math.ceil(upper), ideal)
