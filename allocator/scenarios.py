"""Scenario files: which snapshot and rule files to run, the period and seed, and variants."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from allocator.allocation import Settings, default_settings
from allocator.allocation_rules import AllocationRules, load_allocation
from allocator.conditions import did_you_mean
from allocator.errors import AllocatorError, RuleFileError
from allocator.files import raise_problems, read_model
from allocator.models import ScenarioFile, Variant
from allocator.snapshots import Column
from allocator.tiering_rules import TieringRules, load_tiering
from allocator.models import FieldSpec
from allocator.yamlio import Problem

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
        t = self.tiering
        cols: dict[str, Column] = {}
        for name, spec in {**t.fields, **self.allocation.fields}.items():
            allowed: tuple[str, ...] = ()
            if spec.type == "category":
                allowed = tuple(spec.values or ())
            elif spec.type == "tier":
                allowed = t.all_tiers()
            cols[name] = Column(name, spec, allowed)
        for p in self.allocation.products:
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
                problems.append(doc.problem((key,), f"{what}: {target}"))
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
    variants = _variants(doc_problems := [], spec, allocation, doc)
    raise_problems(doc_problems)
    return Scenario(doc.file, loaded.sha256, spec, paths["snapshot"], tiering, allocation, variants)


def _variants(problems: list[Problem], spec: ScenarioFile, allocation: AllocationRules, doc: object) -> dict[str, dict[str, Settings]]:
    from allocator.yamlio import Document

    assert isinstance(doc, Document)
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
        out[variant.name] = _apply(variant, base, products, problems, doc, i)
    return out


def _unknown(pid: str, products: dict[str, object]) -> str:
    return f"unknown product '{pid}'" + (did_you_mean(pid, products) or "; products are " + ", ".join(products))


def _apply(variant: Variant, base: dict[str, Settings], products: dict[str, object], problems: list[Problem], doc: object, i: int) -> dict[str, Settings]:
    from allocator.yamlio import Document

    assert isinstance(doc, Document)
    settings = dict(base)
    for key in ("supply", "supply_factor", "per_client", "rounding", "reserve"):
        for pid in getattr(variant, key):
            if pid not in products:
                problems.append(doc.problem(("variants", i, key, pid), _unknown(pid, products), key=True))
    for pid, s in list(settings.items()):
        if pid in variant.supply:
            s = replace(s, supply=variant.supply[pid])
        if pid in variant.supply_factor:
            factor = Fraction(str(variant.supply_factor[pid]))
            if factor < 0:
                problems.append(doc.problem(("variants", i, "supply_factor", pid), f"must be at least 0, got {float(factor)}"))
            s = replace(s, supply=int(s.supply * factor))
        if pid in variant.rounding:
            s = replace(s, rounding=variant.rounding[pid])
        if pid in variant.per_client:
            s = replace(s, entitlement=_table(variant.per_client[pid], s, doc, (" variants", i, "per_client", pid), problems))
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


def _table(raw: dict[str, object], s: Settings, doc: object, path: tuple[object, ...], problems: list[Problem]) -> dict[str, dict[str, int]] | None:
    base = s.entitlement
    if base is None:
        return None
    out = {lad: dict(row) for lad, row in base.items()}
    for key, value in raw.items():
        if isinstance(value, dict):
            for tier, v in value.items():
                if key in out:
                    out[key][tier] = int(v)
        else:
            for row in out.values():
                if key in row:
                    row[key] = int(value)  # type: ignore[call-overload]
    return out


__all__ = ["BASE", "AllocatorError", "Scenario", "load_rules", "load_scenario"]
