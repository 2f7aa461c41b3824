"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from allocator.inputs.conditions import All, Any_, Cond, Not


def condition_trees(leaves: st.SearchStrategy[Cond], max_leaves: int) -> st.SearchStrategy[Cond]:
    """Random `all` / `any` / `not` trees over the given comparisons."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: All(tuple(xs))),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: Any_(tuple(xs))),
            inner.map(Not),
        ),
        max_leaves=max_leaves,
    )
