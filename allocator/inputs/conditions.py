"""`when:` mappings parsed into a typed condition tree, with every problem located.

A condition reads like YAML data: `field: value` is equality, `field: {op: value}` compares,
several keys must all hold, and `all`/`any`/`not` combine. A comparison with a missing value
(null, or a derived value that divided by zero) is false whatever the operator; only `is_null`
looks at nulls. Fields are type-checked here, when the rule file is read, not when row 40,000 is.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal

from allocator.inputs.safe_yaml import PathT

OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "between", "is_null")
ORDERED_OPS = {"lt", "lte", "gt", "gte", "between"}
COMBINATORS = ("all", "any", "not")

Scalar = int | float | str
Kind = Literal["number", "integer", "category", "tier", "text", "any"]


@dataclass(frozen=True)
class FieldKind:
    """What a condition may compare a name with."""

    kind: Kind
    values: tuple[str, ...] = ()  # allowed values of a category or tier field


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Scalar | tuple[Scalar, ...] | bool


@dataclass(frozen=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Cond, ...]


@dataclass(frozen=True)
class Not:
    item: Cond


Cond = Compare | All | Any_ | Not
Issue = tuple[PathT, str, bool]  # path, message, located at the key rather than the value


# difflib compares every pair of characters in the worst case, and a hostile file may ask for
# tens of thousands of suggestions: names longer than this are never matched, a call looks at no
# more candidates than this, and a whole load (see limited_suggestions) compares at most so many.
SUGGEST_MAX_LENGTH = 64
SUGGEST_MAX_CHOICES = 1000
SUGGEST_BUDGET = 10_000  # word-candidate comparisons per file load: a few seconds at worst

_budget: ContextVar[list[int] | None] = ContextVar("suggestion_budget", default=None)


@contextmanager
def limited_suggestions() -> Iterator[None]:
    """Within this block, 'did you mean' makes at most SUGGEST_BUDGET comparisons, then stays quiet."""
    if _budget.get() is not None:  # nested loads share the outer budget
        yield
        return
    token = _budget.set([SUGGEST_BUDGET])
    try:
        yield
    finally:
        _budget.reset(token)


def did_you_mean(word: str, choices: Any) -> str:
    """'; did you mean 'x'?' when a close match exists, else ''."""
    if len(word) > SUGGEST_MAX_LENGTH:
        return ""
    left = _budget.get()
    if left is not None and left[0] <= 0:
        return ""
    first = [str(c) for c in islice(choices, SUGGEST_MAX_CHOICES + 1)]
    if len(first) > SUGGEST_MAX_CHOICES:
        return ""
    candidates = list(dict.fromkeys(c for c in first if len(c) <= SUGGEST_MAX_LENGTH))
    if left is not None:
        if left[0] < len(candidates):
            left[0] = 0  # spent: later calls return at once
            return ""
        left[0] -= len(candidates)
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def parse_condition(raw: Any, names: Mapping[str, FieldKind], path: PathT) -> tuple[Cond, list[Issue]]:
    """Parse a `when:` value; return the tree and every problem found (empty when valid)."""
    issues: list[Issue] = []
    cond = _parse_mapping(raw, names, path, issues)
    return cond, issues


def _parse_mapping(raw: Any, names: Mapping[str, FieldKind], path: PathT, issues: list[Issue]) -> Cond:
    if not isinstance(raw, dict):
        issues.append((path, f"a condition must be a mapping, got {show_value(raw)}", False))
        return All(())
    if not raw:
        issues.append((path, "an empty condition; write the keys that must hold", False))
    parts: list[Cond] = []
    for key, value in raw.items():
        sub = (*path, key)
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                issues.append((sub, f"'{key}' takes a non-empty list of conditions", False))
                continue
            items = tuple(_parse_mapping(v, names, (*sub, i), issues) for i, v in enumerate(value))
            parts.append(All(items) if key == "all" else Any_(items))
        elif key == "not":
            parts.append(Not(_parse_mapping(value, names, sub, issues)))
        elif key in names:
            parts.extend(_parse_field(key, value, names[key], sub, issues))
        else:
            hint = did_you_mean(key, [*names, *COMBINATORS])
            issues.append((sub, f"unknown field '{key}'{hint}", True))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _parse_field(name: str, value: Any, kind: FieldKind, path: PathT, issues: list[Issue]) -> Iterator[Cond]:
    if not isinstance(value, dict):
        checked = _operand(value, kind, "eq", path, issues)
        if checked is not None:
            yield Compare(name, "eq", checked)
        return
    if not value:
        issues.append((path, "no operator given; expected one of " + ", ".join(OPERATORS), False))
    for op, operand in value.items():
        sub = (*path, op)
        if op not in OPERATORS:
            hint = did_you_mean(op, OPERATORS) or "; expected one of " + ", ".join(OPERATORS)
            issues.append((sub, f"unknown operator '{op}'{hint}", True))
            continue
        checked = _operand(operand, kind, op, sub, issues)
        if checked is not None:
            yield Compare(name, op, checked)


def _operand(
    value: Any, kind: FieldKind, op: str, path: PathT, issues: list[Issue]
) -> Scalar | tuple[Scalar, ...] | bool | None:
    if op == "is_null":
        if not isinstance(value, bool):
            issues.append((path, f"is_null takes true or false, got {show_value(value)}", False))
            return None
        return value
    if kind.kind == "any":  # the field's own declaration is broken and reported there
        return None
    if op in ORDERED_OPS and kind.kind not in ("number", "integer"):
        issues.append((path, f"'{op}' compares numbers, but this field is a {kind.kind}", True))
        return None
    if op in ("in", "not_in", "between"):
        if not isinstance(value, list) or not value:
            issues.append((path, f"'{op}' takes a non-empty list, got {show_value(value)}", False))
            return None
        if op == "between" and len(value) != 2:
            issues.append((path, f"'between' takes [low, high], got {len(value)} values", False))
            return None
        items = [_scalar(v, kind, (*path, i), issues) for i, v in enumerate(value)]
        if any(v is None for v in items):
            return None
        out = tuple(v for v in items if v is not None)
        if op == "between" and out[0] > out[1]:  # type: ignore[operator]
            issues.append((path, f"'between' needs low <= high, got [{out[0]}, {out[1]}]", False))
            return None
        return out
    return _scalar(value, kind, path, issues)


def _scalar(value: Any, kind: FieldKind, path: PathT, issues: list[Issue]) -> Scalar | None:
    if kind.kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            issues.append((path, f"expected a number, got {show_value(value)}", False))
            return None
        if isinstance(value, float) and not math.isfinite(value):
            issues.append((path, f"expected a finite number, got {value}", False))
            return None
        return value
    if not isinstance(value, str):
        issues.append((path, f"expected text (a {kind.kind} value), got {show_value(value)}", False))
        return None
    if kind.values and value not in kind.values:
        what = "tier" if kind.kind == "tier" else "value"
        hint = did_you_mean(value, kind.values) or "; expected one of " + ", ".join(kind.values)
        issues.append((path, f"unknown {what} '{value}'{hint}", False))
        return None
    return value


def show_value(value: Any) -> str:
    """A value as a message shows it: 'text', 5, a list, nothing (null)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, str):
        return f"'{value}'"
    return repr(value)


