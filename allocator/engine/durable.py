"""The one adapter to durable-rules: compile condition trees to rulesets and run facts through them.

Traps handled here (measured; see docs/durable-rules.md): one field per condition dict, combined with `$and`;
no `$in` (expanded to `$or`); `run` is removed from the dict passed in (we build fresh dicts);
a one-parameter action closing over the rule's position; rulesets named by a hash of their
content and registered once per process; a synchronous Host without timer threads; facts tagged
with a `kind` and a catch-all rule so that every fact is handled; typed numbers only, null fields
left out (a missing field matches nothing); floats always written with a dot, since the engine
rejects `1e-05`; exceptions raised in actions are looked for after every batch.

User field names never reach the engine: the fields a ruleset reads become `f0, f1, ...`, so a
field called `kind`, `i`, `id`, `sid` or `$and` cannot collide with the keys the engine or this
adapter use.

The engine's fixed limits (durable-rules 2.0.28, jruizgit/rules at 72070f4, src/rules/):
- `MAX_STACK_SIZE 64` (events.c:18): alpha nodes waiting while one fact is matched; one more
  gives `error code: 303`. Every rule waits once at the shared `kind` node, so 65 rules that
  all match one fact fail.
- `NEXT_BUCKET_LENGTH 512` (rules.h:47): the children of one alpha node, in a hash set probed
  linearly; when it is full, `findAlpha` (rete.c:1001) loops forever: 513 rules hang.
- `MAX_SEQUENCE_EXPRESSIONS 32` (rete.h:41): two entries per `$and` / `$or` of one rule; 16
  of them give `error code: 113`.
- `MAX_OBJECT_PROPERTIES 255` (state.h:20): properties of one fact, the engine's own id
  included (`error code: 302`).
- `NEXT_LIST_LENGTH 128`, `BETA_LIST_LENGTH 256` (rules.h:48-49), `MAX_ACTIONS 4096`
  (rete.c:41): each below what a ruleset within the first limit can reach.
So a list of rules is cut into rulesets ("chunks") that provably stay within them (see
`_Chunk`), a rule too big for one ruleset is split into alternatives (`inputs.condition_compiler`), and each chunk
is asked in order. Every rule starts with a test of its own position (`s <= p`): that keeps the
rules apart in the engine's network (so one rule's size bounds its share of the stack), and lets
a fact be posted again from a later position. First hit: a fact goes to the next chunk only if
the earlier ones had no hit. Collect: a fact is posted again after each hit, from the next rule
on, so every rule fires once per fact however many of its `$or` branches hold.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import durable.engine as _durable

from allocator.errors import RuleFileError
from allocator.inputs.condition_compiler import (
    FIELD_BUDGET,
    PENDING_BUDGET,
    EngineExpr,
    Test,
    TooComplex,
    alternatives,
    both,
    dump,
    fields_in_order,
    keys_of,
    render,
    weight,
)
from allocator.inputs.conditions import Cond

CHUNK = 1000  # facts per post_batch call
KIND, INDEX, START, MESSAGE_ID = "kind", "i", "s", "id"
CATCH_ALL = "~none"


class _EngineJson:
    """Stands in for the `json` module inside durable.engine (see dump)."""

    loads = staticmethod(json.loads)

    @staticmethod
    def dumps(value: Any, ensure_ascii: bool = False) -> str:
        return dump(value)


_durable.json = _EngineJson


class _SyncHost(_durable.Host):  # type: ignore[misc]
    """A Host whose actions run inside post_batch: no background timer threads."""

    def _run(self) -> None:
        return None


_HOST: _SyncHost | None = None


def _host() -> _SyncHost:
    global _HOST
    if _HOST is None:
        _HOST = _SyncHost()
    return _HOST


# --- rulesets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One engine rule: an id (kept in every output) and its condition."""

    id: str
    cond: Cond


