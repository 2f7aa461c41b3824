"""The one adapter to durable-rules: compile condition trees to rulesets and run facts through them.

Traps handled here (see DURABLE_NOTES.md): one field per condition dict, combined with `$and`;
no `$in` (expanded to `$or`); `run` is removed from the dict passed in (we build fresh dicts);
a one-parameter action closing over the rule id; rulesets named by a hash of their content and
registered once per process; a synchronous Host without timer threads; facts tagged with a
`kind` and a catch-all rule so that every fact is handled; typed numbers only, null fields left
out (a missing field matches nothing); floats always written with a dot, since the engine
rejects `1e-05`; exceptions raised in actions are looked for after every batch.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import durable.engine as _durable

from allocator.conditions import All, Any_, Cond, Not

CHUNK = 1000
CATCH_ALL = "~none"
_NEGATE = {"eq": "ne", "ne": "eq", "lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt", "in": "not_in", "not_in": "in"}
_DURABLE_OP = {"ne": "$neq", "lt": "$lt", "lte": "$lte", "gt": "$gt", "gte": "$gte"}


def _dump(value: Any) -> str:
    """JSON for the engine: like json.dumps, but floats never in exponent form without a dot."""
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + _dump(v) for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"the rule engine cannot compare {value}")
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if e and "." not in mantissa:
            return f"{mantissa}.0e{exponent}"
        return text
    return json.dumps(value, ensure_ascii=False)


class _EngineJson:
    """Stands in for the `json` module inside durable.engine (see _dump)."""

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(value: Any, ensure_ascii: bool = False) -> str:
        return _dump(value)


_durable.json = _EngineJson


class _SyncHost(_durable.Host):  # type: ignore[misc]
    """A Host whose actions run inside post_batch: no background timer threads."""

    def _run(self) -> None:
        return None


_HOST: _SyncHost | None = None
_REGISTERED: set[str] = set()


def _host() -> _SyncHost:
    global _HOST
    if _HOST is None:
        _HOST = _SyncHost()
    return _HOST


def _compare(field: str, op: str, value: Any) -> dict[str, Any]:
    if op == "eq":
        return {field: value}
    if op == "in":
        return {"$or": [{field: v} for v in value]} if len(value) > 1 else {field: value[0]}
    if op == "not_in":
        return {"$and": [{"$neq": {field: v}} for v in value]} if len(value) > 1 else {"$neq": {field: value[0]}}
    if op == "between":
        return {"$and": [{"$gte": {field: value[0]}}, {"$lte": {field: value[1]}}]}
    if op == "is_null":
        return {"$nex" if value else "$ex": {field: 1}}
    return {_DURABLE_OP[op]: {field: value}}


def to_durable(cond: Cond, negate: bool = False) -> dict[str, Any]:
    """A durable-rules expression for `cond`; `not` is pushed down to the comparisons.

    A comparison with a missing value is false, so its negation is true on a missing value:
    `not volume >= 600` compiles to `volume < 600 or volume is missing`.
    """
    if isinstance(cond, Not):
        return to_durable(cond.item, not negate)
    if isinstance(cond, All | Any_):
        conj = isinstance(cond, All) != negate
        items = [to_durable(c, negate) for c in cond.items]
        if len(items) == 1:
            return items[0]
        return {"$and" if conj else "$or": items}
    value = list(cond.value) if isinstance(cond.value, tuple) else cond.value
    if not negate:
        return _compare(cond.field, cond.op, value)
    if cond.op == "is_null":
        return _compare(cond.field, "is_null", not value)
    missing = {"$nex": {cond.field: 1}}
    if cond.op == "between":
        inner = [{"$lt": {cond.field: value[0]}}, {"$gt": {cond.field: value[1]}}]  # type: ignore[index]
        return {"$or": [*inner, missing]}
    return {"$or": [_compare(cond.field, _NEGATE[cond.op], value), missing]}


@dataclass(frozen=True)
class Rule:
    """One engine rule: an id (kept in every output) and its condition."""

    id: str
    cond: Cond


class Ruleset:
    """A compiled ruleset. `first` hit: the first matching rule by position; else all that match."""

    def __init__(self, label: str, rules: Sequence[Rule], first: bool) -> None:
        self.rules = tuple(rules)
        self.first = first
        body = [(r.id, to_durable(r.cond)) for r in self.rules]
        digest = hashlib.sha256(_dump([label, first, body]).encode()).hexdigest()[:16]
        self.name = f"{label}-{digest}"
        self._hits: list[list[str]] = []
        self._index: dict[Any, int] = {}
        if self.name not in _REGISTERED:
            definition: dict[str, Any] = {}
            for pri, (rid, expr) in enumerate(body):
                when = {"$and": [{"kind": "client"}, expr]}
                definition[f"r{pri}"] = {"pri": pri, "all": [{"m": when}], "run": self._action(rid)}
            definition[CATCH_ALL] = {"pri": len(body), "all": [{"m": {"kind": "client"}}], "run": self._action(None)}
            _host().set_rulesets({self.name: definition})
            _REGISTERED.add(self.name)
            _ACTIVE[self.name] = self
        else:
            _ACTIVE[self.name] = self

    def _action(self, rid: str | None) -> Callable[[Any], None]:
        name = self.name

        def act(c: Any) -> None:
            _ACTIVE[name]._record(c.m["i"], rid)

        return act

    def _record(self, i: int, rid: str | None) -> None:
        # An `$or` whose branches both hold fires its rule once per branch: keep one.
        if rid is not None and rid not in self._hits[i]:
            self._hits[i].append(rid)

    def run(self, facts: Iterable[Mapping[str, Any]]) -> list[list[str]]:
        """Post every fact; for each, the ids of the rules that fired (one at most if `first`)."""
        host = _host()
        batch: list[dict[str, Any]] = []
        self._hits = []
        for fact in facts:
            i = len(self._hits)
            self._hits.append([])
            clean = {k: v for k, v in fact.items() if v is not None}
            clean["kind"] = "client"
            clean["i"] = i
            batch.append(clean)
            if len(batch) >= CHUNK:
                self._post(host, batch)
                batch = []
        if batch:
            self._post(host, batch)
        return self._hits

    def _post(self, host: _SyncHost, batch: list[dict[str, Any]]) -> None:
        if self.first:
            host.post_batch(self.name, batch)
        else:
            host.assert_facts(self.name, batch)
            host.retract_facts(self.name, batch)
        state = host.get_state(self.name)
        if state.get("exception"):
            raise RuntimeError(f"rule engine action failed in {self.name}: {state['exception']}")
        for fact in batch:
            hits = self._hits[fact["i"]]
            if self.first and len(hits) > 1:
                raise RuntimeError(f"first-hit ruleset {self.name} fired {hits} for one fact")


_ACTIVE: dict[str, Ruleset] = {}


def first_match(label: str, rules: Sequence[Rule], facts: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """For each fact, the id of the first rule (by position) whose condition holds, or None."""
    ruleset = Ruleset(label, rules, first=True)
    return [hits[0] if hits else None for hits in ruleset.run(facts)]


def all_matches(label: str, rules: Sequence[Rule], facts: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """For each fact, the ids of every rule whose condition holds, in rule order."""
    ruleset = Ruleset(label, rules, first=False)
    order = {r.id: n for n, r in enumerate(ruleset.rules)}
    return [sorted(hits, key=order.__getitem__) for hits in ruleset.run(facts)]
