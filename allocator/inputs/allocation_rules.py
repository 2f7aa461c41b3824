"""An allocation file checked against its tiering rules and compiled into frozen products.

Entitlement tables (`per_client`, `weights`) are given for every ladder at once
(`{A: 5, B: 3}`) or per ladder (`{city: {A: 5}, village: {A: 3}}`); every tier of every ladder
needs a value, and values may not increase from a better tier to a worse one.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path
from typing import Any

from allocator.errors import RuleFileError
from allocator.inputs.alert_rules import alert_problems
from allocator.inputs.condition_compiler import too_complex
from allocator.inputs.conditions import FieldKind, did_you_mean, limited_suggestions, parse_condition
from allocator.inputs.models import MAX_QUANTITY, AllocationFile, FieldSpec
from allocator.inputs.plan_rules import compile_plans
from allocator.inputs.plan_sheets import NotAllocated
from allocator.inputs.product_rules import AllocationRules, Eligibility, ProductRules, window_tiers
from allocator.inputs.rule_files import Loaded, raise_problems, read_model
from allocator.inputs.safe_yaml import Document, PathT, Problem
from allocator.inputs.segment_rules import SEPARATOR, Scaling, check_segments, compile_multipliers
from allocator.inputs.tiering_rules import TieringRules, as_list, as_mapping, check_fields, field_kind

_POLICY_KEYS = {
    "per_tier": {"per_client"},
    "weighted": {"weights"},
    "priority": set(),
    "tier_amounts": {"target", "shape"},
}
_ONLY_FOR = {
    "ladder_split": ("tier_amounts",),
    "per_client": ("per_tier", "tier_amounts"),
    "weights": ("weighted",),
    "target": ("tier_amounts",),
    "shape": ("tier_amounts",),
}


_Checked = tuple[tuple[Eligibility, ...], str | None, tuple[Scaling, ...]]


def condition_names(tiering: TieringRules, fields: dict[str, FieldSpec], orders: list[str]) -> dict[str, FieldKind]:
    """What eligibility conditions may read: tiering fields, derived values, own fields, orders."""
    names = dict(tiering.names)
    all_tiers = tiering.all_tiers()
    names.update({n: field_kind(s, all_tiers) for n, s in fields.items()})
    names.update({o: FieldKind("integer") for o in orders})
    names["tier"] = FieldKind("tier", all_tiers)
    names["ladder"] = FieldKind("category", tuple(tiering.ladders))
    return names


@limited_suggestions()
def load_allocation(file: Path, tiering: TieringRules) -> AllocationRules:
    """Read, check and compile an allocation file for these tiering rules; raise on any problem."""
    return compile_allocation(read_model(file, AllocationFile, "allocation"), tiering)


@limited_suggestions()
def compile_allocation(loaded: Loaded[AllocationFile], tiering: TieringRules) -> AllocationRules:
    """Check a loaded allocation document against the tiering rules and compile it; raise on any problem."""
    doc, problems = loaded.doc, list(loaded.problems)
    data = doc.data
    check_fields(doc, data.get("fields"), ("fields",), problems)
    problems += alert_problems(doc, data)
    for name in as_mapping(data.get("fields")):
        if name in tiering.names:
            problems.append(doc.problem(("fields", name), f"'{name}' is already declared in {tiering.file}", key=True))
    own_fields = {n: FieldSpec.model_validate(s) for n, s in as_mapping(data.get("fields")).items() if _valid(s)}
    products = [p for p in as_list(data.get("products")) if isinstance(p, dict)]
    orders = [p["order_column"] for p in products if isinstance(p.get("order_column"), str)]
    names = condition_names(tiering, own_fields, orders)
    if not as_list(data.get("products")) and data.get("plans") is None:
        where = ("products",) if "products" in data else ()
        problems.append(doc.problem(where, "no products: list at least one under products:, or give a plans: sheet"))
    seen: dict[str, int] = {}
    compiled: list[tuple[int, dict[str, Any], _Checked]] = []
    for i, raw in enumerate(as_list(data.get("products"))):
        if isinstance(raw, dict):
            checked = _check_product(doc, i, raw, (tiering, own_fields, names), seen, problems)
            compiled.append((i, raw, checked))
    tables = {
        (i, key): resolve_table(doc, raw.get(key), ("products", i, key), tiering, problems, whole=key == "per_client")
        for i, raw, _ in compiled
        for key in ("per_client", "weights")
        if key in raw
    }
    windows = {
        i: window_tiers(doc, raw.get("window"), ("products", i, "window"), tiering, problems) for i, raw, _ in compiled
    }
    for i, raw, _ in compiled:
        _check_ladder_split(doc, raw.get("ladder_split"), ("products", i, "ladder_split"), tiering, problems)
    planned: list[ProductRules] = []
    skipped: tuple[NotAllocated, ...] = ()
    sheet_problems: list[str] = []
    plans = loaded.model.plans if loaded.model is not None else None
    if plans is not None:
        known = (tiering, own_fields, names)
        planned, skipped, sheet_problems = compile_plans(doc, plans, Path(loaded.path).parent, known, problems)
        for product in planned:
            if product.id in seen:
                msg = f"plan {product.id} of the plan sheet has the id of products[{seen[product.id]}]"
                problems.append(doc.problem(("plans",), msg))
    if sheet_problems:
        raise RuleFileError("\n".join([*(p.render() for p in sorted(set(problems))), *sheet_problems]))
    raise_problems(problems)
    model = loaded.model
    assert model is not None
    out = []
    for (i, _raw, (eligible, weighted, scaling)), spec in zip(compiled, model.products, strict=True):
        ent = tables.get((i, "per_client"))
        entitlement = {lad: {t: int(v) for t, v in row.items()} for lad, row in ent.items()} if ent else None
        out.append(ProductRules(spec, entitlement, tables.get((i, "weights")), eligible, windows[i], weighted, scaling))
    return AllocationRules(doc.file, loaded.sha256, own_fields, (*out, *planned), doc, skipped)


def _check_product(
    doc: Document,
    i: int,
    raw: dict[str, Any],
    known: tuple[TieringRules, dict[str, FieldSpec], dict[str, FieldKind]],
    seen: dict[str, int],
    problems: list[Problem],
) -> _Checked:
    """One product's id, order column, eligibility, policy keys, reserve, segments and multipliers;
    its eligibility rules, the field its segment weights name and its multipliers."""
    tiering, own_fields, names = known
    path: PathT = ("products", i)
    pid = raw.get("id")
    if isinstance(pid, str):
        if pid in seen:
            problems.append(
                doc.problem((*path, "id"), f"duplicate product id '{pid}' (first at products[{seen[pid]}])")
            )
        seen[pid] = i
    order = raw.get("order_column")
    if isinstance(order, str) and (order in tiering.names or order in own_fields):
        problems.append(doc.problem((*path, "order_column"), f"'{order}' is a declared field, not an order column"))
    eligible = _eligibility(doc, raw, path, names, problems)
    _check_policy_keys(doc, raw, path, problems, tuple(tiering.ladders))
    _check_reserve(doc, raw, path, problems)
    field = check_segments(doc, raw, path, names, problems)
    return eligible, field, compile_multipliers(doc, raw, path, names, problems)


def _check_ladder_split(doc: Document, split: Any, path: PathT, tiering: TieringRules, problems: list[Problem]) -> None:
    """A share for every ladder, at least one above 0, and no unknown ladder."""
    if not isinstance(split, dict):
        return
    for lad in tiering.ladders:
        if lad not in split:
            problems.append(doc.problem(path, f"ladder '{lad}' has no share; give every ladder one (0 keeps it out)"))
    if not any(isinstance(v, int | float) and v > 0 for v in split.values()):
        problems.append(doc.problem(path, "at least one ladder needs a share above 0"))
    for lad in split:
        if lad not in tiering.ladders:
            hint = did_you_mean(str(lad), tiering.ladders)
            problems.append(doc.problem((*path, lad), f"unknown ladder '{lad}'{hint}", key=True))


def _valid(spec: Any) -> bool:
    try:
        FieldSpec.model_validate(spec)
    except ValueError:
        return False
    return True


def _eligibility(
    doc: Document, raw: dict[str, Any], path: PathT, names: dict[str, FieldKind], problems: list[Problem]
) -> tuple[Eligibility, ...]:
    out = []
    ids: set[str] = set()
    for j, rule in enumerate(as_list(raw.get("eligible"))):
        if not isinstance(rule, dict):
            continue
        rpath = (*path, "eligible", j)
        rid = rule.get("id")
        if isinstance(rid, str) and rid in ids:
            problems.append(doc.problem((*rpath, "id"), f"duplicate rule id '{rid}' in this product"))
        if isinstance(rid, str):
            ids.add(rid)
        if "when" not in rule:
            continue
        cond, issues = parse_condition(rule["when"], names, (*rpath, "when"))
        for p, msg, at_key in issues:
            problems.append(doc.problem(p, msg, key=at_key))
        if not issues and (why := too_complex(cond)):
            issues.append(((*rpath, "when"), why, False))
            problems.append(doc.problem((*rpath, "when"), why))
        if not issues and isinstance(rid, str):
            out.append(Eligibility(rid, cond))
    return tuple(out)


def _check_policy_keys(
    doc: Document, raw: dict[str, Any], path: PathT, problems: list[Problem], ladders: tuple[str, ...]
) -> None:
    policy = raw.get("policy", "per_tier")
    if not isinstance(policy, str) or policy not in _POLICY_KEYS:  # a wrong type is the model's message
        return
    for key, policies in _ONLY_FOR.items():
        if key in raw and policy not in policies:
            msg = f"'{key}' applies to policy {' or '.join(policies)}, not {policy}"
            problems.append(doc.problem((*path, key), msg, key=True))
    if policy == "per_tier" and "per_client" not in raw:
        problems.append(doc.problem(path, "policy per_tier needs 'per_client', the cartons each tier is entitled to"))
    if policy == "weighted" and "weights" not in raw:
        problems.append(doc.problem(path, "policy weighted needs 'weights', each tier's weight"))
    if policy == "tier_amounts" and raw.get("shape") == "entitlement" and "per_client" not in raw:
        problems.append(doc.problem((*path, "shape"), "shape entitlement needs 'per_client', the ratios to follow"))
    if policy == "tier_amounts" and len(ladders) > 1 and "ladder_split" not in raw:
        msg = f"policy tier_amounts with several ladders needs 'ladder_split', how the supply is divided between {', '.join(ladders)}"
        problems.append(doc.problem(path, msg))
    lo, hi = raw.get("min_per_client"), raw.get("max_per_client")
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        problems.append(doc.problem((*path, "min_per_client"), f"min_per_client {lo} is above max_per_client {hi}"))


def _check_reserve(doc: Document, raw: dict[str, Any], path: PathT, problems: list[Problem]) -> None:
    reserve = raw.get("reserve")
    if isinstance(reserve, dict) and ("share" in reserve) == ("amount" in reserve):
        problems.append(doc.problem((*path, "reserve"), "give exactly one of 'share' or 'amount'"))
    supply = raw.get("supply")
    amount = reserve.get("amount") if isinstance(reserve, dict) else None
    if isinstance(amount, int) and isinstance(supply, int) and amount > supply:
        msg = f"reserve amount {amount} is above the supply {supply}"
        problems.append(doc.problem((*path, "reserve", "amount"), msg))
    if isinstance(reserve, dict):
        problems.extend(reserve_owner_problems(doc, reserve, raw.get("segments"), (*path, "reserve")))


def reserve_owner_problems(doc: Document, reserve: dict[str, Any], segments: Any, path: PathT) -> list[Problem]:
    """Who holds a reserve: exactly one of owner, owners, by_segment; by_segment names the pools of
    the product's segments (the values its weights name, or its chosen segments)."""
    given = [k for k in ("owner", "owners", "by_segment") if k in reserve]
    if len(given) != 1:
        listed = " and ".join(f"'{k}'" for k in given)
        why = f"it gives {listed}" if given else "it gives none"
        msg = f"say who holds the reserve with exactly one of 'owner', 'owners' or 'by_segment'; {why}"
        return [doc.problem(path, msg)]
    by_segment = reserve.get("by_segment")
    if not isinstance(by_segment, dict):
        return []
    pools = _pool_names(segments)
    if pools is None:
        msg = "by_segment needs the product's segments to have weights (one pool per segment or per weighted value)"
        return [doc.problem((*path, "by_segment"), msg)]
    problems = []
    for name in by_segment:
        if pools and name not in pools:
            msg = f"'{name}' is not a pool of the product's segments{did_you_mean(str(name), pools)}"
            problems.append(doc.problem((*path, "by_segment", str(name)), msg, key=True))
    missing = [p for p in pools if p not in by_segment]
    if missing:
        problems.append(doc.problem((*path, "by_segment"), f"no owner for the pools {', '.join(missing)}"))
    return problems