class _Chunk:
    """One durable-rules ruleset: consecutive alternatives, within every engine limit.

    With a position test first in every rule, rules share only the `kind` node, which waits
    with one child per rule; below it each rule adds its weight at most. So the stack holds at
    most 1 + (rules - 1) + the largest weight; the other limits are larger than that.
    """

    def __init__(self, label: str, owners: Sequence[int], exprs: Sequence[EngineExpr], keys: Sequence[str]) -> None:
        self.owners = tuple(owners)  # the rule (index into the Ruleset's rules) of each position
        self.keys = tuple(keys)  # the engine keys its facts carry
        body = [render(both([Test(START, "$lte", p), e])) for p, e in enumerate(exprs)]
        digest = hashlib.sha256(dump(body).encode()).hexdigest()[:16]
        self.name = f"{re.sub(r'[^A-Za-z0-9_-]', '_', label)[:40]}-{digest}"
        self.hits: dict[int, int] = {}
        if self.name not in _CHUNKS:
            definition: dict[str, Any] = {}
            for pri, expr in enumerate(body):
                when = {"$and": [{KIND: "client"}, *expr["$and"]]}
                definition[f"r{pri}"] = {"pri": pri, "all": [{"m": when}], "run": _action(self.name, pri)}
            definition[CATCH_ALL] = {
                "pri": len(body),
                "all": [{"m": {KIND: "client"}}],
                "run": _action(self.name, None),
            }
            _host().set_rulesets({self.name: definition})
        _CHUNKS[self.name] = self

    def post(self, facts: Sequence[Mapping[str, Any]], asks: Sequence[tuple[int, int]]) -> dict[int, int]:
        """Post fact j from position s for each (j, s); the position that fired for each j that hit."""
        host, hits = _host(), {}
        _CHUNKS[self.name] = self  # another Ruleset may hold a chunk of the same content
        for start in range(0, len(asks), CHUNK):
            self.hits = {}
            batch = [_fact(facts[j], j, s, self.keys, k) for k, (j, s) in enumerate(asks[start : start + CHUNK])]
            host.post_batch(self.name, batch)
            state = host.get_state(self.name)
            if state.get("exception"):
                raise RuntimeError(f"rule engine action failed in {self.name}: {state['exception']}")
            hits.update(self.hits)
        return hits

    def record(self, j: int, pos: int | None) -> None:
        if pos is None:
            return
        if self.hits.setdefault(j, pos) != pos:
            raise RuntimeError(f"first-hit ruleset {self.name} fired {self.hits[j]} and {pos} for one fact")


_CHUNKS: dict[str, _Chunk] = {}


def _action(name: str, pos: int | None) -> Callable[[Any], None]:
    def act(c: Any) -> None:
        _CHUNKS[name].record(c.m[INDEX], pos)

    return act


def _fact(fact: Mapping[str, Any], j: int, start: int, keys: Sequence[str], slot: int) -> dict[str, Any]:
    """What the engine sees of fact j: its id, the tag, its index, the first position to try, its values.

    Without an `id`, durable-rules names a message by a hash of its content and keeps it in a
    table indexed by a 32-bit hash of that name, comparing hashes only: distinct small messages
    then collide ("Message has already been observed", seen with 2,000 clients). The id is the
    message's slot in its batch, "0" to "999", whose 32-bit FNV-1a hashes are all distinct
    (checked in tests); a batch's messages are all consumed before the next batch reuses them.
    """
    values = {key: fact[key] for key in keys if fact.get(key) is not None}
    return {MESSAGE_ID: str(slot), KIND: "client", INDEX: j, START: start, **values}


