"""Condition trees compiled to durable-rules expressions, within the engine's fixed limits.

Pure translation, no engine: `allocator.engine.durable` posts what this builds. Kept apart so that the
rule-file checks can ask `too_complex` without loading the engine. The limits (durable-rules
2.0.28, jruizgit/rules at 72070f4, src/rules/) are described in `allocator.engine.durable`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from allocator.inputs.conditions import All, Any_, Compare, Cond, Not

MAX_STACK_SIZE = 64
MAX_SEQUENCE_EXPRESSIONS = 32
MAX_OBJECT_PROPERTIES = 255
PENDING_BUDGET = MAX_STACK_SIZE - 4  # a margin below the engine's stack
COMBINATOR_BUDGET = (MAX_SEQUENCE_EXPRESSIONS - 1) // 2  # `$and` / `$or` per rule, ours included
FIELD_BUDGET = MAX_OBJECT_PROPERTIES - 5  # less kind, i, s, the engine's id, a margin
MAX_ALTERNATIVES = 1024  # engine rules one rule may be split into
_NEGATE = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "in": "not_in", "not_in": "in"}
_DURABLE_OP = {"eq": "", "ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}
_INT64 = 2**63


def dump(value: Any) -> str:
    """JSON for the engine: like json.dumps, but floats never in exponent form without a dot."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the rule engine cannot compare {value}")
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            return f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT64 <= value < _INT64:
        return dump(float(value))  # the engine reads integers with atol: keep them in range
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Test:
    """One comparison the engine makes: `op` is '' for equality, else '$lt', '$neq', '$nex', ..."""

    key: str
    op: str
    value: Any


@dataclass(frozen=True)
class _Both:
    items: tuple[EngineExpr, ...]


@dataclass(frozen=True)
class _Either:
    items: tuple[EngineExpr, ...]


EngineExpr = Test | _Both | _Either


def both(items: Sequence[EngineExpr]) -> EngineExpr:
    flat = tuple(x for item in items for x in (item.items if isinstance(item, _Both) else (item,)))
    return flat[0] if len(flat) == 1 else _Both(flat)


def _either(items: Sequence[EngineExpr]) -> EngineExpr:
    flat = tuple(x for item in items for x in (item.items if isinstance(item, _Either) else (item,)))
    flat = tuple(dict.fromkeys(flat))  # a repeated branch would fire its rule twice
    return flat[0] if len(flat) == 1 else _Either(flat)


def _compare(key: str, op: str, value: Any) -> EngineExpr:
    if op == "in":
        return _either([Test(key, "", v) for v in value])
    if op == "not_in":
        return both([Test(key, "$neq", v) for v in value])
    if op == "between":
        return _Both((Test(key, "$gte", value[0]), Test(key, "$lte", value[1])))
    if op == "is_null":
        return Test(key, "$nex" if value else "$ex", 1)
    return Test(key, _DURABLE_OP[op], value)


def _compile(cond: Cond, keys: Mapping[str, str], negate: bool = False) -> EngineExpr:
    """The engine expression for `cond`, on engine keys; `not` is pushed down to the comparisons.

    A comparison with a missing value is false, so its negation is true on a missing value:
    `not volume >= 600` compiles to `volume < 600 or volume is missing`.
    """
    if isinstance(cond, Not):
        return _compile(cond.item, keys, not negate)
    if isinstance(cond, All | Any_):
        items = [_compile(c, keys, negate) for c in cond.items]
        return both(items) if isinstance(cond, All) != negate else _either(items)
    key = keys[cond.field]
    value = cond.value
    if cond.op in ("in", "not_in") and isinstance(value, tuple):
        value = tuple(dict.fromkeys(value))
    if not negate:
        return _compare(key, cond.op, value)
    if cond.op == "is_null":
        return _compare(key, "is_null", not value)
    missing = Test(key, "$nex", 1)
    if cond.op == "between":
        assert isinstance(value, tuple)
        return _either([Test(key, "$lt", value[0]), Test(key, "$gt", value[1]), missing])
    return _either([_compare(key, _NEGATE[cond.op], value), missing])


def render(expr: EngineExpr) -> dict[str, Any]:
    if isinstance(expr, Test):
        return {expr.key: expr.value} if not expr.op else {expr.op: {expr.key: expr.value}}
    return {"$and" if isinstance(expr, _Both) else "$or": [render(x) for x in expr.items]}


def _combinators(expr: EngineExpr) -> int:
    return 0 if isinstance(expr, Test) else 1 + sum(_combinators(x) for x in expr.items)


