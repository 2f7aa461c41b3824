"""What people decide by hand: managers' assignments and locked quotas, read and checked.

An assignment hands `units` of a product's reserve, from one owner's budget, to one client; a
lock fixes one client's quota of one product. Both come from a sheet (CSV or xlsx), and locks
may also be a list in the scenario. This module checks what the files alone can tell, every
problem at once with its row and column: the columns, unknown owners, clients and products
(with did-you-mean), units that are not whole numbers, repeated rows, a lock and an assignment
on the same quota. What needs the tiers (budgets, caps, exclusions) is checked when the run
allocates (`pipeline/manual_checks.py`), again all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from allocator.errors import SheetError
from allocator.inputs.conditions import did_you_mean, limited_suggestions
from allocator.inputs.models import MAX_QUANTITY, LockSpec
from allocator.inputs.plan_text import blank, shown
from allocator.inputs.safe_yaml import Document
from allocator.inputs.sheet_files import Kind, read_sheet
from allocator.inputs.sheets import SheetTable

MAX_MANUAL_BYTES = 20_000_000
MAX_MANUAL_ROWS = 100_000  # a national week of assignments is far below this
MAX_PROBLEMS = 1000  # kept; the rest are counted
MAX_REASON = 2000
T = TypeVar("T")
_WHOLE = re.compile(r"\+?0*([0-9]+)(?:\.0*)?")  # 12, +12, 012 and 12.0 (a number cell of Excel)

ASSIGNMENT_COLUMNS = ("owner", "client_id", "product", "units", "reason")
LOCK_COLUMNS = ("client_id", "product", "quota", "reason", "by")
ASSIGNMENTS = Kind("assignments file", "assignments.sheet", "one row per assignment", MAX_MANUAL_BYTES)
LOCKS = Kind("locks file", "locks.sheet", "one row per lock", MAX_MANUAL_BYTES)


@dataclass(frozen=True)
class Assignment:
    """Units of a product's reserve that an owner hands to one client."""

    owner: str
    client_id: str
    product: str
    units: int
    reason: str
    at: Mapping[str, str] = field(compare=False, repr=False)  # column -> where it is, for messages
    row: int = field(default=0, compare=False)  # its row in the sheet


