"""A tiering file checked beyond its types and compiled into frozen rules.

Checks: fields each rule reads are declared, tiers are on their ladders, ids are unique,
`derive` expressions parse and name known columns, ladders match the values of their `by` field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from allocator.inputs.condition_compiler import too_complex
from allocator.inputs.conditions import (
    COMBINATORS,
    Cond,
    FieldKind,
    did_you_mean,
    equals_value,
    limited_suggestions,
    parse_condition,
)
from allocator.inputs.expressions import Col, Expr, ExpressionError, columns_of, parse_expression
from allocator.inputs.ladders import Ladders
from allocator.inputs.models import FieldSpec, TieringFile
from allocator.inputs.rule_files import Loaded, raise_problems, read_model
from allocator.inputs.safe_yaml import Document, PathT, Problem

RESERVED = ("client_id", "ladder", "tier")


@dataclass(frozen=True)
class Placement:
    id: str
    ladders: tuple[str, ...]
    cond: Cond
    tier: str


@dataclass(frozen=True)
class Adjustment:
    id: str
    ladders: tuple[str, ...]
    cond: Cond
    steps: int  # positive demotes (towards the last tier), negative promotes


@dataclass(frozen=True)
class TieringRules:
    """Everything the pipeline needs from a tiering file, checked."""

    file: str
    sha256: str
    fields: dict[str, FieldSpec]
    derive: dict[str, Expr]
    by: str | None
    ladders: dict[str, tuple[str, ...]]
    placement: tuple[Placement, ...]
    default_tier: dict[str, str]
    adjust: tuple[Adjustment, ...]
    max_up: int | None
    max_down: int | None
    current_field: str | None
    names: dict[str, FieldKind]
    source: Document | None = field(default=None, compare=False, repr=False)  # the file as parsed

    @cached_property
    def ladder_table(self) -> Ladders:
        """The (ladder, tier, rank) table of these ladders."""
        return Ladders(self.ladders)

    def all_tiers(self) -> tuple[str, ...]:
        """Every tier name on any ladder, in ladder order, without repeats."""
        seen: dict[str, None] = {}
        for tiers in self.ladders.values():
            seen.update(dict.fromkeys(tiers))
        return tuple(seen)


def field_kind(spec: FieldSpec, all_tiers: tuple[str, ...]) -> FieldKind:
    """How conditions may use a declared field."""
    if spec.type == "category":
        return FieldKind("category", tuple(spec.values or ()))
    if spec.type == "tier":
        return FieldKind("tier", all_tiers)
    return FieldKind(spec.type)


def check_fields(doc: Document, raw: Any, prefix: tuple[str, ...], problems: list[Problem]) -> None:
    """Problems in a `fields:` mapping that its types alone do not show."""
    if not isinstance(raw, dict):
        return
    for name, spec in raw.items():
        path = (*prefix, name)
        if name in RESERVED:
            problems.append(doc.problem(path, f"'{name}' is a reserved name; choose another", key=True))
        if isinstance(name, str) and name.startswith("_"):
            msg = f"'{name}': names starting with '_' are kept for the tool's own columns; choose another"
            problems.append(doc.problem(path, msg, key=True))
        if name in COMBINATORS:
            msg = (
                f"'{name}' cannot be a field name: in `when:` it combines conditions (all, any, not); rename the column"
            )
            problems.append(doc.problem(path, msg, key=True))
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type")
        if kind == "category" and not spec.get("values"):
            problems.append(doc.problem(path, "a category field needs 'values', the list of allowed values"))
        if kind != "category" and "values" in spec:
            problems.append(
                doc.problem((*path, "values"), f"'values' applies to category fields, not {kind}", key=True)
            )
        if kind not in ("number", "integer"):
            for key in ("min", "max"):
                if key in spec:
                    msg = f"'{key}' applies to number and integer fields, not {kind}"
                    problems.append(doc.problem((*path, key), msg, key=True))
        lo, hi = spec.get("min"), spec.get("max")
        if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
            problems.append(doc.problem((*path, "max"), f"max {hi} is below min {lo}"))


@limited_suggestions()
def load_tiering(path: Path) -> TieringRules:
    """Read, check and compile a tiering file; raise RuleFileError listing every problem."""
    return compile_tiering(read_model(path, TieringFile, "tiering"))


@limited_suggestions()
def compile_tiering(loaded: Loaded[TieringFile]) -> TieringRules:
    """Check a loaded tiering document beyond its types and compile it; raise on any problem."""
    doc, problems = loaded.doc, list(loaded.problems)
    data = doc.data
    check_fields(doc, data.get("fields"), ("fields",), problems)
    fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    ladders, by = _check_ladders(doc, data.get("ladders"), fields, problems)
    all_tiers = tuple(dict.fromkeys(t for ts in ladders.values() for t in ts))
    names = {n: raw_field_kind(s, all_tiers) for n, s in fields.items()}
    derive = _check_derive(doc, data.get("derive"), names, problems)
    names.update({n: FieldKind("number") for n in derive})
    ids: dict[str, tuple[str, int]] = {}
    placement = [
        Placement(r["id"], lad, cond, r["tier"])
        for r, lad, cond in _rules(doc, data, "placement", names, ladders, by, ids, problems)
    ]
    adjust = [
        Adjustment(r["id"], lad, cond, r.get("demote") or -(r.get("promote") or 0))
        for r, lad, cond in _rules(doc, data, "adjust", names, ladders, by, ids, problems)
    ]
    for i, r in enumerate(as_list(data.get("adjust"))):
        if isinstance(r, dict) and ("demote" in r) == ("promote" in r):
            problems.append(doc.problem(("adjust", i), "give exactly one of 'demote' or 'promote'"))
    default_tier = _check_default(doc, data.get("default_tier"), ladders, problems)
    tier_fields = [n for n, s in fields.items() if isinstance(s, dict) and s.get("type") == "tier"]
    for extra in tier_fields[1:]:
        msg = f"only one field may have type tier (the current tier); '{tier_fields[0]}' already does"
        problems.append(doc.problem(("fields", extra, "type"), msg))
    raise_problems(problems)
    model = loaded.model
    assert model is not None
    return TieringRules(
        file=doc.file,
        sha256=loaded.sha256,
        fields=dict(model.fields),
        derive=derive,
        by=by,
        ladders=ladders,
        placement=tuple(placement),
        default_tier=default_tier,
        adjust=tuple(adjust),
        max_up=model.moves.max_up,
        max_down=model.moves.max_down,
        current_field=tier_fields[0] if tier_fields else None,
        names=names,
        source=doc,
    )


def as_list(raw: Any) -> list[Any]:
    """A section that should be a list, or nothing: a wrong type is the model's located message."""
    return raw if isinstance(raw, list) else []


