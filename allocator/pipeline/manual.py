"""Quotas people set by hand, applied to one product: the owners' budgets, assignments, locks.

- **Budgets.** A reserve's owners share it in whole units that add up exactly (largest
  remainder; equal remainders go to the owner named first). With `by_segment`, the reserve is
  split between the segment pools as the supply is, and each pool's part is its owner's budget.
- **Assignments** hand budget units to named clients. They count against the client's cap: the
  policy gives an assigned client at most its cap minus what it was assigned, so nobody gets
  more than its order or max_per_client. Budget units nobody assigned are kept (reported per
  owner) or, with `unassigned: release`, given to the policy with the rest of the supply.
- **Locks** fix a client's quota. They count against the supply of the client's pool; the
  policy shares the rest among the other clients, exactly as if the locked clients were not
  there.

Everything the tiers decide is checked here, every problem at once: an assignment over the
owner's budget or the client's cap, to a client the product excludes, or outside the owner's
segment; a lock above the client's cap; locks larger than the supply.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import polars as pl

from allocator.apportionment.methods import apportion
from allocator.errors import ScenarioError
from allocator.inputs.manual import Assignment, Lock, Manual
from allocator.inputs.models import Reserve
from allocator.inputs.plan_text import shown
from allocator.pipeline.segments import Pool
from allocator.pipeline.tiered import Caps

RULES, ASSIGNMENT, LOCK = "rules", "assignment", "lock"  # quotas.csv `source`


class ManualProblems(ScenarioError):
    """Assignments or locks the tiers rule out; one line per problem."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)


@dataclass(frozen=True)
class Budget:
    """One owner's part of a product's reserve (in one segment pool, with `by_segment`)."""

    owner: str
    segment: str | None
    units: int
    assigned: int
    clients: int  # clients it was assigned to
    released: bool  # `unassigned: release`: what is left went to the policy

    @property
    def left(self) -> int:
        return self.units - self.assigned