@dataclass(frozen=True)
class Lock:
    """One client's quota of one product, fixed by a person."""

    client_id: str
    product: str
    quota: int
    reason: str
    by: str
    at: Mapping[str, str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Manual:
    """The assignments and locks of a run, checked against the files; with the files' names."""

    assignments: tuple[Assignment, ...] = ()
    locks: tuple[Lock, ...] = ()
    assignments_file: str | None = None
    locks_file: str | None = None
    problems: tuple[str, ...] = ()  # what the rows alone show; reported with the run's own checks

    def touches(self, product: str) -> bool:
        """Whether any assignment or lock is for this product."""
        return any(a.product == product for a in self.assignments) or any(lk.product == product for lk in self.locks)


class Known:
    """What names may be used: each product's owners, and every client id of the snapshot (as a
    set only when an assignment or a lock asks: a million ids take a while to hash)."""

    def __init__(self, owners: Mapping[str, frozenset[str]], clients: Callable[[], Iterable[str]]) -> None:
        self.owners = owners  # product -> its owners (in the base or any variant)
        self._clients = clients

    @cached_property
    def clients(self) -> frozenset[str]:
        return frozenset(self._clients())


@dataclass
class _Problems:
    """Problems by (row, order found); past MAX_PROBLEMS only counted, so memory stays bounded."""

    display: str
    found: list[tuple[int, int, str]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, where: str, message: str) -> None:
        self.count += 1
        if len(self.found) < MAX_PROBLEMS:
            self.found.append((row, self.count, f"{where}: {message}"))

    def lines(self) -> tuple[str, ...]:
        found = [text for _, _, text in sorted(self.found)]
        left = self.count - len(self.found)
        return (*found, *([f"{self.display}: ... and {left} more problems"] if left else []))

    def raise_any(self) -> None:
        if self.count:
            raise SheetError("\n".join(self.lines()))


Read = tuple[tuple[T, ...], tuple[str, ...]]  # what was read, and the problems of its rows


def read_assignments(path: Path, display: str, known: Known) -> Read[Assignment]:
    """Every good assignment of a sheet, and every problem of its rows by row and column (a
    sheet that cannot be read, or lacks a column, raises SheetError)."""
    table = read_sheet(path, display, None, ASSIGNMENTS)
    problems = _Problems(table.display)
    rows = _rows(table, ASSIGNMENT_COLUMNS, problems)
    found: list[Assignment] = []
    first: dict[tuple[str, str, str], int] = {}
    with limited_suggestions():
        for number, cells, at in rows:
            owner, client, product, units, reason = (cells[c] for c in ASSIGNMENT_COLUMNS)
            bad = _check_product(product, known, at, number, problems)
            if not bad and owner not in known.owners[product]:
                problems.add(number, at["owner"], _owner_problem(owner, product, known))
                bad = True
            bad |= _check_client(client, known, at, number, problems)
            count = _whole(units, at["units"], number, problems, positive=True)
            bad |= count is None
            bad |= _check_reason(reason, at["reason"], number, problems)
            key = (owner, client, product)
            if key in first and not bad:
                msg = f"the same owner, client and product as row {first[key]}; give each one row"
                problems.add(number, at["client_id"], msg)
                bad = True
            first.setdefault(key, number)
            if not bad and count is not None:
                found.append(Assignment(owner, client, product, count, reason, at, number))
    return tuple(found), problems.lines()


def read_locks(path: Path, display: str, known: Known) -> Read[Lock]:
    """Every good lock of a sheet, and every problem of its rows (as read_assignments)."""
    table = read_sheet(path, display, None, LOCKS)
    problems = _Problems(table.display)
    rows = _rows(table, LOCK_COLUMNS, problems)
    made = []
    with limited_suggestions():
        for number, cells, at in rows:
            client, product, quota, reason, by = (cells[c] for c in LOCK_COLUMNS)
            bad = _check_product(product, known, at, number, problems)
            bad |= _check_client(client, known, at, number, problems)
            count = _whole(quota, at["quota"], number, problems, positive=False)
            bad |= _check_reason(reason, at["reason"], number, problems)
            if not by:
                problems.add(number, at["by"], "empty; say who locked this quota (it goes into the ledger)")
                bad = True
            if not bad and count is not None:
                made.append((number, Lock(client, product, count, reason, by, at)))
    return _no_repeats(made, problems), problems.lines()


def yaml_locks(doc: Document, given: Sequence[LockSpec], known: Known) -> Read[Lock]:
    """The locks listed in the scenario (`locks: [...]`), checked like a sheet's, by YAML line."""
    problems = _Problems(doc.file)
    made = []
    with limited_suggestions():
        for i, spec in enumerate(given):
            at = {key: _yaml_place(doc, ("locks", i, key)) for key in LOCK_COLUMNS}
            line = doc.mark(("locks", i))[0]
            bad = _check_product(spec.product, known, at, line, problems)
            bad |= _check_client(spec.client_id, known, at, line, problems)
            if not bad:
                lock = Lock(spec.client_id, spec.product, spec.quota, spec.reason, spec.by, at)
                made.append((line, lock))
    return _no_repeats(made, problems, what="line"), problems.lines()


def crossed(assignments: Iterable[Assignment], locks: Iterable[Lock]) -> list[str]:
    """An assignment cannot add to a locked quota: one problem per assignment that tries."""
    locked = {(lk.client_id, lk.product): lk for lk in locks}
    lines = []
    for a in assignments:
        lock = locked.get((a.client_id, a.product))
        if lock is not None:
            lines.append(
                f"{a.at['client_id']}: client {shown(a.client_id)}'s {shown(a.product)} quota is locked at "
                f"{lock.quota} ({lock.at['client_id']}); an assignment cannot add to a locked quota"
            )
    if len(lines) > MAX_PROBLEMS:
        lines = [*lines[:MAX_PROBLEMS], f"... and {len(lines) - MAX_PROBLEMS} more problems"]
    return lines


def _rows(
    table: SheetTable, columns: Sequence[str], problems: _Problems
) -> list[tuple[int, dict[str, str], dict[str, str]]]:
    """(row number, column -> cell, column -> where) for every row; a problem per missing column."""
    header = [h.strip() for h in table.header]
    index: dict[str, int] = {}
    for column in columns:
        if column not in header:
            hint = did_you_mean(column, [h for h in header if h not in columns])
            problems.add(1, f"{table.display}: row 1", f"missing column '{column}'{hint}")
        elif header.count(column) > 1:
            problems.add(1, f"{table.display}: row 1", f"column '{column}' appears {header.count(column)} times")
        else:
            index[column] = header.index(column)
    if len(table.rows) > MAX_MANUAL_ROWS:
        problems.add(1, f"{table.display}: row 1", f"{len(table.rows)} rows; at most {MAX_MANUAL_ROWS} are read")
    if problems.count:
        problems.raise_any()
    out = []
    for number, cells in table.rows:
        values = {c: blank(cells[i]) if i < len(cells) else "" for c, i in index.items()}
        at = {c: f"{table.display}: row {number}, column {table.header[i]}" for c, i in index.items()}
        out.append((number, values, at))
    return out


def _check_product(product: str, known: Known, at: Mapping[str, str], row: int, problems: _Problems) -> bool:
    if product in known.owners:
        return False
    if not product:
        problems.add(row, at["product"], "empty; name the product")
    else:
        products = list(known.owners)
        hint = did_you_mean(product, products) or "; products are " + ", ".join(products[:20])
        problems.add(row, at["product"], f"unknown product '{shown(product)}'{hint}")
    return True


def _check_client(client: str, known: Known, at: Mapping[str, str], row: int, problems: _Problems) -> bool:
    if client in known.clients:
        return False
    if not client:
        problems.add(row, at["client_id"], "empty; name the client by its id")
    else:
        hint = did_you_mean(client, _near(client, known.clients))
        problems.add(row, at["client_id"], f"unknown client '{shown(client)}' (not in the snapshot){hint}")
    return True


def _near(word: str, ids: Iterable[str]) -> list[str]:
    """did-you-mean's candidates (the whole snapshot is too many to compare): ids of the same
    length that differ from `word` in at most two places, or that are `word` with one character
    added or dropped."""
    found = []
    for c in ids:
        if len(c) == len(word):
            close = sum(a != b for a, b in zip(c, word, strict=True)) <= 2
        elif abs(len(c) - len(word)) == 1:
            short, long = sorted((c, word), key=len)
            close = any(long[:k] + long[k + 1 :] == short for k in range(len(long)))
        else:
            close = False
        if close:
            found.append(c)
            if len(found) >= 50:
                break
    return found


def _owner_problem(owner: str, product: str, known: Known) -> str:
    if not owner:
        return "empty; name the owner whose budget the units come from"
    holders = sorted(known.owners[product])
    everyone = sorted({o for owners in known.owners.values() for o in owners})
    if owner in everyone:
        has = f"its owners are {', '.join(holders)}" if holders else "it has no reserve"
        return f"{shown(owner)} holds no budget of {shown(product)}; {has}"
    hint = did_you_mean(owner, everyone)
    if not everyone:
        return f"unknown owner '{shown(owner)}': no product of the allocation file has a reserve with owners"
    return f"unknown owner '{shown(owner)}'{hint or '; owners are ' + ', '.join(everyone[:20])}"


def _whole(text: str, where: str, row: int, problems: _Problems, *, positive: bool) -> int | None:
    """A whole number of units (at least 1 when `positive`), or None with a problem."""
    match = _WHOLE.fullmatch(text)
    value = int(match.group(1)) if match else None
    if value is None or (positive and value == 0) or value > MAX_QUANTITY:
        what = "a positive whole number of units" if positive else "a whole number of units, 0 or more"
        text = f"'{shown(text)}' is not {what}" if text else f"empty; give {what}"
        problems.add(row, where, text + (f" (at most {MAX_QUANTITY})" if value else ""))
        return None
    return value


def _check_reason(reason: str, where: str, row: int, problems: _Problems) -> bool:
    if not reason:
        problems.add(row, where, "empty; give the reason (it goes into the ledger)")
        return True
    if len(reason) > MAX_REASON:
        problems.add(row, where, f"{len(reason)} characters; a reason may have at most {MAX_REASON}")
        return True
    return False


def _no_repeats(made: Sequence[tuple[int, Lock]], problems: _Problems, what: str = "row") -> tuple[Lock, ...]:
    """The locks, each (client, product) once; a second lock of the same quota is a problem."""
    first: dict[tuple[str, str], int] = {}
    locks = []
    for number, lock in made:
        key = (lock.client_id, lock.product)
        if key in first:
            problems.add(
                number, lock.at["client_id"], f"a second lock of the same quota (first at {what} {first[key]})"
            )
            continue
        first[key] = number
        locks.append(lock)
    return tuple(locks)


def _yaml_place(doc: Document, path: tuple[str | int, ...]) -> str:
    line, column = doc.mark(path)
    return f"{doc.file}:{line}:{column}: {doc.render_path(path)}"