def as_mapping(raw: Any) -> dict[Any, Any]:
    """A section that should be a mapping, or nothing: a wrong type is the model's located message."""
    return raw if isinstance(raw, dict) else {}


def raw_field_kind(spec: Any, all_tiers: tuple[str, ...]) -> FieldKind:
    """A field's kind from its `type` alone, so one bad key elsewhere in the spec misleads nothing."""
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind == "category":
        values = spec.get("values")
        return FieldKind("category", tuple(str(v) for v in values) if isinstance(values, list) else ())
    if kind == "tier":
        return FieldKind("tier", all_tiers)
    if kind in ("number", "integer", "text"):
        return FieldKind(kind)
    return FieldKind("any")


def _check_ladders(
    doc: Document, raw: Any, fields: dict[str, Any], problems: list[Problem]
) -> tuple[dict[str, tuple[str, ...]], str | None]:
    if not isinstance(raw, dict):
        return {}, None
    by = raw.get("by")
    ladders: dict[str, tuple[str, ...]] = {}
    for name, tiers in raw.items():
        if name == "by":
            continue
        if not isinstance(tiers, list):
            problems.append(doc.problem(("ladders", name), "a ladder is a list of tiers, best first"))
            continue
        if not tiers:
            problems.append(doc.problem(("ladders", name), "the ladder is empty; list its tiers, best first"))
            continue
        seen: set[str] = set()
        for i, t in enumerate(tiers):
            if not isinstance(t, str):
                problems.append(doc.problem(("ladders", name, i), f"a tier name must be text, got {t!r}"))
            elif t in seen:
                problems.append(doc.problem(("ladders", name, i), f"tier '{t}' appears twice on this ladder"))
            seen.add(str(t))
        ladders[name] = tuple(str(t) for t in tiers)
    if by is None:
        if len(ladders) > 1:
            msg = "several ladders need 'by', the category field that picks a client's ladder"
            problems.append(doc.problem(("ladders",), msg))
        if not ladders:
            problems.append(doc.problem(("ladders",), "no ladder given; list at least one"))
        return ladders, None
    if not isinstance(by, str):
        problems.append(doc.problem(("ladders", "by"), "'by' names a category field"))
        return ladders, None
    spec = fields.get(by)
    if not isinstance(spec, dict) or spec.get("type") != "category":
        hint = "" if by in fields else did_you_mean(by, fields)
        what = "is not a declared field" if by not in fields else "is not a category field"
        problems.append(doc.problem(("ladders", "by"), f"'{by}' {what}{hint}"))
        return ladders, by
    values = [str(v) for v in as_list(spec.get("values"))]
    for name in ladders:
        if name not in values:
            hint = did_you_mean(name, values) or f"; {by} takes " + ", ".join(values)
            problems.append(doc.problem(("ladders", name), f"no client has {by} '{name}'{hint}", key=True))
    for v in values:
        if v not in raw:
            problems.append(doc.problem(("ladders",), f"{by} value '{v}' has no ladder"))
    return ladders, by


