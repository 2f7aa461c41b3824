"""Checks of a scenario's `partition:` against the rule files, every problem located.

`partition.by` must name a field the rule files declare (so its column is read and checked with
the others), of kind category or text, and not optional: every client belongs to exactly one
partition. Fixed weights must name values the field declares; `ordered` needs every product to
have an order column. A cycle's rounds are not partitioned (its round supplies are worked out
for the whole scenario, from the ledger).
"""

from __future__ import annotations

from collections.abc import Mapping

from allocator.inputs.conditions import did_you_mean
from allocator.inputs.models import FieldSpec, ScenarioFile
from allocator.inputs.product_rules import AllocationRules
from allocator.inputs.safe_yaml import Document, Problem
from allocator.inputs.tiering_rules import TieringRules

PARTITION_KINDS = ("category", "text")


def declared_fields(tiering: TieringRules, allocation: AllocationRules) -> dict[str, FieldSpec]:
    """Every field the two rule files declare, by name (the tiering file's first)."""
    return {**tiering.fields, **allocation.fields}


def partition_problems(
    doc: Document, spec: ScenarioFile, fields: Mapping[str, FieldSpec], allocation: AllocationRules
) -> list[Problem]:
    """What is wrong with the scenario's `partition:` (nothing when it has none)."""
    part = spec.partition
    if part is None:
        return []
    problems: list[Problem] = []
    found = fields.get(part.by)
    if found is None:
        hint = did_you_mean(part.by, fields) or (
            "; the fields the rule files declare are " + ", ".join(fields) if fields else ""
        )
        problems.append(doc.problem(("partition", "by"), f"unknown field '{part.by}'{hint}"))
    elif found.type not in PARTITION_KINDS:
        msg = f"'{part.by}' is a {found.type} field; partitions need a category or text field"
        problems.append(doc.problem(("partition", "by"), msg))
    elif found.optional:
        msg = f"'{part.by}' is optional; a partition field needs a value for every client (declare it without optional)"
        problems.append(doc.problem(("partition", "by"), msg))
    if isinstance(part.split, dict):
        allowed = found.values if found is not None and found.type == "category" else None
        for value in part.split:
            if allowed and value not in allowed:
                msg = f"'{value}' is not a value of {part.by}{did_you_mean(value, allowed)}"
                problems.append(doc.problem(("partition", "split", value), msg, key=True))
        if part.split and not any(part.split.values()):
            problems.append(doc.problem(("partition", "split"), "every weight is 0; give some partition a weight"))
        if not part.split:
            problems.append(doc.problem(("partition", "split"), "no weights; give each partition a weight"))
    elif part.split == "ordered":
        for p in allocation.products:
            if p.spec.order_column is None:
                msg = f"ordered: product '{p.id}' has no order_column to split its supply by; use clients or weights"
                problems.append(doc.problem(("partition", "split"), msg))
    if spec.cycle is not None:
        msg = "a cycle's rounds cannot be partitioned (its round supplies are the whole scenario's); remove one of them"
        problems.append(doc.problem(("partition",), msg, key=True))
    return problems


__all__ = ["PARTITION_KINDS", "declared_fields", "partition_problems"]
