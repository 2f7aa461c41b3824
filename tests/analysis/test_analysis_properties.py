"""The analysis against the reference evaluation: random small rule sets, random clients.

If a ladder has no gap, every client on it is placed; a gap's example is placed by no rule; a rule
reported unreachable is never the first match; a rule reported impossible never matches. The full
and the limited analysis (few cells allowed) must both keep these promises.

Broken on purpose, the test failed each time: without the cells at the thresholds (a "complete"
ladder left volume = 0 unplaced), without the midpoints (a gap between 1 and 2.5 went unseen), with
the limited mode calling a rule unreachable although it comes first for some clients, and with it
checking a rule against earlier rules on its own thresholds only. The `@example`s pin those; every
random case is analysed under each small limit too, so that each way of running out of room is met.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from allocator.engine.analysis import Finding, analyse
from allocator.inputs.conditions import All, Compare, Cond, FieldKind, Not, evaluate
from allocator.inputs.expressions import evaluate_row, parse_expression
from allocator.inputs.models import FieldSpec
from allocator.inputs.tiering_rules import Adjustment, Placement, TieringRules
from tests.strategies import condition_trees

LADDERS = ("city", "village")
VALUES: dict[str, list[Any]] = {"volume": [0, 1, 2.5, 10, 100], "score": [-1, 0, 3, 7], "ratio": [0, 0.5, 2]}
RATIO = parse_expression("volume / score")


def compares() -> st.SearchStrategy[Cond]:
    def on(field: str) -> st.SearchStrategy[Cond]:
        v = st.sampled_from(VALUES[field])
        return st.one_of(
            st.tuples(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), v).map(lambda t: Compare(field, *t)),
            st.tuples(st.sampled_from(["in", "not_in"]), st.lists(v, min_size=1, max_size=2)).map(
                lambda t: Compare(field, t[0], tuple(t[1]))
            ),
            st.tuples(v, v).map(lambda t: Compare(field, "between", (min(t), max(t)))),
            st.booleans().map(lambda b: Compare(field, "is_null", b)),
        )

    market = st.tuples(st.sampled_from(["eq", "ne"]), st.sampled_from(LADDERS)).map(lambda t: Compare("market", *t))
    return st.one_of(on("volume"), on("score"), on("ratio"), market)


conditions: st.SearchStrategy[Cond] = condition_trees(compares(), max_leaves=4)
ranges: st.SearchStrategy[Cond] = st.tuples(
    st.sampled_from(["lt", "lte", "gt", "gte"]), st.sampled_from([1, 2.5, 10])
).map(lambda t: Compare("volume", *t))
rule_conditions = st.one_of(ranges, conditions)  # threshold ladders, the usual shape, half of the time
scopes = st.sampled_from([LADDERS, ("city",), ("village",)])


@st.composite
def rule_sets(draw: st.DrawFn) -> TieringRules:
    placed = draw(st.lists(st.tuples(scopes, rule_conditions), min_size=1, max_size=5))
    adjusted = draw(st.lists(st.tuples(scopes, rule_conditions), max_size=2))
    return make(placed, adjusted)


Scoped = tuple[tuple[str, ...], Cond]


def make(placed: list[Scoped], adjusted: list[Scoped] | None = None) -> TieringRules:
    """Rules on two ladders (tiers A, B; default B) over market, volume, optional score, ratio."""
    tiers = ("A", "B")
    return TieringRules(
        file="random.yaml",
        sha256="",
        fields={
            "market": FieldSpec(type="category", values=list(LADDERS)),
            "volume": FieldSpec(type="number", min=0),
            "score": FieldSpec(type="integer", optional=True),
        },
        derive={"ratio": RATIO},
        by="market",
        ladders=dict.fromkeys(LADDERS, tiers),
        placement=tuple(Placement(f"p{i}", lads, c, "A") for i, (lads, c) in enumerate(placed)),
        default_tier=dict.fromkeys(LADDERS, "B"),
        adjust=tuple(Adjustment(f"a{i}", lads, c, 1) for i, (lads, c) in enumerate(adjusted or [])),
        max_up=None,
        max_down=None,
        current_field=None,
        names={
            "market": FieldKind("category", LADDERS),
            "volume": FieldKind("number"),
            "score": FieldKind("integer"),
            "ratio": FieldKind("number"),
        },
    )


def client(market: str, volume: float, score: int | None) -> dict[str, Any]:
    row: dict[str, Any] = {"market": market, "volume": volume, "score": score}
    row["ratio"] = evaluate_row(RATIO, row)
    return row


clients = st.lists(
    st.builds(
        client,
        st.sampled_from(LADDERS),
        st.one_of(st.sampled_from([0, 0.5, 1, 1.7, 2.5, 5, 10, 50, 100, 1000]), st.floats(0, 200)),
        st.one_of(st.none(), st.integers(-3, 10)),
    ),
    min_size=1,
    max_size=30,
)


def first_placement(rules: TieringRules, row: dict[str, Any]) -> str | None:
    return next((p.id for p in rules.placement if row["market"] in p.ladders and evaluate(p.cond, row)), None)


def volume(op: str, value: float) -> Scoped:
    return LADDERS, Compare("volume", op, value)


BUDGETS = (200_000, *range(2, 41))  # every small limit, so that each way of running out of room is met


# Counterexamples found while breaking the analysis on purpose (see the module docstring).
@example(make([volume("ne", 0)]), [client("city", 0, None)])  # without the cells at thresholds
@example(make([volume("lte", 1), volume("gte", 2.5)]), [client("city", 1.7, None)])  # without midpoints
@example(make([volume("lt", 1), volume("lt", 2.5)]), [client("city", 1.7, None)])  # any overlap = shadowed
@example(  # limited mode calling a rule unreachable although it comes first for some clients
    make(
        [volume("lt", 1), volume("lt", 2.5), (LADDERS, All((Compare("volume", "eq", 0), Compare("score", "eq", -1))))]
    ),
    [client("city", 1.7, None)],
)
@example(  # limited mode checking a rule against earlier rules on its own thresholds only
    make(
        [
            (LADDERS, Not(Compare("volume", "gt", 2.5))),
            (LADDERS, All((Compare("ratio", "is_null", False), Compare("score", "eq", -1)))),
            volume("gt", 1),
        ]
    ),
    [client("city", 5, None)],
)
@given(rule_sets(), clients)
def test_findings_hold_for_every_client(rules: TieringRules, rows: list[dict[str, Any]]) -> None:
    for max_cells in BUDGETS:
        check(rules, rows, analyse(rules, max_cells=max_cells))


def check(rules: TieringRules, rows: list[dict[str, Any]], findings: list[Finding]) -> None:
    unchecked = {f.ladder for f in findings if f.kind == "limited" and "gaps were not checked" in f.message}
    gapped = {f.ladder for f in findings if f.kind == "gap"}
    for row in rows:
        lad = row["market"]
        if lad not in gapped and lad not in unchecked:
            assert first_placement(rules, row) is not None, (lad, row, findings)
    for f in findings:
        on = [r for r in rows if r["market"] == f.ladder]
        if f.kind == "gap":
            assert f.example is not None
            for row in on:  # the example's fields decide; every other field (derived ones too) is free
                assert first_placement(rules, {**row, **f.example}) is None, (f, row)
        if f.kind == "unreachable":
            assert all(first_placement(rules, row) != f.rule_id for row in on), (f, findings)
        if f.kind == "impossible":
            every: list[Placement | Adjustment] = [*rules.placement, *rules.adjust]
            rule = next(r for r in every if r.id == f.rule_id)
            assert not any(r["market"] in rule.ladders and evaluate(rule.cond, r) for r in rows), f
