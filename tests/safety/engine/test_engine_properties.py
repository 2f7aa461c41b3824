"""Properties of the durable-rules adapter with hostile field names and many rules.

Field names are drawn from the keys durable-rules and the adapter use themselves (`kind`, `i`,
`id`, `sid`, `s`, `m`, `$and`, ...), names with dots or non-ASCII letters, and any text. Rule
lists run up to a few hundred rules, so that they are cut into several rulesets, with repeated
conditions, so that many rules match one fact. The answers must equal a pure-Python reading of
the conditions (`conditions.evaluate`), first hit and collect, and in both tiering modes.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocator.engine.durable import Rule, all_matches, first_match
from allocator.engine.rule_sets import engine_rules
from allocator.inputs.condition_compiler import too_complex
from allocator.inputs.conditions import All, Any_, Compare, Cond, FieldKind, Not, evaluate
from allocator.inputs.expressions import BinOp, Col
from allocator.inputs.models import FieldSpec
from allocator.inputs.tiering_rules import Adjustment, Placement, TieringRules
from allocator.pipeline.tiering import engine_outcomes, with_derived
from tests.strategies import condition_trees

ENGINE_KEYS = ["kind", "i", "s", "id", "sid", "m", "pri", "run", "all", "any", "l", "label", "f0", "f1", "~none"]
ODD = ["$and", "$or", "$nex", "$lt", "$s", "a.b", "市场", "é", " ", "x y", '"q"', "back\\slash", "r0"]
field_names = st.one_of(st.sampled_from(ENGINE_KEYS + ODD), st.text(min_size=1, max_size=6)).filter(
    lambda n: n not in ("client_id", "ladder", "tier")
)
NUMBERS = [0, 1, 2, 2.5, 10, 100]
CATS = ["x", "y", "z"]


def _compares(num: str, whole: str, cat: str) -> st.SearchStrategy[Cond]:
    number = st.sampled_from([num, whole])
    value = st.sampled_from(NUMBERS)
    return st.one_of(
        st.tuples(number, st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), value).map(lambda t: Compare(*t)),
        st.tuples(number, st.sampled_from(["in", "not_in"]), st.lists(value, min_size=1, max_size=3)).map(
            lambda t: Compare(t[0], t[1], tuple(t[2]))
        ),
        st.tuples(number, value, value).map(lambda t: Compare(t[0], "between", (min(t[1:]), max(t[1:])))),
        st.tuples(st.sampled_from([num, whole, cat]), st.booleans()).map(lambda t: Compare(t[0], "is_null", t[1])),
        st.tuples(st.sampled_from(["eq", "ne"]), st.sampled_from(CATS)).map(lambda t: Compare(cat, *t)),
        st.tuples(st.sampled_from(["in", "not_in"]), st.lists(st.sampled_from(CATS), min_size=1, max_size=3)).map(
            lambda t: Compare(cat, t[0], tuple(t[1]))
        ),
    )


@st.composite
def named_case(draw: Any, max_rules: int) -> tuple[tuple[str, str, str], list[Cond], list[dict[str, Any]]]:
    num, whole, cat = draw(st.lists(field_names, min_size=3, max_size=3, unique=True))
    conds = condition_trees(_compares(num, whole, cat), max_leaves=5)
    distinct = draw(st.lists(conds, min_size=1, max_size=6))
    # many rules from few conditions: a fact that matches one matches many
    rules = draw(st.lists(st.sampled_from(distinct), min_size=1, max_size=max_rules))
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    num: st.one_of(st.none(), st.sampled_from([0.0, 1.0, 2.0, 2.5, 3.0, 10.0, 100.0])),
                    whole: st.one_of(st.none(), st.integers(-1, 3), st.just(100)),
                    cat: st.one_of(st.none(), st.sampled_from(CATS)),
                }
            ),
            min_size=1,
            max_size=12,
        )
    )
    return (num, whole, cat), rules, rows


@settings(max_examples=60)
@given(named_case(max_rules=300))
@example(
    (
        ("kind", "i", "id"),
        [All((Compare("id", "eq", "x"), Compare("kind", "gte", 2)))] * 70,
        [{"kind": 2.0, "i": 1, "id": "x"}],
    )
)
@example((("sid", "s", "$and"), [Not(Compare("s", "gte", 2))] * 130, [{"sid": None, "s": None, "$and": None}]))
def test_first_hit_and_collect_equal_the_reference_for_any_names_and_many_rules(
    case: tuple[tuple[str, str, str], list[Cond], list[dict[str, Any]]],
) -> None:
    _, conds, facts = case
    rules = [Rule(f"r{n}", c) for n, c in enumerate(conds)]
    expected = [[r.id for r in rules if evaluate(r.cond, f)] for f in facts]
    assert all_matches("names", rules, facts) == expected
    assert first_match("names", rules, facts) == [e[0] if e else None for e in expected]


def test_a_long_in_list_and_many_negations_are_split_not_refused() -> None:
    many = tuple(range(1000))
    negations = Not(Any_(tuple(Compare("v", "eq", n) for n in range(20))))
    rules = [Rule("long-in", Compare("v", "in", many)), Rule("none-of-20", negations)]
    facts: list[dict[str, Any]] = [{"v": 999}, {"v": 5}, {"v": 1000}, {"v": None}]
    assert all_matches("split", rules, facts) == [
        ["long-in", "none-of-20"],
        ["long-in"],
        ["none-of-20"],
        ["none-of-20"],
    ]
    assert (too_complex(rules[0].cond), too_complex(negations)) == (None, None)


def test_a_condition_too_complex_for_the_engine_is_named() -> None:
    # 40 negated comparisons in one rule: 2**26 alternatives would be needed
    cond = All(tuple(Not(Compare(f"v{n}", "gte", 1)) for n in range(40)))
    assert too_complex(cond) == (
        "it has too many `any`, `in` and negated parts for the rule engine (more than 1024 alternatives)"
    )
    wide = All(tuple(Compare(f"v{n}", "gte", 1) for n in range(251)))
    assert too_complex(wide) == "it reads 251 fields; the rule engine takes at most 250 in one rule"


TIERS = ("A", "B", "C", "D")


@st.composite
def named_tiering(draw: Any) -> tuple[TieringRules, pl.DataFrame]:
    (num, whole, cat), conds, rows = draw(named_case(max_rules=80))
    by = draw(field_names.filter(lambda n: n not in (num, whole, cat)))
    ratio = draw(field_names.filter(lambda n: n not in (num, whole, cat, by)))
    scope = st.sampled_from([("city", "village"), ("city",), ("village",)])
    placement = tuple(Placement(f"p{n}", draw(scope), c, draw(st.sampled_from(TIERS))) for n, c in enumerate(conds))
    adjust = tuple(
        Adjustment(f"a{n}", draw(scope), c, draw(st.sampled_from([-1, 1])))
        for n, c in enumerate(draw(st.lists(st.sampled_from(conds), max_size=70)))
    )
    rules = TieringRules(
        file="random.yaml",
        sha256="",
        fields={
            by: FieldSpec(type="category", values=["city", "village"]),
            num: FieldSpec(type="number", optional=True),
            whole: FieldSpec(type="integer", optional=True),
            cat: FieldSpec(type="category", values=CATS, optional=True),
        },
        derive={ratio: BinOp("/", Col(num, 1), Col(whole, 5))},
        by=by,
        ladders={"city": TIERS, "village": TIERS},
        placement=placement,
        default_tier={"city": "D", "village": "C"},
        adjust=adjust,
        max_up=None,
        max_down=None,
        current_field=None,
        names={
            by: FieldKind("category", ("city", "village")),
            num: FieldKind("number"),
            whole: FieldKind("integer"),
            cat: FieldKind("category", tuple(CATS)),
            ratio: FieldKind("number"),
        },
    )
    markets = draw(st.lists(st.sampled_from(["city", "village"]), min_size=len(rows), max_size=len(rows)))
    snapshot = pl.DataFrame(
        {
            "client_id": [f"c{n:03d}" for n in range(len(rows))],
            by: markets,
            num: pl.Series([r[num] for r in rows], dtype=pl.Float64),
            whole: pl.Series([r[whole] for r in rows], dtype=pl.Int64),
            cat: pl.Series([r[cat] for r in rows], dtype=pl.String),
        }
    )
    return rules, snapshot


@settings(max_examples=40)
@given(named_tiering())
def test_grouped_and_exact_tiering_equal_the_reference_for_any_names(case: tuple[TieringRules, pl.DataFrame]) -> None:
    rules, snapshot = case
    table = with_derived(rules, snapshot)
    placement, adjust = engine_rules(rules)
    expected = []
    for row in table.to_dicts():
        placed = next((r.id for r in placement if evaluate(r.cond, row)), None)
        expected.append((placed, tuple(r.id for r in adjust if evaluate(r.cond, row))))
    for mode in ("grouped", "exact"):
        got = [(o.placed_by, o.adjustments) for o in engine_outcomes(rules, table, mode).per_client()]
        assert got == expected, mode