def _pool_names(segments: Any) -> list[str] | None:
    """The pools a segmented product's supply is split into, by name ([] when they are known only
    once the snapshot is read, `values: all`); None when it has one pool only."""
    if not isinstance(segments, dict) or segments.get("weights") is None:
        return None
    weights = segments["weights"]
    if isinstance(weights, dict):
        return [str(k) for k in weights]
    values = segments.get("values", "all")
    if not isinstance(values, list):
        return []
    return [v if isinstance(v, str) else SEPARATOR.join(map(str, v)) for v in values]


def resolve_table(
    doc: Document, raw: Any, path: PathT, tiering: TieringRules, problems: list[Problem], *, whole: bool
) -> dict[str, dict[str, Fraction]] | None:
    """A `per_client` (whole numbers) or `weights` table as {ladder: {tier: value}}; None when unusable.

    Values of the wrong type are left to the model's own message; values out of range are reported here.
    """
    if not isinstance(raw, dict) or not raw:
        return None
    nested = [isinstance(v, dict) for v in raw.values()]
    if any(nested) and not all(nested):
        problems.append(
            doc.problem(
                path, "give one value per tier ({A: 5, ...}) or one mapping per ladder ({city: {A: 5, ...}}), not both"
            )
        )
        return None
    if all(nested):
        rows = {}
        for lad, row in raw.items():
            if lad not in tiering.ladders:
                hint = did_you_mean(str(lad), tiering.ladders) or "; ladders are " + ", ".join(tiering.ladders)
                problems.append(doc.problem((*path, lad), f"unknown ladder '{lad}'{hint}", key=True))
                continue
            rows[lad] = (row, (*path, lad))
        for lad in tiering.ladders:
            if lad not in raw:
                problems.append(doc.problem(path, f"ladder '{lad}' has no values"))
    else:
        rows = {lad: (raw, path) for lad in tiering.ladders}
    out: dict[str, dict[str, Fraction]] = {}
    for lad, (row, rpath) in rows.items():
        tiers = tiering.ladders[lad]
        values: dict[str, Fraction] = {}
        for tier, v in row.items():
            if tier not in tiers and (all(nested) or not any(tier in ts for ts in tiering.ladders.values())):
                hint = did_you_mean(str(tier), tiers) or "; its tiers are " + ", ".join(tiers)
                problems.append(doc.problem((*rpath, tier), f"tier '{tier}' is not on ladder '{lad}'{hint}", key=True))
            elif _number(v, whole):
                why = _out_of_range(v)
                if why:
                    problems.append(doc.problem((*rpath, tier), why))
                elif tier in tiers:
                    values[tier] = Fraction(v)
        missing = [t for t in tiers if t not in row]
        if missing:
            problems.append(doc.problem(rpath, f"no value for tier {', '.join(missing)} of ladder '{lad}'"))
            continue
        ordered = [values.get(t) for t in tiers]
        for better, worse, t_b, t_w in zip(ordered, ordered[1:], tiers, tiers[1:], strict=False):
            if better is not None and worse is not None and worse > better:
                msg = f"{t_w} ({_fmt(worse)}) gets more than the better tier {t_b} ({_fmt(better)}) on ladder '{lad}'"
                problems.append(doc.problem((*rpath, t_w), msg))
        out[lad] = values
    return out


def _number(value: Any, whole: bool) -> bool:
    return isinstance(value, int if whole else int | float) and not isinstance(value, bool)


def _out_of_range(value: float) -> str | None:
    if not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if value < 0:
        return f"must be at least 0, got {value}"
    if value > MAX_QUANTITY:
        return f"must be at most {MAX_QUANTITY}, got {value}"
    return None


def _fmt(x: Fraction) -> str:
    return str(x.numerator) if x.denominator == 1 else str(float(x))
