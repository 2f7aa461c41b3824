"""The `plans:` section of an allocation file: products from a plan sheet, compiled.

The YAML parts (each method's settings, the rules of tags and remarks) are checked once, where
they are written, with file:line:col; the sheet's rows are checked by `plan_sheets` with row and
column. A row becomes a product like one written under `products:` (its id is the row's code);
rows the tool cannot allocate are kept with their reason, never dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from allocator.inputs.conditions import Cond, FieldKind, parse_condition
from allocator.inputs.models import FieldSpec, Plans, Product
from allocator.inputs.plan_sheets import NotAllocated, plan_products, read_plan_sheet
from allocator.inputs.product_rules import Eligibility, ProductRules, window_tiers
from allocator.inputs.rule_files import display_path
from allocator.inputs.safe_yaml import Document, PathT, Problem
from allocator.inputs.segment_rules import Scaling
from allocator.inputs.tiering_rules import TieringRules

PLANS: PathT = ("plans",)


def compile_plans(
    doc: Document,
    plans: Plans,
    base: Path,
    known: tuple[TieringRules, dict[str, FieldSpec], dict[str, FieldKind]],
    problems: list[Problem],
) -> tuple[list[ProductRules], tuple[NotAllocated, ...], list[str]]:
    """The plan sheet's products, its rows not allocated, and the sheet's problems (row and column)."""
    tiering, own_fields, names = known
    _check_yaml(doc, plans, names, problems)
    if problems:
        return [], (), []
    path = base / plans.file
    table = read_plan_sheet(path, display_path(path), plans.sheet)
    fields = {**tiering.fields, **own_fields}
    found = plan_products(plans, table, fields, ladders=tiering.ladders)
    if found.problems:
        return [], tuple(found.not_allocated), list(found.problems)
    out = [_product(doc, raw, tiering, names, plans) for raw in found.products]
    return out, tuple(found.not_allocated), []


def _check_yaml(doc: Document, plans: Plans, names: dict[str, FieldKind], problems: list[Problem]) -> None:
    """Each method's settings as a product's, and every rule of methods, tags and remarks."""
    for method, settings in plans.methods.items():
        where = (*PLANS, "methods", method)
        try:
            Product.model_validate({"id": "plan", "supply": 0, **settings})
        except ValidationError as exc:
            for err in exc.errors():
                at = (*where, *(str(x) for x in err["loc"]))
                problems.append(doc.problem(at, f"{err['msg']} (in the settings of method {method})"))
        if settings.get("policy", "per_tier") in ("per_tier", "weighted"):
            msg = f"method {method}: a plan's product needs policy tier_amounts or priority (per_tier and weighted need a table per tier)"
            problems.append(doc.problem(where, msg, key=True))
        for j, rule in enumerate(settings.get("eligible") or []):
            if isinstance(rule, dict):
                _condition(doc, rule.get("when"), (*where, "eligible", j, "when"), names, problems)
    for tag, rules in plans.tags.items():
        for j, rule in enumerate(rules):
            _condition(doc, rule.when, (*PLANS, "tags", tag, j, "when"), names, problems)
    for remark, multipliers in plans.remarks.items():
        for j, m in enumerate(multipliers):
            _condition(doc, m.when, (*PLANS, "remarks", remark, j, "when"), names, problems)


def _condition(
    doc: Document, raw: Any, path: PathT, names: dict[str, FieldKind], problems: list[Problem]
) -> Cond | None:
    cond, issues = parse_condition(raw, names, path)
    for p, msg, at_key in issues:
        problems.append(doc.problem(p, msg, key=at_key))
    return None if issues else cond


def _product(
    doc: Document, raw: dict[str, Any], tiering: TieringRules, names: dict[str, FieldKind], plans: Plans
) -> ProductRules:
    """One row's product; its rules were checked in the YAML and its cells by plan_sheets."""
    spec = Product.model_validate(raw)
    quiet: list[Problem] = []  # every problem here was reported where it is written
    eligible = tuple(
        Eligibility(r.id, c) for r in spec.eligible if (c := _condition(doc, r.when, (), names, quiet)) is not None
    )
    scaling = tuple(
        Scaling(m.id, c, m.factor) for m in spec.multiplier if (c := _condition(doc, m.when, (), names, quiet)) is not None
    )
    window = window_tiers(doc, raw.get("window"), PLANS, tiering, quiet)
    weighted = None
    if spec.segments is not None and isinstance(spec.segments.weights, dict):
        weighted = next((f for f in spec.segments.by if f in plans.weights), spec.segments.by[0])
    return ProductRules(spec, None, None, eligible, window, weighted, scaling)