def _check_derive(doc: Document, raw: Any, names: dict[str, FieldKind], problems: list[Problem]) -> dict[str, Expr]:
    out: dict[str, Expr] = {}
    if not isinstance(raw, dict):
        return out
    for name, text in raw.items():
        path = ("derive", name)
        if name in names or name in RESERVED:
            problems.append(doc.problem(path, f"'{name}' is already a field; choose another name", key=True))
            continue
        if isinstance(name, str) and name.startswith("_"):
            msg = f"'{name}': names starting with '_' are kept for the tool's own columns; choose another"
            problems.append(doc.problem(path, msg, key=True))
            continue
        if not isinstance(text, str):
            if isinstance(text, int | float) and not isinstance(text, bool):
                text = str(text)
            else:
                continue
        try:
            expr = parse_expression(text)
        except ExpressionError as exc:
            problems.append(doc.problem(path, f"{exc} at character {exc.position} of '{text}'"))
            continue
        bad = False
        for col in columns_of(expr):
            known = names.get(col.name)
            if col.name in out:
                continue
            if known is None:
                hint = did_you_mean(col.name, [*names, *out])
                msg = f"unknown column '{col.name}' at character {col.position} of '{text}'{hint}"
                problems.append(doc.problem(path, msg))
                bad = True
            elif known.kind not in ("number", "integer"):
                msg = f"'{col.name}' is a {known.kind} field; arithmetic needs numbers"
                problems.append(doc.problem(path, msg))
                bad = True
        if not bad:
            out[name] = expr
    return out


