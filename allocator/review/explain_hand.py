"""The hand-set part of one client's quota, for `explain`: its assignments (owner, units,
reason, where) and its lock (quota, by, reason, where); and the quotas as the policy alone gave
them, which the explanation of the policy's part works from (the sentence: explain_sentence.py)."""

from __future__ import annotations

from typing import Any

import polars as pl

from allocator.inputs.manual import Manual
from allocator.pipeline.manual import LOCK

Json = dict[str, Any]


def hand_of(manual: Manual, product: str, client_id: str) -> Json:
    """{assignments: [...], lock: {...} | None} of one client and product."""
    assignments = [
        {"owner": a.owner, "units": a.units, "reason": a.reason, "at": a.at["units"]}
        for a in manual.assignments
        if a.product == product and a.client_id == client_id
    ]
    lock = next(
        (
            {"quota": lk.quota, "by": lk.by, "reason": lk.reason, "at": lk.at["quota"]}
            for lk in manual.locks
            if lk.product == product and lk.client_id == client_id
        ),
        None,
    )
    return {"assignments": assignments, "lock": lock}


def rules_only(quotas: pl.DataFrame) -> pl.DataFrame:
    """The quotas the policy gave: locked clients left out, assigned units taken off."""
    rows = quotas.filter(pl.col("source") != LOCK)
    if "assigned" not in rows.columns:
        return rows
    return rows.with_columns(
        (pl.col("entitled") - pl.col("assigned")).alias("entitled"),
        (pl.col("quota") - pl.col("assigned")).alias("quota"),
    )


def locked_units(quotas: pl.DataFrame) -> int:
    """Units held by locks (they count against the supply the policy shares)."""
    return int(quotas.filter(pl.col("source") == LOCK)["quota"].sum())
