"""Grouped evaluation: the engine never sees the same question twice.

Every condition compares a field with constants, so a rule's outcome for a client depends only
on the truth values of the atomic comparisons it contains. We evaluate each atomic comparison
column-wise (polars), pack the truth values of each client into a key, and keep one real client
per distinct key (the smallest client id, so the choice never depends on row order). Only those
representatives are posted to durable-rules; their outcomes are broadcast back to every client
with the same key. `exact` mode posts every client instead; a property test shows both agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import polars as pl

from allocator.inputs.conditions import Compare, Cond, Not

GROUP = "_group"


def atoms(conds: Iterable[Cond]) -> list[Compare]:
    """Every distinct atomic comparison in the conditions, in first-seen order."""
    seen: dict[Compare, None] = {}

    def walk(c: Cond) -> None:
        if isinstance(c, Compare):
            seen.setdefault(c)
        elif isinstance(c, Not):
            walk(c.item)
        else:
            for item in c.items:
                walk(item)

    for cond in conds:
        walk(cond)
    return list(seen)


def atom_expr(atom: Compare) -> pl.Expr:
    """The truth of one comparison for every row; a missing value makes it false (but is_null)."""
    col = pl.col(atom.field)
    value: Any = atom.value
    expr: pl.Expr
    if atom.op == "is_null":
        return col.is_null() if value else col.is_not_null()
    if atom.op == "eq":
        expr = col == value
    elif atom.op == "ne":
        expr = col != value
    elif atom.op == "lt":
        expr = col < value
    elif atom.op == "lte":
        expr = col <= value
    elif atom.op == "gt":
        expr = col > value
    elif atom.op == "gte":
        expr = col >= value
    elif atom.op in ("in", "not_in"):
        # equality one value at a time: `is_in` refuses a list mixing ints and floats
        expr = pl.any_horizontal(*(col == v for v in value))
        if atom.op == "not_in":
            expr = ~expr
    else:
        expr = (col >= value[0]) & (col <= value[1])
    return (col.is_not_null() & expr).fill_null(False)


def group_keys(table: pl.DataFrame, conds: Sequence[Cond], extra: Sequence[str] = ()) -> pl.DataFrame:
    """client_id, the truth-vector key columns and `extra` columns, one row per client."""
    found = atoms(conds)
    words: list[pl.Expr] = []
    for start in range(0, len(found), 63):
        chunk = found[start : start + 63]
        word = pl.lit(0, dtype=pl.Int64)
        for bit, atom in enumerate(chunk):
            word = word | (atom_expr(atom).cast(pl.Int64) * (1 << bit))
        words.append(word.alias(f"_w{start // 63}"))
    return table.select(pl.col("client_id"), *words, *(pl.col(c) for c in extra))


def representatives(
    table: pl.DataFrame, conds: Sequence[Cond], extra: Sequence[str] = ()
) -> tuple[pl.Series, list[int]]:
    """For each row its group number, and for each group the row index of its representative.

    Groups are numbered in the order of their smallest client id, so numbering and choice of
    representative depend only on the clients, never on the order of the rows.
    """
    keyed = group_keys(table, conds, extra).with_row_index("_i")
    key_cols = [c for c in keyed.columns if c not in ("client_id", "_i")]
    if not key_cols:
        key_cols = ["_const"]
        keyed = keyed.with_columns(pl.lit(0).alias("_const"))
    firsts = (
        keyed.group_by(key_cols)
        .agg(pl.col("client_id").min().alias("_first_id"), pl.col("_i").sort_by("client_id").first().alias("_rep"))
        .sort("_first_id")
        .with_row_index(GROUP)
    )
    joined = keyed.join(
        firsts.select(*key_cols, GROUP), on=key_cols, how="left", nulls_equal=True, maintain_order="left"
    )  # the rows in their own order, without sorting a million of them back
    return joined[GROUP].cast(pl.Int64), firsts["_rep"].cast(pl.Int64).to_list()
