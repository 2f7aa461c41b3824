"""Decision-table verification of tiering rules, ladder by ladder: gaps, unreachable rules, impossible conditions.

Conditions compare fields with constants, so the inputs split into finitely many cells: for a
number, each constant, the declared min and max, and a value inside each interval between them;
for a category or tier, each value; null only where it can occur (an optional field, or a derived
value that divides or reads a nullable column). Cells no comparison tells apart are merged. One
fact per cell goes to the engine, placement rules scoped as in `tiering.engine_rules`: first-hit
runs find gaps and rules that never fire (COLLECT fires one action per matching rule, several times
slower); a COLLECT run over a condition's parts explains why it never holds.

Exact, but derived values are free variables with cells of their own: a gap that needs a derived
value in some range may never occur, and says "for some input values". Unreachable and impossible
verdicts stay sound. Each ladder's checks post at most `max_cells` facts; what does not fit is
reported as a "limited" finding.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

from allocator.engine.durable import Rule, all_matches, first_match
from allocator.engine.rule_sets import LADDER, engine_rules
from allocator.inputs.conditions import All, Any_, Compare, Cond, Not, evaluate, fields_of
from allocator.inputs.expressions import BinOp, Col, Expr, Neg
from allocator.inputs.models import Number
from allocator.inputs.tiering_rules import TieringRules

MAX_CELLS = 200_000
MAX_GUARDED = 20_000  # guarded rules compiled per ladder when the cells are too many to check at once
CELL_CHUNK = 5_000
MAX_GAP_EXAMPLES = 3
_TOO_MANY = (
    "too many combinations of values to check every client ({size} > {max}): gaps were not checked, and a rule "
    "counts as unreachable only when earlier rules reading no other fields always match first"
)
_SYMBOL = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}

FindingKind = Literal["gap", "unreachable", "impossible", "limited"]


@dataclass(frozen=True)
class Finding:
    """One warning about a tiering file; `rule_id` locates it (None: about the ladder as a whole)."""

    kind: FindingKind
    rule_id: str | None
    ladder: str
    message: str
    example: dict[str, object] | None


@dataclass(frozen=True)
class _Cell:
    """A representative value and, for numbers, the region it stands for (None: unbounded)."""

    value: object
    lo: Number | None = None
    lo_in: bool = False
    hi: Number | None = None
    hi_in: bool = False


@dataclass(frozen=True)
class _Axis:
    """A field's cells, grouped: cells that every comparison on the field tells apart in no way."""

    field: str
    kind: str
    cells: tuple[_Cell, ...]
    groups: tuple[tuple[int, ...], ...]
    derived: bool


@dataclass
class _Ladder:
    """One ladder under analysis: the facts its clients all carry, the facts its checks may still post."""

    name: str
    fixed: dict[str, object]
    left: int
    skipped: list[str] = field(default_factory=list)  # rules whose check did not fit
    guarded: int = MAX_GUARDED  # rules _winners may still compile

    def take(self, axes: Sequence[_Axis]) -> bool:
        fits = _size(axes) <= self.left
        self.left -= _size(axes) if fits else 0
        return fits


def analyse(rules: TieringRules, max_cells: int = MAX_CELLS) -> list[Finding]:
    """Gaps, unreachable placement rules and impossible conditions, ladder by ladder, in file order."""
    placement, adjust = engine_rules(rules)
    spec: dict[str, tuple[Cond, tuple[str, ...]]] = {r.id: (r.cond, r.ladders) for r in rules.placement}
    spec.update({r.id: (r.cond, r.ladders) for r in rules.adjust})
    holds: dict[str, list[bool | None]] = {rid: [] for rid in spec}  # per ladder: for some client?
    keyed: list[tuple[tuple[int, int, int], Finding]] = []
    for n, name in enumerate(rules.ladders):
        lad = _ladder(rules, name, max_cells)
        found, size = _placement(rules, lad, [r for r in placement if name in spec[r.id][1]], holds)
        keyed.extend(((n, 2 if f.kind == "gap" else 1, pos), f) for pos, f in found)
        for a in (a for a in adjust if name in spec[a.id][1]):
            holds[a.id].append(_holds(rules, lad, a)[0])
        notes = [_TOO_MANY.format(size=size, max=max_cells)] if size else []
        if lad.skipped:
            notes.append(f"not checked within the limit of {max_cells} facts: {', '.join(lad.skipped)}")
        if notes:
            keyed.append(((n, 0, 0), Finding("limited", None, name, "; ".join(notes), None)))
    for section, group in enumerate((placement, adjust)):
        for pos, rule in enumerate(group):
            cond, lads = spec[rule.id]
            if lads and all(v is False for v in holds[rule.id]):
                reason = _reason(rules, _ladder(rules, lads[0], max_cells), cond, len(lads) == 1)
                at = (list(rules.ladders).index(lads[0]), 1 + 2 * section, pos)
                keyed.append((at, Finding("impossible", rule.id, lads[0], reason, None)))
    return [f for _, f in sorted(keyed, key=lambda kf: kf[0])]