@dataclass(frozen=True)
class Hand:
    """One product's hand-set quotas, per client (in tiers order), and its budgets."""

    assigned: npt.NDArray[np.int64]
    locked: npt.NDArray[np.bool_]
    lock_quota: npt.NDArray[np.int64]
    budgets: tuple[Budget, ...]

    @property
    def released(self) -> int:
        return sum(b.left for b in self.budgets if b.released)

    @property
    def kept(self) -> int:
        return sum(b.left for b in self.budgets if not b.released)

    def caps(self, caps: Caps) -> Caps:
        """The caps the policy works with: a locked client takes nothing from it; an assigned one
        at most its cap minus what it was assigned."""
        cap = np.where(self.locked, 0, np.where(caps.capped, caps.cap - self.assigned, caps.cap))
        return Caps(caps.ordered, caps.has_order, caps.excluded, cap, caps.capped | self.locked)

    def quotas(self, rules: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Each client's quota: the policy's units plus its assignment, or its lock."""
        return np.where(self.locked, self.lock_quota, rules + self.assigned)

    def sources(self, rules: npt.NDArray[np.int64]) -> pl.Series:
        """quotas.csv `source`: rules, assignment, rules+assignment or lock."""
        names = np.array([RULES, ASSIGNMENT, f"{RULES}+{ASSIGNMENT}", LOCK], dtype=object)
        code = np.where(self.assigned > 0, np.where(rules > 0, 2, 1), 0)
        return pl.Series("source", names[np.where(self.locked, 3, code)], dtype=pl.String)


def budgets_of(reserve: Reserve | None, units: int, pools: Sequence[Pool] | None) -> list[tuple[str, str | None, int]]:
    """(owner, segment, units) of every budget of a reserve of `units`; `pools` is the reserve
    split between the segment pools (by_segment only)."""
    if reserve is None:
        return []
    if reserve.by_segment is not None:
        assert pools is not None
        return [(reserve.by_segment.get(p.name, ""), p.name, p.supply) for p in pools]
    if reserve.owners is not None:
        shares = [Fraction(str(v)) for v in reserve.owners.values()]
        split = apportion(shares, units, method="hamilton")
        return list(zip(reserve.owners, [None] * len(split), split, strict=True))
    return [(reserve.owner or "", None, units)]


def hand_quotas(
    product: str,
    ctx_ids: pl.Series,
    caps: Caps,
    manual: Manual,
    budgets: list[tuple[str, str | None, int]],
    release: bool,
    pools: Sequence[Pool] | None,
) -> Hand:
    """The product's assignments and locks as per-client arrays; ManualProblems when the tiers
    rule one out. `pools` gives each client's segment pool (by_segment budgets)."""
    assignments = [a for a in manual.assignments if a.product == product]
    locks = [lk for lk in manual.locks if lk.product == product]
    n = len(ctx_ids)
    position = _positions(ctx_ids, [a.client_id for a in assignments] + [lk.client_id for lk in locks])
    problems: list[str] = []
    pool_of = _pool_names(pools, n)
    assigned = np.zeros(n, dtype=np.int64)
    by_budget: dict[tuple[str, str | None], list[Assignment]] = {}
    for a in assignments:
        i = position[a.client_id]
        segment = pool_of[i] if pools is not None else None
        if pools is not None and (a.owner, segment) not in {(o, s) for o, s, _ in budgets}:
            theirs = ", ".join(s or "" for o, s, _ in budgets if o == a.owner)
            problems.append(
                f"{a.at['client_id']}: client {shown(a.client_id)} is in {shown(segment or 'no pool')}, and "
                f"{shown(a.owner)}'s budget of {shown(product)} is for {shown(theirs)}"
            )
            continue
        why = _shut(caps, i)
        if why:
            problems.append(
                f"{a.at['client_id']}: client {shown(a.client_id)} {why}; an assignment cannot give it units"
            )
            continue
        assigned[i] += a.units
        by_budget.setdefault((a.owner, segment), []).append(a)
    problems += _over_cap(product, assignments, position, assigned, caps)
    made = []
    for owner, segment, units in budgets:
        given = by_budget.get((owner, segment), [])
        total = sum(a.units for a in given)
        if total > units:
            where = given[-1].at["units"]
            rows = ", ".join(str(a.row) for a in given)
            pool = f" in {shown(segment)}" if segment is not None else ""
            problems.append(
                f"{where}: {shown(owner)}: {total} units of {shown(product)} assigned{pool}, budget {units} (rows {rows})"
            )
        clients = len({a.client_id for a in given})
        made.append(Budget(owner, segment, units, min(total, units), clients, release))
    locked, lock_quota = np.zeros(n, dtype=bool), np.zeros(n, dtype=np.int64)
    for lk in locks:
        i = position[lk.client_id]
        problem = _lock_problem(lk, caps, i)
        if problem:
            problems.append(problem)
        locked[i], lock_quota[i] = True, lk.quota
    if problems:
        raise ManualProblems(problems)
    return Hand(assigned, locked, lock_quota, tuple(made))


def check_locks_fit(product: str, hand: Hand, pools: Sequence[Pool], manual: Manual) -> None:
    """Locks count against the supply of their pool: more than it holds is a problem, per pool."""
    problems = []
    for pool in pools:
        members = pool.members & hand.locked
        total = sum(hand.lock_quota[members].tolist())
        if total > pool.supply:
            where = next((lk.at["quota"] for lk in manual.locks if lk.product == product), manual.locks_file or "")
            inside = f" in pool {shown(pool.name)}" if len(pools) > 1 else ""
            problems.append(
                f"{where}: the locks of {shown(product)}{inside} hold {total} units, more than the {pool.supply} "
                "the policy has to share (the supply less the reserve)"
            )
    if problems:
        raise ManualProblems(problems)


def _positions(ids: pl.Series, wanted: list[str]) -> dict[str, int]:
    """Each wanted client id's row in the run's clients (every one is there: the reader checked)."""
    if not wanted:
        return {}
    frame = pl.DataFrame({"client_id": ids}).with_row_index("_row")
    found = frame.filter(pl.col("client_id").is_in(list(set(wanted))))
    return dict(zip(found["client_id"].to_list(), found["_row"].to_list(), strict=True))


def _pool_names(pools: Sequence[Pool] | None, n: int) -> list[str | None]:
    if pools is None:
        return []
    names: list[str | None] = [None] * n
    for pool in pools:
        for i in np.flatnonzero(pool.members).tolist():
            names[i] = pool.name
    return names


def _shut(caps: Caps, i: int) -> str:
    """Why the product gives client i nothing at all ('' when it may receive)."""
    rule = caps.excluded[i]
    if rule is not None:
        if rule == "not in segments":
            return "is not in the product's segments"
        return f"is excluded by eligibility rule '{shown(rule)}'"
    if caps.capped[i] and caps.cap[i] == 0 and not (caps.has_order[i] and caps.ordered[i] == 0):
        return "is in a tier outside the product's window"
    return ""


def _cap_text(caps: Caps, i: int) -> str:
    if caps.has_order[i] and caps.cap[i] == caps.ordered[i]:
        return f"its cap {caps.cap[i]} (its order)"
    return f"its cap {caps.cap[i]} (max_per_client)"


def _over_cap(
    product: str,
    assignments: list[Assignment],
    position: Mapping[str, int],
    assigned: npt.NDArray[np.int64],
    caps: Caps,
) -> list[str]:
    """One problem per client whose assignments pass its cap, at its last assignment's row."""
    last: dict[int, Assignment] = {}
    for a in assignments:
        last[position[a.client_id]] = a
    lines = []
    for i, a in last.items():
        if caps.capped[i] and assigned[i] > caps.cap[i] and not _shut(caps, i):
            lines.append(
                f"{a.at['units']}: client {shown(a.client_id)} would get {_units(int(assigned[i]))} of {shown(product)} "
                f"by assignment, above {_cap_text(caps, i)}"
            )
    return lines


def _lock_problem(lock: Lock, caps: Caps, i: int) -> str:
    why = _shut(caps, i)
    if why and lock.quota > 0:
        return f"{lock.at['quota']}: client {shown(lock.client_id)} {why}; a lock cannot give it {_units(lock.quota)}"
    if not why and caps.capped[i] and lock.quota > caps.cap[i]:
        return f"{lock.at['quota']}: a lock of {_units(lock.quota)} is above {_cap_text(caps, i)}"
    return ""


def _units(n: int) -> str:
    return "1 unit" if n == 1 else f"{n} units"