class Ruleset:
    """Rules in order, compiled to chunks: `first` gives the first rule that holds, `collect` all."""

    def __init__(self, label: str, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        fields = dict.fromkeys(f for r in self.rules for f in fields_in_order(r.cond))
        self.keys = {f: f"f{n}" for n, f in enumerate(fields)}
        parts: list[tuple[int, EngineExpr]] = []
        for n, rule in enumerate(self.rules):
            try:
                parts.extend((n, alt) for alt in alternatives(rule.cond, self.keys))
            except TooComplex as exc:
                raise RuleFileError(f"rule {rule.id}: {exc}") from None
        self.chunks = list(_cut(label, parts))

    def encode(self, fact: Mapping[str, Any]) -> dict[str, Any]:
        """A fact on engine keys, with only the fields the rules read."""
        return {key: fact.get(field) for field, key in self.keys.items()}

    def first(self, facts: Sequence[Mapping[str, Any]]) -> list[int | None]:
        """For each fact, the index of the first rule that holds, or None."""
        encoded = [self.encode(f) for f in facts]
        out: list[int | None] = [None] * len(facts)
        waiting = list(range(len(facts)))
        for chunk in self.chunks:
            if not waiting:
                break
            hits = chunk.post(encoded, [(j, 0) for j in waiting])
            for j, pos in hits.items():
                out[j] = chunk.owners[pos]
            waiting = [j for j in waiting if j not in hits]
        return out

    def collect(self, facts: Sequence[Mapping[str, Any]]) -> list[list[int]]:
        """For each fact, the indices of every rule that holds, ascending."""
        encoded = [self.encode(f) for f in facts]
        out: list[list[int]] = [[] for _ in facts]
        for chunk in self.chunks:
            asks = [(j, 0) for j in range(len(facts))]
            while asks:
                hits = chunk.post(encoded, asks)
                asks = []
                for j, pos in sorted(hits.items()):
                    rule = chunk.owners[pos]
                    if not out[j] or out[j][-1] != rule:  # a rule's alternatives may span chunks
                        out[j].append(rule)
                    after = next((p for p in range(pos, len(chunk.owners)) if chunk.owners[p] != rule), None)
                    if after is not None:  # the rule's other alternatives need not be asked
                        asks.append((j, after))
        return out


def _cut(label: str, parts: Sequence[tuple[int, EngineExpr]]) -> Iterator[_Chunk]:
    """Consecutive alternatives into chunks within the stack and field limits (see _Chunk)."""
    owners: list[int] = []
    exprs: list[EngineExpr] = []
    keys: set[str] = set()
    heaviest = 0
    for owner, expr in parts:
        size, needed = weight(expr), keys | keys_of(expr)
        if exprs and (len(exprs) + 1 + max(heaviest, size) > PENDING_BUDGET or len(needed) > FIELD_BUDGET):
            yield _Chunk(label, owners, exprs, sorted(keys))
            owners, exprs, keys, heaviest, needed = [], [], set(), 0, keys_of(expr)
        owners.append(owner)
        exprs.append(expr)
        keys, heaviest = needed, max(heaviest, size)
    if exprs:
        yield _Chunk(label, owners, exprs, sorted(keys))


_COMPILED: dict[tuple[str, tuple[Rule, ...]], Ruleset] = {}


def _ruleset(label: str, rules: Sequence[Rule]) -> Ruleset:
    key = (label, tuple(rules))
    if key not in _COMPILED:
        _COMPILED[key] = Ruleset(label, rules)
    return _COMPILED[key]


def first_match(label: str, rules: Sequence[Rule], facts: Sequence[Mapping[str, Any]]) -> list[str | None]:
    """For each fact, the id of the first rule (by position) whose condition holds, or None."""
    ruleset = _ruleset(label, rules)
    return [None if n is None else ruleset.rules[n].id for n in ruleset.first(facts)]


def all_matches(label: str, rules: Sequence[Rule], facts: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    """For each fact, the ids of every rule whose condition holds, in rule order."""
    ruleset = _ruleset(label, rules)
    return [list(dict.fromkeys(ruleset.rules[n].id for n in hits)) for hits in ruleset.collect(facts)]
