"""Compiled allocation rules: what the pipeline needs of each product, checked.

Value objects only (and the tier window): made by `allocation_rules` from a file's products and
by `plan_rules` from a plan sheet's rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from allocator.inputs.conditions import Cond, did_you_mean
from allocator.inputs.models import FieldSpec, Product
from allocator.inputs.safe_yaml import Document, PathT, Problem
from allocator.inputs.segment_rules import Scaling
from allocator.inputs.tiering_rules import TieringRules


@dataclass(frozen=True)
class Eligibility:
    id: str
    cond: Cond


@dataclass(frozen=True)
class ProductRules:
    """One product's allocation, checked; tables resolved to {ladder: {tier: value}}."""

    spec: Product
    entitlement: dict[str, dict[str, int]] | None
    weights: dict[str, dict[str, Fraction]] | None
    eligible: tuple[Eligibility, ...]
    window: dict[str, tuple[str, ...]]  # per ladder, the tiers inside the window
    weighted_field: str | None = None  # the segments field whose values fixed weights name
    multipliers: tuple[Scaling, ...] = ()

    @property
    def id(self) -> str:
        return self.spec.id


@dataclass(frozen=True)
class AllocationRules:
    """Everything the pipeline needs from an allocation file, checked, with the document it came from."""

    file: str
    sha256: str
    fields: dict[str, FieldSpec]
    products: tuple[ProductRules, ...]
    source: Document | None = field(default=None, compare=False, repr=False)
    not_allocated: tuple[Any, ...] = ()  # plan-sheet rows not allocated (plan_sheets.NotAllocated), with the reason


def window_tiers(
    doc: Document, raw: Any, path: PathT, tiering: TieringRules, problems: list[Problem]
) -> dict[str, tuple[str, ...]]:
    """Per ladder, the tiers from `highest` to `lowest` (every tier without a window)."""
    full = dict(tiering.ladders)
    if not isinstance(raw, dict):
        return full
    hi, lo = raw.get("highest"), raw.get("lowest")
    out = {}
    for lad, tiers in tiering.ladders.items():
        if not isinstance(hi, str) or not isinstance(lo, str):
            return full
        bad = False
        for key, t in (("highest", hi), ("lowest", lo)):
            if t not in tiers:
                hint = did_you_mean(t, tiers) or "; its tiers are " + ", ".join(tiers)
                problems.append(doc.problem((*path, key), f"tier '{t}' is not on ladder '{lad}'{hint}"))
                bad = True
        if bad:
            continue
        a, b = tiers.index(hi), tiers.index(lo)
        if a > b:
            problems.append(doc.problem(path, f"highest tier {hi} is below lowest tier {lo} on ladder '{lad}'"))
            continue
        out[lad] = tiers[a : b + 1]
    return out