def fields_of(cond: Cond) -> set[str]:
    """Every field name a condition reads."""
    if isinstance(cond, Compare):
        return {cond.field}
    if isinstance(cond, Not):
        return fields_of(cond.item)
    return set().union(*(fields_of(c) for c in cond.items)) if cond.items else set()


def equals_value(cond: Cond, field: str) -> str | None:
    """The value `field` must equal for `cond` to hold, when the condition pins it at top level."""
    parts = cond.items if isinstance(cond, All) else (cond,)
    for part in parts:
        if isinstance(part, Compare) and part.field == field and part.op == "eq":
            return str(part.value)
    return None


def evaluate(cond: Cond, row: Mapping[str, Any]) -> bool:
    """Reference evaluation of a condition on one row (None = missing): for tests and explain."""
    if isinstance(cond, All):
        return all(evaluate(c, row) for c in cond.items)
    if isinstance(cond, Any_):
        return any(evaluate(c, row) for c in cond.items)
    if isinstance(cond, Not):
        return not evaluate(cond.item, row)
    v = row.get(cond.field)
    if cond.op == "is_null":
        return (v is None) == cond.value
    if v is None:
        return False
    c = cond.value
    match cond.op:
        case "eq":
            return bool(v == c)
        case "ne":
            return bool(v != c)
        case "lt":
            return bool(v < c)
        case "lte":
            return bool(v <= c)
        case "gt":
            return bool(v > c)
        case "gte":
            return bool(v >= c)
        case "in":
            return v in c  # type: ignore[operator]
        case "not_in":
            return v not in c  # type: ignore[operator]
        case "between":
            assert isinstance(c, tuple)
            return bool(c[0] <= v <= c[1])
    raise AssertionError(cond.op)