def _ladder(rules: TieringRules, name: str, max_cells: int) -> _Ladder:
    return _Ladder(name, {LADDER: name, **({rules.by: name} if rules.by is not None else {})}, max_cells)


def _placement(
    rules: TieringRules, lad: _Ladder, on: Sequence[Rule], holds: dict[str, list[bool | None]]
) -> tuple[list[tuple[int, Finding]], int]:
    """Gaps and unreachable rules of one ladder by position in the file; the cells, if too many to check.

    No first hit is a gap; a rule that holds for some client but is never first is unreachable.
    Without room for every cell, a rule is checked against the earlier rules reading only its fields.
    """
    position = {r.id: n for n, r in enumerate(rules.placement)}
    axes = _axes(rules, lad, [r.cond for r in on])
    full = lad.take(axes)
    gaps: set[tuple[int, ...]] = set()
    firsts: dict[tuple[int, ...], str] = {}  # the rule placing each cell
    for idx, hit in _first(lad, axes, on) if full else ():
        if hit is None:
            gaps.add(idx)
        else:
            firsts[idx] = hit
    fired = set(firsts.values())
    found: list[tuple[int, Finding]] = []
    for k, r in enumerate(on):
        verdict, example = (True, None) if r.id in fired else _holds(rules, lad, r)
        holds[r.id].append(verdict)
        if not verdict or r.id in fired:
            continue
        if full:
            won = _beaten(rules, lad, axes, r, firsts)
        else:
            won = _winners(rules, lad, r, [e for e in on[:k] if fields_of(e.cond) <= fields_of(r.cond)])
        if won is None and not full:
            lad.skipped.append(r.id)
        elif won is None or won:  # in full mode a rule that holds but never fired is unreachable
            msg = f"can never place a client on ladder {lad.name}: {_who(won)} first"
            found.append((position[r.id], Finding("unreachable", r.id, lad.name, msg, example)))
    if full:
        found.extend((len(rules.placement), f) for f in _gaps(rules, lad, axes, gaps))
    return found, 0 if full else _size(axes)


def _who(won: list[str] | None) -> str:
    if not won:  # not checked for want of room: unreachable all the same
        return "earlier rules always match"
    more = f" and {len(won) - 3} more" if len(won) > 3 else ""
    return f"{won[0]} always matches" if len(won) == 1 else f"earlier rules {', '.join(won[:3])}{more} always match"


def _holds(rules: TieringRules, lad: _Ladder, r: Rule) -> tuple[bool | None, dict[str, object] | None]:
    """Whether `r` holds for some client of the ladder (None: not checked), and such a client."""
    axes = _axes(rules, lad, [r.cond])
    if not lad.take(axes):
        lad.skipped.append(r.id)
        return None, None
    for idx, hit in _first(lad, axes, [r]):
        if hit is not None:
            return True, _example(lad, axes, [{i} for i in idx], fields_of(r.cond))
    return False, None


def _beaten(
    rules: TieringRules, lad: _Ladder, axes: Sequence[_Axis], r: Rule, firsts: dict[tuple[int, ...], str]
) -> list[str] | None:
    """With every cell checked: the rules placing the cells where `r` holds, in file order; None
    when not checked. One single-rule ruleset per rule, so many rules cost linear time."""
    if not lad.take(axes):
        return None
    won = {firsts[idx] for idx, hit in _first(lad, axes, [r]) if hit is not None and idx in firsts}
    return [p.id for p in rules.placement if p.id in won]


