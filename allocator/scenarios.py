"""Scenario files: which snapshot and rule files to run, the period and seed, and variants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from allocator.allocation import Settings, default_settings
from allocator.allocation_rules import AllocationRules, load_allocation, resolve_table
from allocator.conditions import did_you_mean
from allocator.errors import RuleFileError
from allocator.files import display_path, raise_problems, read_model
from allocator.models import FieldSpec, ScenarioFile, Variant
from allocator.snapshots import Column
from allocator.tiering_rules import TieringRules, load_tiering
from allocator.yamlio import Document, Problem

BASE = "base"


@dataclass(frozen=True)
class Scenario:
    file: str
    sha256: str
    spec: ScenarioFile
    snapshot: Path
    tiering: TieringRules
    allocation: AllocationRules
    variants: dict[str, dict[str, Settings]]  # "base" first, then each variant by name

    def columns(self) -> dict[str, Column]:
        """The snapshot columns the rules read, with their checks."""
        return snapshot_columns(self.tiering, self.allocation)


def snapshot_columns(tiering: TieringRules, allocation: AllocationRules | None) -> dict[str, Column]:
    """Every snapshot column the rule files read: declared fields and order columns."""
    own = allocation.fields if allocation is not None else {}
    cols: dict[str, Column] = {}
    for name, spec in {**tiering.fields, **own}.items():
        allowed: tuple[str, ...] = ()
        if spec.type == "category":
            allowed = tuple(spec.values or ())
        elif spec.type == "tier":
            allowed = tiering.all_tiers()
        cols[name] = Column(name, spec, allowed)
    for p in allocation.products if allocation is not None else ():
        order = p.spec.order_column
        if order and order not in cols:
            cols[order] = Column(order, FieldSpec(type="integer", min=0))
    return cols


def load_rules(tiering: Path, allocation: Path) -> tuple[TieringRules, AllocationRules]:
    """Both rule files, checked against each other; every file's problems in one error."""
    t = load_tiering(tiering)
    return t, load_allocation(allocation, t)


def load_scenario(path: Path) -> Scenario:
    """Read a scenario and everything it names; raise one error listing every problem found."""
    loaded = read_model(path, ScenarioFile, "scenario")
    doc, problems = loaded.doc, list(loaded.problems)
    base = path.parent
    paths: dict[str, Path] = {}
    for key in ("snapshot", "tiering", "allocation"):
        value = doc.data.get(key)
        if isinstance(value, str):
            target = base / value
            if not target.is_file():
                what = "is a directory, not a file" if target.is_dir() else "no such file"
                problems.append(doc.problem((key,), f"{what}: {display_path(target)}"))
            paths[key] = target
    raise_problems(problems)
    spec = loaded.model
    assert spec is not None
    errors: list[str] = []
    tiering = allocation = None
    try:
        tiering = load_tiering(paths["tiering"])
        allocation = load_allocation(paths["allocation"], tiering)
    except RuleFileError as exc:
        errors.append(str(exc))
    if errors or tiering is None or allocation is None:
        raise RuleFileError("\n".join(errors))
    variants = _variants(doc, spec, (tiering, allocation))
    return Scenario(doc.file, loaded.sha256, spec, paths["snapshot"], tiering, allocation, variants)


def _variants(
    doc: Document, spec: ScenarioFile, scenario_rules: tuple[TieringRules, AllocationRules]
) -> dict[str, dict[str, Settings]]:
    """Settings per product for the base and each variant; raise listing every bad reference."""
    tiering, allocation = scenario_rules
    problems: list[Problem] = []
    products = {p.id: p for p in allocation.products}
    base = {pid: default_settings(p) for pid, p in products.items()}
    for pid, supply in spec.supply.items():
        if pid not in products:
            problems.append(doc.problem(("supply", pid), _unknown(pid, products), key=True))
        else:
            base[pid] = replace(base[pid], supply=supply)
    out = {BASE: base}
    for i, variant in enumerate(spec.variants):
        if variant.name in out:
            problems.append(doc.problem(("variants", i, "name"), f"variant name '{variant.name}' is used twice"))
            continue
        out[variant.name] = _apply(doc, i, variant, base, tiering, problems)
    raise_problems(problems)
    return out


def _unknown(pid: str, products: Mapping[str, object]) -> str:
    return f"unknown product '{pid}'" + (did_you_mean(pid, products) or "; products are " + ", ".join(products))


def _apply(
    doc: Document, i: int, variant: Variant, base: dict[str, Settings], tiering: TieringRules, problems: list[Problem]
) -> dict[str, Settings]:
    settings = dict(base)
    for key in ("supply", "supply_factor", "per_client", "rounding", "reserve"):
        for pid in getattr(variant, key):
            if pid not in base:
                problems.append(doc.problem(("variants", i, key, pid), _unknown(pid, base), key=True))
    for pid, s in base.items():
        if pid in variant.supply:
            s = replace(s, supply=variant.supply[pid])
        if pid in variant.supply_factor:
            factor = Fraction(str(variant.supply_factor[pid]))
            if factor < 0:
                msg = f"must be at least 0, got {float(factor)}"
                problems.append(doc.problem(("variants", i, "supply_factor", pid), msg))
            s = replace(s, supply=int(s.supply * max(factor, Fraction(0))))
        if pid in variant.rounding:
            s = replace(s, rounding=variant.rounding[pid])
        if pid in variant.per_client:
            path = ("variants", i, "per_client", pid)
            table = resolve_table(doc, doc.get(path), path, tiering, problems, integer=True)
            if table is not None:
                s = replace(s, entitlement={lad: {t: int(v) for t, v in row.items()} for lad, row in table.items()})
        if pid in variant.reserve:
            r = variant.reserve[pid]
            s = replace(
                s,
                reserve_share=Fraction(str(r.share)) if r and r.share is not None else None,
                reserve_amount=r.amount if r else None,
                reserve_owner=r.owner if r else None,
            )
        settings[pid] = s
    return settings