def keys_of(expr: EngineExpr) -> set[str]:
    return {expr.key} if isinstance(expr, Test) else set().union(*(keys_of(x) for x in expr.items))


class _Node:
    """An alpha node as rete.c builds it: hash children shared by test, and the `$nex` list."""

    def __init__(self, test: tuple[str, str, str] | None = None) -> None:
        self.test = test
        self.children: dict[tuple[str, str, str], _Node] = {}
        self.nexts: list[_Node] = []  # `$nex` tests and the forward nodes of `$or`

    def attach(self, expr: EngineExpr) -> _Node:
        """Build `expr` below this node as createAlpha does; return the node its rule ends at."""
        if isinstance(expr, _Both):
            node = self
            for item in expr.items:
                node = node.attach(item)
            return node
        if isinstance(expr, _Either):
            forward = _Node()  # never shared; every branch end links to it
            for item in expr.items:
                self.attach(item).nexts.append(forward)
            return forward
        test = (expr.key, expr.op, dump(expr.value))
        if expr.op == "$nex":
            found = next((n for n in self.nexts if n.test == test), None)
            if found is None:
                found = _Node(test)
                self.nexts.append(found)
            return found
        return self.children.setdefault(test, _Node(test))

    def excess(self, memo: dict[int, int]) -> int:
        """The most a chain of nodes from here adds to the engine's stack: per node, children - 1.

        Matching pops a node and pushes its matching children; the nodes whose pushed children
        are still waiting form a chain, each waiting for at most its children less the one
        being followed. So the stack never holds more than 1 + this sum from the root.
        """
        if id(self) not in memo:
            below = [*self.children.values(), *self.nexts]
            memo[id(self)] = max(len(below) - 1, 0) + max((n.excess(memo) for n in below), default=0)
        return memo[id(self)]


def weight(expr: EngineExpr) -> int:
    """A rule's share of the stack beyond its own start node (see _Node.excess)."""
    start = _Node()
    start.attach(expr)
    return start.excess({})


def _fits(expr: EngineExpr) -> bool:
    """Whether one rule with this condition runs in a ruleset of its own."""
    # our `$and` around it: the kind tag, the position test, then the condition's own items
    combinators = 1 + (sum(_combinators(x) for x in expr.items) if isinstance(expr, _Both) else _combinators(expr))
    return combinators <= COMBINATOR_BUDGET and 1 + weight(expr) <= PENDING_BUDGET


def _split(expr: EngineExpr, budget: list[int]) -> Iterator[EngineExpr]:
    """Alternatives whose disjunction is `expr`, each small enough: an `$or` is cut in halves."""
    if _fits(expr):
        budget[0] -= 1
        if budget[0] < 0:
            raise TooComplex()
        yield expr
        return
    items = expr.items if isinstance(expr, _Both) else (expr,)
    ors = [(n, x) for n, x in enumerate(items) if isinstance(x, _Either)]
    if not ors:  # a plain conjunction always fits; kept as a guard against an endless loop
        raise TooComplex()
    at, widest = max(ors, key=lambda nx: len(nx[1].items))
    branches = widest.items
    for half in (branches[: len(branches) // 2], branches[len(branches) // 2 :]):
        yield from _split(both([*items[:at], _either(half), *items[at + 1 :]]), budget)


class TooComplex(Exception):
    """A condition that cannot be cut into pieces the engine takes."""


def too_complex(cond: Cond) -> str | None:
    """Why the rule engine cannot run this condition (too many fields or alternatives), else None."""
    fields = dict.fromkeys(fields_in_order(cond))
    try:
        alternatives(cond, {f: f"f{n}" for n, f in enumerate(fields)})
    except TooComplex as exc:
        return str(exc)
    return None


def alternatives(cond: Cond, keys: Mapping[str, str]) -> list[EngineExpr]:
    """The condition compiled, as alternatives that each fit a ruleset; TooComplex if it cannot be."""
    fields = set(fields_in_order(cond))
    if len(fields) > FIELD_BUDGET:
        raise TooComplex(f"it reads {len(fields)} fields; the rule engine takes at most {FIELD_BUDGET} in one rule")
    try:
        return list(_split(_compile(cond, keys), [MAX_ALTERNATIVES]))
    except TooComplex:
        msg = "it has too many `any`, `in` and negated parts for the rule engine"
        raise TooComplex(f"{msg} (more than {MAX_ALTERNATIVES} alternatives)") from None


def fields_in_order(cond: Cond) -> Iterator[str]:
    if isinstance(cond, Compare):
        yield cond.field
    else:
        for item in (cond.item,) if isinstance(cond, Not) else cond.items:
            yield from fields_in_order(item)