def _winners(rules: TieringRules, lad: _Ladder, r: Rule, earlier: Sequence[Rule]) -> list[str] | None:
    """The earlier rules that come first where `r` holds, in file order; [] when `r` itself comes
    first somewhere; None when not checked. Each earlier rule is guarded by `r` (`r and e`), so
    each check compiles as many rules as come before: `MAX_GUARDED` bounds them in all."""
    axes = _axes(rules, lad, [*(e.cond for e in earlier), r.cond])
    if not earlier:
        return []
    if len(earlier) > lad.guarded or not lad.take(axes):
        return None
    lad.guarded -= len(earlier)
    won: set[str] = set()
    for _, hit in _first(lad, axes, [*(Rule(e.id, All((r.cond, e.cond))) for e in earlier), r]):
        if hit == r.id:
            return []
        won.update([hit] if hit is not None else [])
    return [p.id for p in rules.placement if p.id in won]


def _gaps(rules: TieringRules, lad: _Ladder, axes: Sequence[_Axis], gaps: set[tuple[int, ...]]) -> list[Finding]:
    """Gap cells as at most MAX_GAP_EXAMPLES boxes, each grown from its first cell field by field."""
    left, found, default = set(gaps), list[Finding](), rules.default_tier[lad.name]
    while left and len(found) < MAX_GAP_EXAMPLES:
        box = [{i} for i in min(left)]
        for d, axis in enumerate(axes):
            grown = ([*box[:d], {v}, *box[d + 1 :]] for v in range(len(axis.groups)))
            box[d] = {v for v, trial in enumerate(grown) if all(c in gaps for c in itertools.product(*trial))}
        left.difference_update(itertools.product(*box))
        parts = [(axis, g) for axis, g in zip(axes, box, strict=True) if len(g) < len(axis.groups)]
        texts = [_describe(axis, g) for axis, g in parts]
        where = " and ".join(f"({t})" if " or " in t and len(texts) > 1 else t for t in texts)
        derived = ", ".join(axis.field for axis, _ in parts if axis.derived)
        msg = f"no placement rule covers clients where {where} on ladder {lad.name}"
        msg += f", for some input values ({derived}: derived)" if derived else ""
        msg += f"; they get the default tier {default}"
        if not texts:
            msg = f"no placement rule covers any client on ladder {lad.name}; they all get the default tier {default}"
        if left and len(found) == MAX_GAP_EXAMPLES - 1:
            msg += "; more clients on this ladder are not covered either"
        found.append(Finding("gap", None, lad.name, msg, _example(lad, axes, box, {a.field for a, _ in parts})))
    return found


def _reason(rules: TieringRules, lad: _Ladder, cond: Cond, one_ladder: bool) -> str:
    """Why a condition never holds on a ladder: the first part that is never true, or the first
    two parts that are never true together (a COLLECT run over the condition's own cells)."""
    parts = _conjuncts(cond)
    where = f" on ladder {lad.name}" if one_ladder and len(rules.ladders) > 1 else ""
    axes = _axes(rules, lad, [cond])
    seen: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    if len(parts) > 1 and lad.take(axes):
        checks = [Rule(str(i), p) for i, p in enumerate(parts)]
        for _, facts in _chunks(lad, axes):
            for hits in all_matches("analysis-parts", checks, facts):
                seen.update(hits)
                pairs.update(itertools.combinations(hits, 2))
        idx = [str(i) for i in range(len(parts))]
        never = [i for i in idx if i not in seen]
        clash = [(a, b) for a, b in itertools.combinations(idx, 2) if (a, b) not in pairs]
        if never:
            return f"its condition can never hold{where}: {_show(parts[int(never[0])], True)} is never true"
        if clash:
            a, b = (_show(parts[int(i)], True) for i in clash[0])
            return f"its condition can never hold{where}: {a} and {b} are never both true"
    return f"its condition can never hold{where}: {_show(cond, True)} is never true"


def _conjuncts(cond: Cond) -> list[Cond]:
    return [p for c in cond.items for p in _conjuncts(c)] if isinstance(cond, All) else [cond]


