"""The durable-rules adapter decides exactly what the condition semantics say.

Random condition trees (every operator, `all`/`any`/`not`, values at the thresholds, ints
against floats, tiny floats the engine cannot parse in exponent form, nulls) are compiled to
durable-rules and run on random rows; the first-hit and collect answers must equal the
reference evaluation in `conditions.evaluate`.
"""

from __future__ import annotations

from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from allocator.engine.durable import Rule, all_matches, first_match
from allocator.inputs.conditions import Any_, Compare, Cond, Not, evaluate
from tests.strategies import condition_trees

NUMBERS = [0, 1, 2, 2.0, 2.5, 100, 1e-05, 3e-07, -1, 1e16]
CATS = ["city", "village", "town"]

number_value = st.sampled_from(NUMBERS)
cat_value = st.sampled_from(CATS)


def compares() -> st.SearchStrategy[Compare]:
    num = st.one_of(
        st.tuples(st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte"]), number_value).map(
            lambda t: Compare("v", *t)
        ),
        st.lists(number_value, min_size=1, max_size=3).flatmap(
            lambda xs: st.sampled_from(["in", "not_in"]).map(lambda op: Compare("v", op, tuple(xs)))
        ),
        st.tuples(number_value, number_value).map(lambda t: Compare("v", "between", (min(t), max(t)))),
        st.booleans().map(lambda b: Compare("v", "is_null", b)),
    )
    cat = st.one_of(
        st.tuples(st.sampled_from(["eq", "ne"]), cat_value).map(lambda t: Compare("m", *t)),
        st.lists(cat_value, min_size=1, max_size=2).flatmap(
            lambda xs: st.sampled_from(["in", "not_in"]).map(lambda op: Compare("m", op, tuple(xs)))
        ),
        st.booleans().map(lambda b: Compare("m", "is_null", b)),
    )
    return st.one_of(
        num,
        cat,
        st.sampled_from(["eq", "gte", "lt"]).flatmap(lambda op: number_value.map(lambda x: Compare("w", op, x))),
    )


conditions: st.SearchStrategy[Cond] = condition_trees(compares(), max_leaves=6)

rows = st.fixed_dictionaries(
    {
        "v": st.one_of(st.none(), number_value),
        "m": st.one_of(st.none(), cat_value),
        "w": st.one_of(st.none(), st.integers(-1, 3), number_value),
    }
)


@given(st.lists(conditions, min_size=1, max_size=4), st.lists(rows, min_size=1, max_size=25))
@example([Not(Compare("v", "gte", 2))], [{"v": None, "m": None, "w": None}])
@example([Compare("v", "ne", 2)], [{"v": None, "m": "city", "w": 2.0}])
@example([Any_((Compare("v", "lt", 1e-05), Compare("v", "gte", 0)))], [{"v": 3e-07, "m": None, "w": None}])
def test_engine_answers_equal_the_reference_semantics(conds: list[Cond], facts: list[dict[str, Any]]) -> None:
    rules = [Rule(f"r{i}", c) for i, c in enumerate(conds)]
    expected = [[r.id for r in rules if evaluate(r.cond, f)] for f in facts]
    assert all_matches("prop", rules, facts) == expected
    assert first_match("prop", rules, facts) == [e[0] if e else None for e in expected]