def _rules(
    doc: Document,
    data: dict[str, Any],
    section: str,
    names: dict[str, FieldKind],
    ladders: dict[str, tuple[str, ...]],
    by: str | None,
    ids: dict[str, tuple[str, int]],
    problems: list[Problem],
) -> list[tuple[dict[str, Any], tuple[str, ...], Cond]]:
    out = []
    raw = data.get(section)
    if not isinstance(raw, list):
        return []
    for i, rule in enumerate(raw):
        if not isinstance(rule, dict):
            continue
        path = (section, i)
        rid = rule.get("id")
        if isinstance(rid, str):
            if rid in ids:
                first = ids[rid]
                line = doc.mark((first[0], first[1], "id"))[0]
                msg = f"duplicate rule id '{rid}' (first used at {first[0]}[{first[1]}], line {line})"
                problems.append(doc.problem((*path, "id"), msg))
            else:
                ids[rid] = (section, i)
        cond, issues = parse_condition(rule.get("when"), names, (*path, "when")) if "when" in rule else (None, [])
        for p, msg, at_key in issues:
            problems.append(doc.problem(p, msg, key=at_key))
        if cond is not None and not issues and (why := too_complex(cond)):
            issues.append(((*path, "when"), why, False))
            problems.append(doc.problem((*path, "when"), why))
        applies = _ladders_of(doc, rule, cond, ladders, by, path, problems)
        tier = rule.get("tier")
        if section == "placement" and isinstance(tier, str):
            every = tuple(dict.fromkeys(t for ts in ladders.values() for t in ts))
            problems.extend(tier_problems(doc, (*path, "tier"), tier, {lad: ladders[lad] for lad in applies}, every))
        complete = isinstance(tier, str) if section == "placement" else True
        if cond is not None and not issues and isinstance(rid, str) and complete:
            out.append((rule, applies, cond))
    return out


def _ladders_of(
    doc: Document,
    rule: dict[str, Any],
    cond: Cond | None,
    ladders: dict[str, tuple[str, ...]],
    by: str | None,
    path: tuple[str | int, ...],
    problems: list[Problem],
) -> tuple[str, ...]:
    """The ladders a rule can apply to: `ladder:`, else the `by` value its condition pins, else all."""
    named = rule.get("ladder")
    if isinstance(named, str):
        if named not in ladders:
            hint = did_you_mean(named, ladders) or "; ladders are " + ", ".join(ladders)
            problems.append(doc.problem((*path, "ladder"), f"unknown ladder '{named}'{hint}"))
            return ()
        return (named,)
    pinned = equals_value(cond, by) if cond is not None and by else None
    if pinned is not None and pinned in ladders:
        return (pinned,)
    return tuple(ladders)


def tier_problems(
    doc: Document, path: PathT, tier: str, ladders: dict[str, tuple[str, ...]], every: tuple[str, ...]
) -> list[Problem]:
    """`tier` must be on each of these ladders; a tier on no ladder at all is reported once."""
    if ladders and tier not in every:
        hint = did_you_mean(tier, every) or "; expected one of " + ", ".join(every)
        return [doc.problem(path, f"unknown tier '{tier}'{hint}")]
    out = []
    for lad, tiers in ladders.items():
        if tier not in tiers:
            hint = did_you_mean(tier, tiers) or "; its tiers are " + ", ".join(tiers)
            out.append(doc.problem(path, f"tier '{tier}' is not on ladder '{lad}'{hint}"))
    return out


def _check_default(
    doc: Document, raw: Any, ladders: dict[str, tuple[str, ...]], problems: list[Problem]
) -> dict[str, str]:
    out = {name: tiers[-1] for name, tiers in ladders.items()}
    if isinstance(raw, str):
        every = tuple(dict.fromkeys(t for ts in ladders.values() for t in ts))
        problems.extend(tier_problems(doc, ("default_tier",), raw, ladders, every))
        out.update({name: raw for name, tiers in ladders.items() if raw in tiers})
    elif isinstance(raw, dict):
        for name, tier in raw.items():
            if name not in ladders:
                hint = did_you_mean(name, ladders) or "; ladders are " + ", ".join(ladders)
                problems.append(doc.problem(("default_tier", name), f"unknown ladder '{name}'{hint}", key=True))
            elif isinstance(tier, str) and tier not in ladders[name]:
                hint = did_you_mean(tier, ladders[name]) or "; its tiers are " + ", ".join(ladders[name])
                problems.append(doc.problem(("default_tier", name), f"tier '{tier}' is not on ladder '{name}'{hint}"))
            elif isinstance(tier, str):
                out[name] = tier
    return out


__all__ = ["Adjustment", "Col", "Placement", "TieringRules", "load_tiering"]