def _chunks(lad: _Ladder, axes: Sequence[_Axis]) -> Iterator[tuple[list[tuple[int, ...]], list[dict[str, object]]]]:
    """The cells of `axes` in chunks, with one fact per cell: the ladder's own values and a representative."""
    pick = [[a.cells[g[0]].value for g in a.groups] for a in axes]  # one value per group of cells
    cells = itertools.product(*(range(len(p)) for p in pick))
    while chunk := list(itertools.islice(cells, CELL_CHUNK)):
        yield chunk, [{**lad.fixed, **{a.field: p[i] for a, p, i in zip(axes, pick, c, strict=True)}} for c in chunk]


def _first(lad: _Ladder, axes: Sequence[_Axis], rules: Sequence[Rule]) -> Iterator[tuple[tuple[int, ...], str | None]]:
    """Every cell of `axes` (with the ladder's own facts) through a first-hit ruleset, in chunks."""
    for chunk, facts in _chunks(lad, axes):
        yield from zip(chunk, first_match("analysis", rules, facts), strict=True)


def _size(axes: Sequence[_Axis]) -> int:
    return math.prod(len(a.groups) for a in axes)


def _axes(rules: TieringRules, lad: _Ladder, conds: Sequence[Cond]) -> list[_Axis]:
    """One axis per field the conditions read (the ladder's own fields are fixed), in file order."""
    atoms: dict[str, list[Compare]] = {}
    for atom in (a for cond in conds for a in _atoms(cond)):
        atoms.setdefault(atom.field, []).append(atom)
    return [_axis(rules, name, atoms[name]) for name in rules.names if name in atoms and name not in lad.fixed]


def _atoms(cond: Cond) -> Iterator[Compare]:
    if isinstance(cond, Compare):
        yield cond
    else:
        for item in (cond.item,) if isinstance(cond, Not) else cond.items:
            yield from _atoms(item)


