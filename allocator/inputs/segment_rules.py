"""Checks of a product's `segments:` and `multiplier:` against the declared fields, all located.

`segments.by` must name category fields declared in the rule files (the snapshot column is then
read and checked like any other); chosen values must be values those fields declare; fixed
weights must name the values of exactly one `by` field (the pools are that field's values);
`orders` weights need an order column. A multiplier is a rule (`when`) and a whole factor; it
applies to `tier_amounts` (factor x the tier's amount) and `per_tier` (factor x the entitlement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allocator.inputs.condition_compiler import too_complex
from allocator.inputs.conditions import Cond, FieldKind, did_you_mean, parse_condition
from allocator.inputs.safe_yaml import Document, PathT, Problem

MULTIPLIED_POLICIES = ("tier_amounts", "per_tier")
SEPARATOR = " / "  # between the values of a segment of several fields, in labels and outputs


@dataclass(frozen=True)
class Scaling:
    """A compiled multiplier: clients matching `cond` get `factor` times their tier's amount."""

    id: str
    cond: Cond
    factor: int


def check_segments(
    doc: Document, raw: dict[str, Any], path: PathT, names: dict[str, FieldKind], problems: list[Problem]
) -> str | None:
    """Check `segments:` of one product; the field that fixed weights name (None without them)."""
    seg = raw.get("segments")
    if not isinstance(seg, dict):
        return None
    spath = (*path, "segments")
    by = [f for f in seg.get("by") or [] if isinstance(f, str)]
    kinds: dict[str, FieldKind] = {}
    for i, field in enumerate(by):
        kind = names.get(field)
        if kind is None:
            problems.append(doc.problem((*spath, "by", i), f"unknown field '{field}'{did_you_mean(field, names)}"))
        elif kind.kind != "category":
            problems.append(doc.problem((*spath, "by", i), f"'{field}' is a {kind.kind} field; segments need category fields"))
        else:
            kinds[field] = kind
    if len(kinds) != len(by):
        return None
    _check_values(doc, seg.get("values"), (*spath, "values"), by, kinds, problems)
    return _weights(doc, raw, seg.get("weights"), spath, by, kinds, problems)


def _check_values(
    doc: Document, values: Any, path: PathT, by: list[str], kinds: dict[str, FieldKind], problems: list[Problem]
) -> None:
    if not isinstance(values, list):
        return
    seen: dict[str, int] = {}
    for j, item in enumerate(values):
        parts = [item] if isinstance(item, str) else item if isinstance(item, list) else []
        if len(parts) != len(by):
            want = "one value" if len(by) == 1 else f"a list of {len(by)} values ({', '.join(by)})"
            problems.append(doc.problem((*path, j), f"a segment here is {want}"))
            continue
        for field, value in zip(by, parts, strict=True):
            allowed = kinds[field].values
            if allowed and value not in allowed:
                hint = did_you_mean(str(value), allowed)
                problems.append(doc.problem((*path, j), f"'{value}' is not a value of {field}{hint}"))
        label = SEPARATOR.join(str(p) for p in parts)
        if label in seen:
            problems.append(doc.problem((*path, j), f"segment '{label}' is chosen twice (first at values[{seen[label]}])"))
        seen.setdefault(label, j)


def _weights(
    doc: Document,
    raw: dict[str, Any],
    weights: Any,
    spath: PathT,
    by: list[str],
    kinds: dict[str, FieldKind],
    problems: list[Problem],
) -> str | None:
    if weights == "orders" and not raw.get("order_column"):
        problems.append(doc.problem((*spath, "weights"), "weights by orders need the product's order_column"))
    if not isinstance(weights, dict):
        return None
    if not any(isinstance(v, int | float) and v > 0 for v in weights.values()):
        problems.append(doc.problem((*spath, "weights"), "at least one weight must be above 0"))
    if len(by) == 1:
        field = by[0]
        allowed = kinds[field].values
        for key in weights:
            if allowed and key not in allowed:
                msg = f"'{key}' is not a value of {field}{did_you_mean(str(key), allowed)}"
                problems.append(doc.problem((*spath, "weights", key), msg, key=True))
        return field
    fits = [f for f in by if kinds[f].values and all(k in kinds[f].values for k in weights)]
    if len(fits) == 1:
        return fits[0]
    if fits:
        msg = f"the weights name values of {' and of '.join(fits)}; they must name the values of one field only"
    else:
        stray = [str(k) for k in weights if not any(k in kinds[f].values for f in by)] or [str(k) for k in weights]
        shown = ", ".join(f"'{k}'" for k in stray)
        msg = f"the weights must name the values of one of {', '.join(by)}; {shown} is not a value of any of them"
    problems.append(doc.problem((*spath, "weights"), msg))
    return None


def compile_multipliers(
    doc: Document, raw: dict[str, Any], path: PathT, names: dict[str, FieldKind], problems: list[Problem]
) -> tuple[Scaling, ...]:
    """The product's multipliers as compiled rules; problems located under `multiplier`."""
    rules = [r for r in raw.get("multiplier") or [] if isinstance(r, dict)]
    if rules and raw.get("policy", "per_tier") not in MULTIPLIED_POLICIES:
        problems.append(doc.problem((*path, "multiplier"), "a multiplier applies to policy tier_amounts or per_tier"))
    out = []
    ids: set[str] = set()
    for j, rule in enumerate(raw.get("multiplier") or []):
        if not isinstance(rule, dict) or "when" not in rule:
            continue
        rpath = (*path, "multiplier", j)
        rid, factor = rule.get("id"), rule.get("factor")
        if isinstance(rid, str) and rid in ids:
            problems.append(doc.problem((*rpath, "id"), f"duplicate rule id '{rid}' in this product"))
        ids.add(str(rid))
        cond, issues = parse_condition(rule["when"], names, (*rpath, "when"))
        for p, msg, at_key in issues:
            problems.append(doc.problem(p, msg, key=at_key))
        if not issues and (why := too_complex(cond)):
            problems.append(doc.problem((*rpath, "when"), why))
            continue
        if not issues and isinstance(rid, str) and isinstance(factor, int):
            out.append(Scaling(rid, cond, factor))
    return tuple(out)
