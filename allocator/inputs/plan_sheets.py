"""The weekly plan as a table: one product per row of a plan sheet (xlsx or CSV).

`plan_products` turns the rows into product mappings, as a product is written in YAML and checked
with the `Product` model. A row whose method, tag or remark the allocation file does not map is
listed as not allocated, with the reason, never dropped; every other problem of every row comes
back at once, by row and column. Nothing is written; no cell is used as a format string, and none
is escaped here (that happens where a message is rendered).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from allocator.inputs.conditions import did_you_mean, limited_suggestions
from allocator.inputs.csv_reading import more_rows
from allocator.inputs.models import MAX_QUANTITY, FieldSpec, Plans, Product
from allocator.inputs.plan_text import (
    blank,
    loose,
    remark_key,
    shown,
    split_area,
    trailing_groups,
)
from allocator.inputs.sheet_files import Kind, read_sheet
from allocator.inputs.sheets import SheetTable

MAX_PLAN_BYTES = 20_000_000  # a CSV plan sheet; a year of weekly plans is far below this
MAX_PLAN_ROWS = 10_000
MAX_AREA_ITEMS = 200  # segments chosen in one cell (the real week has at most 12)
MAX_PROBLEMS = 1000  # kept; the rest are counted

_WHOLE = re.compile(r"\+?0*([0-9]+)(?:\.0*)?")
_CODE_NUMBER = re.compile(r"([0-9]+)\.0+")  # a code typed into a number cell: 35300080.0
Ladders = Mapping[str, Sequence[str]]  # ladder -> its tiers, best first
# The product keys a row fills, and the column (role in PlanColumns) each comes from; an error in
# any other key comes from the method's settings.
_KEY_ROLE = dict(id="id", name="name", supply="supply", segments="values", multiplier="remark", eligible="tag")


class NotAllocated(NamedTuple):
    """A plan row the tool does not allocate, and why (one line)."""

    row: int
    code: str
    name: str
    method: str
    reason: str


class PlanProducts(NamedTuple):
    """What a plan sheet holds: product mappings, the rows not allocated, and every problem."""

    products: list[dict[str, Any]]
    not_allocated: list[NotAllocated]
    problems: list[str]


def read_plan_sheet(path: Path, display: str, sheet: str | None) -> SheetTable:
    """The cells of a plan sheet: .xlsx (its first sheet, or `sheet`) or a UTF-8 .csv file."""
    return read_sheet(path, display, sheet, Kind("plan sheet", "plans.sheet", "one row per plan", MAX_PLAN_BYTES))


@dataclass(frozen=True)
class _Names:
    """The names a segment field takes: its declared values and its aliases (plans.aliases)."""

    field: str
    exact: dict[str, str]  # alias or value -> value
    loose: dict[str, str]  # the same by loose form, where that form names one value only
    declared: frozenset[str] | None  # None: the field declares no values, any name is taken
    example: str  # shown in messages: the first declared value, else the field's name

    @classmethod
    def of(cls, name: str, aliases: Mapping[str, str], spec: FieldSpec | None) -> _Names:
        values = spec.values if spec is not None and spec.values else []
        exact = {**aliases, **{v: v for v in values}}  # a real value means itself, whatever the aliases say
        forms: dict[str, str | None] = {}
        for key, value in exact.items():  # a form that two values share names neither
            forms[loose(key)] = value if forms.get(loose(key), value) == value else None
        unique = {k: v for k, v in forms.items() if v is not None}
        return cls(name, exact, unique, frozenset(values) if values else None, values[0] if values else name)

    def resolve(self, text: str) -> tuple[str | None, str]:
        """(value, ''), or (None, why the name is none of this field's)."""
        value = self.exact.get(text) or self.loose.get(loose(text))
        if value is None and self.declared is not None:
            return None, f"'{shown(text)}' is not a {self.field}{did_you_mean(text, [*self.exact, *self.declared])}"
        if value is not None and self.declared is not None and value not in self.declared:
            alias = f"'{shown(text)}' stands for '{value}' (plans.aliases.{self.field})"
            return None, f"{alias}, which is not a {self.field}"
        return value or text, ""


@dataclass
class _Context:
    """A sheet being read: the plans, the lookups made from them, and the problems so far."""

    plans: Plans
    ladders: Ladders
    at: dict[str, int]  # role (a key of PlanColumns) -> column index
    names: dict[str, _Names]
    kinds: dict[str, list[str]]  # segment kind, by loose form -> fields
    remarks: dict[str, list[dict[str, Any]]]  # by remark_key form
    tags: dict[str, list[dict[str, Any]]]
    display: str
    problems: list[tuple[int, int, str]] = field(default_factory=list)  # row, order found, text
    count: int = 0  # problems found; past MAX_PROBLEMS they are only counted, so memory stays bounded
    first_row: dict[str, int] = field(default_factory=dict)  # code -> the row it is first on
    repeated: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # method problems: first row, rows

    def column(self, role: str) -> str:
        """The header of a role's column; the method's when the plan has none (it set the value)."""
        name: str | None = getattr(self.plans.columns, role)
        return name if name is not None else self.plans.columns.method

    def add(self, row: int, column: str | None, message: str) -> None:
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            where = f"row {row}" if column is None else f"row {row}, column {column}"
            self.problems.append((row, self.count, f"{self.display}: {where}: {message}"))

    def lines(self) -> list[str]:
        out = [text for _, _, text in sorted(self.problems)]
        left = self.count - len(self.problems)
        return [*out, f"{self.display}: ... and {left} more problems"] if left else out


@dataclass
class _Row:
    ctx: _Context
    number: int
    cells: list[str]
    bad: bool = False

    def cell(self, role: str) -> str:
        i = self.ctx.at.get(role)
        return blank(self.cells[i]) if i is not None and i < len(self.cells) else ""

    def problem(self, role: str, message: str) -> None:
        self.bad = True
        self.ctx.add(self.number, self.ctx.column(role), message)


def plan_products(
    plans: Plans, table: SheetTable, fields: Mapping[str, FieldSpec], *, ladders: Ladders
) -> PlanProducts:
    """Product mappings from a plan sheet's rows, the rows not allocated, and every problem by row.

    `fields`: the declared snapshot fields (chosen segments must be among their `values`);
    `ladders`: ladder -> tiers, best first (the grades must be tiers of every ladder)."""
    ctx = _context(plans, fields, ladders, table.display)
    products: list[dict[str, Any]] = []
    skipped: list[NotAllocated] = []
    with limited_suggestions():
        ctx.at = _columns(ctx, table)
        if len(table.rows) > MAX_PLAN_ROWS:
            ctx.add(1, None, f"{len(table.rows)} plans; a plan sheet may hold at most {MAX_PLAN_ROWS}")
        for number, cells in table.rows if not ctx.count else []:
            made = _plan_row(_Row(ctx, number, cells))
            if isinstance(made, NotAllocated):
                skipped.append(made)
            elif made is not None:
                products.append(made)
        for (column, message), (row, n) in ctx.repeated.items():
            ctx.add(row, column, message + more_rows(n - 1))
    return PlanProducts(products, skipped, ctx.lines())


def _context(plans: Plans, fields: Mapping[str, FieldSpec], ladders: Ladders, display: str) -> _Context:
    used = sorted({f for by in plans.segment_fields.values() for f in by} | set(plans.weights))
    names = {f: _Names.of(f, plans.aliases.get(f, {}), fields.get(f)) for f in used}
    kinds = {loose(kind): by for kind, by in plans.segment_fields.items()}
    remarks: dict[str, list[dict[str, Any]]] = {}
    for text, multipliers in plans.remarks.items():
        remarks.setdefault(remark_key(text), [m.model_dump(exclude_none=True) for m in multipliers])
    tags = {tag.strip(): [r.model_dump(exclude_none=True) for r in rules] for tag, rules in plans.tags.items()}
    return _Context(plans, ladders, {}, names, kinds, remarks, tags, display)


def _columns(ctx: _Context, table: SheetTable) -> dict[str, int]:
    """Role -> column index for each column plans.columns names; a problem for each one missing."""
    found: dict[str, list[int]] = {}
    for i, name in enumerate(table.header):
        found.setdefault(name.strip(), []).append(i)
    at: dict[str, int] = {}
    named = {n.strip() for n in ctx.plans.columns.model_dump().values() if n is not None}  # never suggested
    for role, name in ctx.plans.columns.model_dump().items():
        where = found.get(name.strip(), []) if name is not None else [-1]
        if not where:
            hint = did_you_mean(name, [h for h in found if h and h not in named])
            named.add(hint.removeprefix("; did you mean '").removesuffix("'?"))  # one suggestion per header
            ctx.add(1, None, f"missing column '{name}' (plans.columns.{role}){hint}")
        elif len(where) > 1:
            listed = ", ".join(str(i + 1) for i in where[:-1]) + f" and {where[-1] + 1}"
            ctx.add(1, None, f"column '{name}' appears {len(where)} times (columns {listed}); rename all but one")
        elif where[0] >= 0:
            at[role] = where[0]
    return at


def _plan_row(row: _Row) -> dict[str, Any] | NotAllocated | None:
    """The product of one row, its not-allocated entry, or None when the row has problems."""
    ctx, code, name, method = row.ctx, row.cell("id"), row.cell("name"), row.cell("method")
    code = number.group(1) if (number := _CODE_NUMBER.fullmatch(code)) else code
    if not code:
        row.problem("id", "empty; every plan needs a code")
    elif code in ctx.first_row:
        row.problem("id", f"duplicate code '{shown(code)}' (first in row {ctx.first_row[code]})")
    else:
        ctx.first_row[code] = row.number
    if not method:
        row.problem("method", f"empty; every plan needs a method, one of {', '.join(ctx.plans.methods)}")
        return None
    reasons = _unsupported(ctx, method, row.cell("tag"), remark_key(row.cell("remark")))
    if reasons:
        return NotAllocated(row.number, code, name, method, "; ".join(reasons))
    product = copy.deepcopy(ctx.plans.methods[method])  # the method's settings; the row's keys win
    product.update({"id": code, "name": name} if name else {"id": code})
    product["supply"] = _supply(row)
    for key, value in (("window", _window(row)), ("segments", _segments(row))):
        if value is not None:
            product[key] = value
    _extend(product, "multiplier", ctx.remarks.get(remark_key(row.cell("remark")), []))
    _extend(product, "eligible", ctx.tags.get(row.cell("tag"), []))
    return None if row.bad else _validated(row, product)


def _unsupported(ctx: _Context, method: str, tag: str, remark: str) -> list[str]:
    """Why a row is not allocated: a method, tag or remark the allocation file does not map. (No
    "did you mean": 按价位段自选投放 is close to 按档位投放 as text, but another method.)"""
    reasons = []
    if method not in ctx.plans.methods:
        reasons.append(f"method '{shown(method)}' is not in plans.methods")
    if tag and tag not in ctx.tags:
        reasons.append(f"tag '{shown(tag)}' is not in plans.tags")
    if remark and remark not in ctx.remarks:
        reasons.append(f"remark '{shown(remark)}' is not in plans.remarks (a remark may change amounts)")
    return reasons


def _extend(product: dict[str, Any], key: str, extra: list[dict[str, Any]]) -> None:
    """The method's own multiplier or eligible rules come first, the row's after them (copies: no
    two products share a mutable rule)."""
    had = product.get(key)
    if extra and had is None:
        product[key] = copy.deepcopy(extra)
    elif extra and isinstance(had, list):  # anything else is the method's mistake: validation says so
        product[key] = [*had, *copy.deepcopy(extra)]


def _supply(row: _Row) -> int | None:
    text = row.cell("supply")
    whole = _WHOLE.fullmatch(text)
    if not text:
        row.problem("supply", "empty; every plan needs a supply (cartons)")
    elif whole is None:
        row.problem("supply", f"'{shown(text)}' is not a whole number of cartons >= 0")
    elif len(whole.group(1)) > len(str(MAX_QUANTITY)) or int(whole.group(1)) > MAX_QUANTITY:
        row.problem("supply", f"'{shown(text)}' is more than the largest supply, {MAX_QUANTITY}")
    else:
        return int(whole.group(1))
    return None


def _window(row: _Row) -> dict[str, str] | None:
    """{highest, lowest} from the grade columns; both empty: no window (the whole ladder)."""
    grades = {"highest": row.cell("highest"), "lowest": row.cell("lowest")}
    if not any(grades.values()):
        return None
    ladders, tiers = row.ctx.ladders, sorted({t for ts in row.ctx.ladders.values() for t in ts})
    placed = True  # both grades are tiers of every ladder
    for role, other in (("highest", "lowest"), ("lowest", "highest")):
        text, off = grades[role], [lad for lad, ts in ladders.items() if grades[role] not in ts]
        placed = placed and not off
        if not text:
            given = f"{row.ctx.column(other)} is '{shown(grades[other])}'"
            row.problem(role, f"empty, but {given}; give both grades or neither")
        elif len(off) == len(ladders):
            row.problem(role, f"'{shown(text)}' is not a tier{did_you_mean(text, tiers)}")
        elif off:
            row.problem(role, f"'{shown(text)}' is not a tier of ladder '{off[0]}'")
    for lad, ts in ladders.items() if placed else {}.items():
        if list(ts).index(grades["highest"]) > list(ts).index(grades["lowest"]):
            where = f" on ladder '{lad}'" if len(ladders) > 1 else ""
            row.problem("highest", f"'{grades['highest']}' is below the lowest grade '{grades['lowest']}'{where}")
            break
    return grades


# --- segments -----------------------------------------------------------------------------------


def _segments(row: _Row) -> dict[str, Any] | None:
    """A row's `segments`; None for every client (全市), and for a problem (reported)."""
    ctx, kind, area = row.ctx, row.cell("segment_by"), row.cell("values")
    items, broken = split_area(area)
    everywhere = [i for i in items if i in ctx.plans.everywhere]
    or_everywhere = f" or write {ctx.plans.everywhere[0]}" if ctx.plans.everywhere else ""
    by = ctx.kinds.get(loose(kind))
    if broken or (everywhere and len(everywhere) < len(items)):
        row.problem("values", broken or f"'{everywhere[0]}' means every client; it cannot be listed with other values")
    elif everywhere or (not kind and not items):
        return None
    elif not kind:
        kinds = ", ".join(ctx.plans.segment_fields) or "none in plans.segment_fields"
        why = f"'{shown(area)}' chooses segments, but {ctx.column('segment_by')} names no segment kind ({kinds})"
        row.problem("values", f"{why}; name one there" + (f",{or_everywhere} here" if or_everywhere else ""))
    elif by is None:
        hint = did_you_mean(kind, ctx.plans.segment_fields)
        row.problem("segment_by", f"'{shown(kind)}' is not a segment kind of plans.segment_fields{hint}")
    elif not items or len(items) > MAX_AREA_ITEMS:
        what = "empty" if not items else f"{len(items)} values; at most {MAX_AREA_ITEMS} may be chosen"
        row.problem("values", f"{what}; choose the segments of {kind}{or_everywhere}")
    elif (chosen := _chosen(row, by, items)) is not None:
        weights = _weights(row, by, chosen)
        return {"by": list(by), "values": chosen} | ({} if weights is None else {"weights": weights})
    return None


def _chosen(row: _Row, by: list[str], items: list[str]) -> list[str | list[str]] | None:
    """One value per chosen segment (a list of one value per field when there are several fields)."""
    chosen: list[str | list[str]] = []
    seen: dict[tuple[str, ...], str] = {}  # segment -> the item that chose it
    for item in items:
        for segment in itertools.product(*_parts(row, by, item)):
            if segment in seen:
                same = f"'{shown(seen[segment])}' and '{shown(item)}' are the same segment"
                row.problem("values", f"'{shown(item)}' is chosen twice" if seen[segment] == item else same)
            elif len(seen) == MAX_AREA_ITEMS:
                row.problem("values", f"more than {MAX_AREA_ITEMS} segments; at most {MAX_AREA_ITEMS} may be chosen")
                return None
            else:
                seen[segment] = item
                chosen.append(segment[0] if len(by) == 1 else list(segment))
    return None if row.bad else chosen


def _parts(row: _Row, by: list[str], item: str) -> list[list[str]]:
    """For each field of `by`, the values an item names; a group may name several (丹江（城网、农网）)."""
    names = [row.ctx.names[f] for f in by]
    groups = [item] if len(by) == 1 else trailing_groups(item, len(by) - 1)
    if groups is None:
        like = shown(item) + "".join(f"（{n.example}）" for n in names[1:])
        row.problem("values", f"'{shown(item)}' needs its {' and '.join(by[1:])} in parentheses, like '{like}'")
        return [[]]
    parts = []
    for pos, (names_of, group) in enumerate(zip(names, groups, strict=True)):
        texts = split_area(group)[0] if pos else [group]  # the first value is one name, parentheses and all
        if not texts:
            row.problem("values", f"'{shown(item)}' has no {names_of.field} in its parentheses")
        resolved = [names_of.resolve(text) for text in texts]
        for _, why in resolved:
            if why:
                row.problem("values", why)
        parts.append([value for value, _ in resolved if value is not None])
    return parts


def _weights(row: _Row, by: list[str], chosen: list[str | list[str]]) -> dict[str, float] | None:
    """The shares of plans.weights for the chosen values of its field, when two or more are chosen."""
    split = []
    for pos, f in enumerate(by):
        values = list(dict.fromkeys(c if isinstance(c, str) else c[pos] for c in chosen))
        if f in row.ctx.plans.weights and len(values) >= 2:
            split.append((f, values))
    if len(split) > 1:
        fields = " and ".join(f for f, _ in split)
        row.problem("values", f"plans.weights has shares for {fields}; a plan is split by one field only")
    if len(split) != 1:
        return None
    f, values = split[0]
    shares = {row.ctx.names[f].exact.get(k, k): v for k, v in row.ctx.plans.weights[f].items()}
    for v in values:
        if v not in shares:
            row.problem("values", f"'{shown(v)}' has no share in plans.weights.{f}")
    return None if row.bad else {v: shares[v] for v in values}


def _validated(row: _Row, product: dict[str, Any]) -> dict[str, Any] | None:
    """The mapping if the Product model takes it; else each error at the column it came from.
    An error in the method's settings is the same on each of its rows: reported once, counted."""
    try:
        Product.model_validate(product)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]] or [""]
            grade = loc[0] == "window" and len(loc) > 1 and loc[1] in ("highest", "lowest")
            role = _KEY_ROLE.get(loc[0]) or (loc[1] if grade else "method")
            message = f"{'.'.join(loc)}: {error['msg']}"
            if error["type"] == "extra_forbidden" and len(loc) == 1:
                message = f"{loc[0]}: unknown product key{did_you_mean(loc[0], Product.model_fields)}"
            if role == "method":
                row.ctx.repeated.setdefault((row.ctx.column(role), message), [row.number, 0])[1] += 1
            else:
                row.problem(role, message)
        return None
    return product