def _axis(rules: TieringRules, name: str, atoms: list[Compare]) -> _Axis:
    """The cells of one field, grouped by the truth of every comparison on it (the design's truth vectors)."""
    kind, spec = rules.names[name].kind, rules.fields.get(name)
    consts = {v for a in atoms if a.op != "is_null" for v in (a.value if isinstance(a.value, tuple) else (a.value,))}
    null = [_Cell(None)] if (spec.optional if spec is not None else _nullable(rules, rules.derive[name])) else []
    cells: tuple[_Cell, ...]
    if kind in ("category", "tier"):
        cells = (*null, *(_Cell(v) for v in rules.names[name].values))
    elif kind == "text":
        texts = sorted(str(c) for c in consts)
        other = "other" + "_" * next(n for n in itertools.count() if "other" + "_" * n not in texts)
        cells = (*null, *(_Cell(v) for v in texts), _Cell(other))
    else:
        lo, hi = (spec.min, spec.max) if spec is not None else (None, None)
        inside = {
            c for c in consts if isinstance(c, int | float) and (lo is None or lo <= c) and (hi is None or c <= hi)
        }
        points = sorted(inside | {b for b in (lo, hi) if b is not None})
        cells = (*null, *_number_cells(points, lo is None, hi is None, kind == "integer"))
    groups: dict[tuple[bool, ...], list[int]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(tuple(evaluate(a, {name: cell.value}) for a in atoms), []).append(i)
    return _Axis(name, kind, cells, tuple(tuple(g) for g in groups.values()), name in rules.derive)


def _number_cells(points: list[Number], below: bool, above: bool, whole: bool) -> Iterator[_Cell]:
    """Cells in ascending order: each point and a value strictly inside each gap between points."""
    if not points:
        yield _Cell(0)
        return
    if below:
        yield _Cell(math.ceil(points[0]) - 1 if whole else _tidy(points[0] - 1), None, False, points[0], False)
    for n, a in enumerate(points):
        if not whole or float(a).is_integer():
            yield _Cell(int(a) if whole else a, a, True, a, True)
        if n + 1 == len(points):
            break
        b = points[n + 1]
        inside = math.floor(a) + 1 if whole else _tidy((a + b) / 2)
        if a < inside < b:
            yield _Cell(inside, a, False, b, False)
    if above:
        yield _Cell(math.floor(points[-1]) + 1 if whole else _tidy(points[-1] + 1), points[-1], False, None, False)


def _tidy(x: Number) -> Number:
    return int(x) if isinstance(x, float) and x.is_integer() and abs(x) < 2**53 else x


def _nullable(rules: TieringRules, expr: Expr) -> bool:
    """Whether a derived value can be null: it divides, or reads a column that can be null."""
    if isinstance(expr, Col):
        spec = rules.fields.get(expr.name)
        return spec.optional if spec is not None else _nullable(rules, rules.derive[expr.name])
    subs = (expr.left, expr.right) if isinstance(expr, BinOp) else (expr.operand,) if isinstance(expr, Neg) else ()
    return (isinstance(expr, BinOp) and expr.op == "/") or any(_nullable(rules, e) for e in subs)


def _example(lad: _Ladder, axes: Sequence[_Axis], box: Sequence[set[int]], fields: set[str]) -> dict[str, object]:
    """A client in `box`: the ladder's field and the named fields, preferring a value inside a range."""
    out = {k: v for k, v in lad.fixed.items() if k != LADDER}
    for axis, groups in zip(axes, box, strict=True):
        if axis.field in fields:
            order = sorted(i for g in groups for i in axis.groups[g])
            inner = [i for i in order if None not in (axis.cells[i].lo, axis.cells[i].hi) and not axis.cells[i].lo_in]
            out[axis.field] = axis.cells[(inner or order)[0]].value
    return out


def _describe(axis: _Axis, groups: set[int]) -> str:
    """The values of some cells of one field, in words: 'volume < 80', 'market_group in [x, y]'."""
    f, cells = axis.field, axis.cells
    chosen = {i for g in groups for i in axis.groups[g]}
    parts = [f"{f} is null" for i in chosen if cells[i].value is None]
    values = [i for i in range(len(cells)) if cells[i].value is not None]
    if axis.kind not in ("number", "integer"):
        picked = [str(cells[i].value) for i in values if i in chosen]
        if axis.kind == "text" and values[-1] in chosen:  # the last text cell stands for every other text
            rest = [str(cells[i].value) for i in values if i not in chosen]
            parts.append(f"{f} not in [{', '.join(rest)}]" if rest else f"{f} is not null")
        elif picked:
            parts.append(f"{f} = {picked[0]}" if len(picked) == 1 else f"{f} in [{', '.join(picked)}]")
        return " or ".join(parts)
    runs = [list(g) for k, g in itertools.groupby(values, key=lambda i: i in chosen) if k]
    holes = [_num(cells[i].value) for i in values if i not in chosen]
    if len(runs) > 1 and all(cells[i].lo == cells[i].hi for i in values if i not in chosen):
        runs = []  # every value but a few: 'volume not in [30, 40]'
        parts.append(f"{f} != {holes[0]}" if len(holes) == 1 else f"{f} not in [{', '.join(holes)}]")
    for run in runs:
        a, b = cells[run[0]], cells[run[-1]]
        low = "" if run[0] == values[0] else f"{_num(a.lo)} {'<=' if a.lo_in else '<'} "
        high = "" if run[-1] == values[-1] else f" {'<=' if b.hi_in else '<'} {_num(b.hi)}"
        if a.lo == b.hi and a.lo_in:
            parts.append(f"{f} = {_num(a.lo)}")
        elif low and not high:
            parts.append(f"{f} {'>=' if a.lo_in else '>'} {_num(a.lo)}")
        else:
            parts.append(f"{low}{f}{high}" if low or high else f"{f} is not null")
    return " or ".join(parts)


def _num(x: object) -> str:
    return str(_tidy(x)) if isinstance(x, int | float) else str(x)


def _show(cond: Cond, nested: bool = False) -> str:
    """A condition in words, the way the rule file says it: 'volume >= 600 and market = city'."""
    if isinstance(cond, Not):
        return f"not ({_show(cond.item)})"
    if isinstance(cond, All | Any_):
        text = (" and " if isinstance(cond, All) else " or ").join(_show(c, True) for c in cond.items)
        return f"({text})" if nested and len(cond.items) > 1 else text
    v = cond.value
    if cond.op == "is_null":
        return f"{cond.field} is {'' if v else 'not '}null"
    if cond.op == "between" and isinstance(v, tuple):
        return f"{cond.field} between {_num(v[0])} and {_num(v[1])}"
    if isinstance(v, tuple):
        return f"{cond.field} {cond.op.replace('_', ' ')} [{', '.join(_num(x) for x in v)}]"
    return f"{cond.field} {_SYMBOL[cond.op]} {_num(v)}"


__all__ = ["Finding", "analyse"]
