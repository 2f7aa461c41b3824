"""`allocator explain`: why one client has its tier and its quotas, step by step.

The tier and quotas come from the real run (`run`, base variant); every truth value
shown is recomputed with `conditions.evaluate` on the client's row, and the chain is checked
against the run's own answers (placed_by, adjustments, tier, excluded_by, claim), so the
explanation never contradicts the outputs: a disagreement is a bug and raises.
"""

from __future__ import annotations

import difflib
import math
from fractions import Fraction
from typing import Any

import polars as pl

from allocator.errors import AllocatorError
from allocator.inputs.conditions import All, Compare, Cond, Not, did_you_mean, evaluate
from allocator.inputs.expressions import columns_of, evaluate_row
from allocator.inputs.product_rules import ProductRules
from allocator.inputs.rule_files import display_path
from allocator.inputs.tiering_rules import TieringRules
from allocator.pipeline.allocation import ProductResult
from allocator.pipeline.run import RunResult, VariantResult
from allocator.pipeline.segments import OUTSIDE as NOT_IN_SEGMENTS
from allocator.pipeline.segments import plan_segments
from allocator.review.explain_hand import hand_of, locked_units, rules_only
from allocator.review.explain_sentence import sentence, with_hand

Json = dict[str, Any]


class InconsistentExplanation(RuntimeError):
    """The recomputed chain disagrees with the run: a bug, never a user error."""


def explain_client(client_id: str, result: RunResult, variant: str | None = None) -> Json:
    """The whole chain for one client of a run, JSON-serialisable: inputs, rules, tier, quotas.

    `variant` names one of the scenario's variants (None: the base): its own thresholds place the
    client, and its supply, per_client, rounding and reserve decide the quotas. The derived
    values' expressions are shown as written, from the tiering file's own document."""
    chosen = _variant(result, variant)
    table = result.clients
    matches = table.filter(pl.col("client_id") == client_id)
    if matches.height == 0:
        raise AllocatorError(_unknown(client_id, table["client_id"].to_list(), result))
    row = {k: v for k, v in matches.row(0, named=True).items() if k != "_row"}
    own = chosen.tiers if chosen.tiers is not None else result.tiers
    tiers = own.filter(pl.col("client_id") == client_id).row(0, named=True)
    rules = result.scenario.variant_tiering.get(chosen.name, result.scenario.tiering)
    out: Json = {
        "client_id": client_id,
        "scenario": result.scenario.spec.name,
        "scenario_file": result.scenario.file,
        "period": result.scenario.spec.period,
        "seed": result.scenario.spec.seed,
        "variant": chosen.name,
        "ladder": row["ladder"],
        "inputs": _inputs(result, row),
        "derived": _derived(rules, row),
    }
    out["placement"] = _placement(rules, row, tiers)
    out["adjustments"] = _adjustments(rules, row, tiers, out["placement"]["tier"])
    tier = out["adjustments"][-1]["tier_after"] if out["adjustments"] else out["placement"]["tier"]
    out["moves"] = _moves(rules, row, tier, tiers)
    out["tier"] = tiers["tier"]
    out["products"] = [_product(p, result, chosen, row, tiers) for p in result.scenario.allocation.products]
    return out


def _variant(result: RunResult, name: str | None) -> VariantResult:
    """The run's variant of that name (the base when None); an unknown name is a user error."""
    if name is None:
        return result.variants[0]
    names = [v.name for v in result.variants]
    if name in names:
        return result.variants[names.index(name)]
    where = result.scenario.file
    hint = did_you_mean(name, names) or f"; its variants are {', '.join(names)}"
    raise AllocatorError(f"unknown variant '{name}' of {where}{hint}")


def _unknown(client_id: str, ids: list[str], result: RunResult) -> str:
    where = display_path(result.scenario.snapshot)
    found = difflib.get_close_matches(client_id, ids, n=20, cutoff=0.6)
    score = {c: difflib.SequenceMatcher(None, client_id, c).ratio() for c in found}
    close = [f"'{c}'" for c in sorted(found, key=lambda c: (-score[c], c))[:3]]
    if not close:
        return f"unknown client '{client_id}': not in {where} ({len(ids)} clients)"
    hint = close[0] if len(close) == 1 else ", ".join(close[:-1]) + " or " + close[-1]
    return f"unknown client '{client_id}' in {where}; did you mean {hint}?"


def _inputs(result: RunResult, row: Json) -> list[Json]:
    """The declared fields of both rule files, then the order columns, with the client's values."""
    s = result.scenario
    cols: dict[str, str] = {n: f.type for n, f in {**s.tiering.fields, **s.allocation.fields}.items()}
    for p in s.allocation.products:
        if p.spec.order_column and p.spec.order_column not in cols:
            cols[p.spec.order_column] = "order"
    return [{"field": n, "type": t, "value": row.get(n)} for n, t in cols.items()]


def _inconsistent(what: str, mine: object, run: object) -> InconsistentExplanation:
    return InconsistentExplanation(f"explain disagrees with the run on {what}: explained {mine!r}, run gave {run!r}")


def _derived(rules: TieringRules, row: Json) -> list[Json]:
    raw = rules.source.data.get("derive") or {} if rules.source is not None else {}
    out = []
    for name, expr in rules.derive.items():
        value = evaluate_row(expr, row)
        ran = row.get(name)
        if (value is None) != (ran is None) or (value is not None and ran is not None and not math.isclose(value, ran)):
            raise _inconsistent(f"derived value {name}", value, ran)
        note = None
        if value is None:
            empty = [c.name for c in columns_of(expr) if row.get(c.name) is None]
            note = f"{', '.join(empty)} is empty" if empty else "division by zero"
        out.append({"name": name, "expression": str(raw.get(name, "")), "value": value, "note": note})
    return out


def condition(cond: Cond, row: Json) -> Json:
    """A condition tree with the client's value and the truth value of every part."""
    result = evaluate(cond, row)
    if isinstance(cond, Compare):
        limit = list(cond.value) if isinstance(cond.value, tuple) else cond.value
        return {"field": cond.field, "op": cond.op, "threshold": limit, "value": row.get(cond.field), "result": result}
    if isinstance(cond, Not):
        return {"not": condition(cond.item, row), "result": result}
    return {"all" if isinstance(cond, All) else "any": [condition(c, row) for c in cond.items], "result": result}


def _scope(ladders: tuple[str, ...], rules: TieringRules) -> list[str] | None:
    return None if len(ladders) == len(rules.ladders) else list(ladders)


def _placement(rules: TieringRules, row: Json, tiers: Json) -> Json:
    placed_by = None
    out = []
    for r in rules.placement:
        item: Json = {"id": r.id, "ladders": _scope(r.ladders, rules), "tier": r.tier}
        if placed_by is not None:
            out.append({**item, "status": "not tested", "matched": None})
            continue
        on_ladder = row["ladder"] in r.ladders
        detail = condition(r.cond, row)
        matched = on_ladder and detail["result"]
        placed_by = r.id if matched else None
        status = "matched" if matched else "no match" if on_ladder else "other ladder"
        out.append({**item, "status": status, "matched": matched, "when": detail})
    if placed_by != tiers["placed_by"]:
        raise _inconsistent("placed_by", placed_by, tiers["placed_by"])
    tier = {r.id: r.tier for r in rules.placement}[placed_by] if placed_by else rules.default_tier[row["ladder"]]
    return {"rules": out, "placed_by": placed_by, "tier": tier, "default_tier": placed_by is None}


def _adjustments(rules: TieringRules, row: Json, tiers: Json, tier: str) -> list[Json]:
    ladder = rules.ladders[row["ladder"]]
    out, hits = [], []
    for r in rules.adjust:
        detail = condition(r.cond, row)
        on_ladder = row["ladder"] in r.ladders
        matched = on_ladder and detail["result"]
        before = tier
        if matched:
            hits.append(r.id)
            tier = ladder[min(max(ladder.index(tier) + r.steps, 0), len(ladder) - 1)]
        status = "applied" if matched else "no match" if on_ladder else "other ladder"
        item = {"id": r.id, "ladders": _scope(r.ladders, rules), "steps": r.steps, "status": status, "matched": matched}
        out.append({**item, "when": detail, "tier_before": before, "tier_after": tier})
    if ";".join(hits) != (tiers["adjustments"] or ""):
        raise _inconsistent("adjustments", ";".join(hits), tiers["adjustments"])
    return out


def _moves(rules: TieringRules, row: Json, tier: str, tiers: Json) -> Json:
    ladder = rules.ladders[row["ladder"]]
    current = row.get(rules.current_field) if rules.current_field else None
    rank, limit = ladder.index(tier), ""
    if current is not None and current in ladder:
        cur = ladder.index(current)
        if rules.max_up is not None and rank < cur - rules.max_up:
            rank, limit = cur - rules.max_up, "max_up"
        if rules.max_down is not None and rank > cur + rules.max_down:
            rank, limit = cur + rules.max_down, "max_down"
    elif current is not None:
        limit = f"previous tier {current} is not on ladder {row['ladder']}"
    if ladder[rank] != tiers["tier"] or limit != (tiers["move_limit"] or ""):
        raise _inconsistent("the tier after move limits", (ladder[rank], limit), (tiers["tier"], tiers["move_limit"]))
    keys = ("current_tier", "max_up", "max_down", "adjusted_tier", "tier", "limit")
    return dict(zip(keys, (current, rules.max_up, rules.max_down, tier, ladder[rank], limit or None), strict=True))


def _product(p: ProductRules, result: RunResult, variant: VariantResult, row: Json, tiers: Json) -> Json:
    spec = p.spec
    res = next(r for r in variant.products if r.product == spec.id)
    terms = result.scenario.variants[variant.name][spec.id]
    q = res.quotas.filter(pl.col("client_id") == row["client_id"]).row(0, named=True)
    lad, tier = tiers["ladder"], tiers["tier"]
    facts = {**row, "tier": tier}
    eligibility, excluded_by = [], None
    for e in p.eligible:
        detail = condition(e.cond, facts)
        eligibility.append({"id": e.id, "matched": detail["result"], "when": detail})
        excluded_by = excluded_by or (e.id if detail["result"] else None)
    segment, pool = _segment_of(p, res, result, q)
    if excluded_by is None and pool is None and spec.segments is not None:
        excluded_by = NOT_IN_SEGMENTS
    if excluded_by != q["excluded_by"]:
        raise _inconsistent(f"{spec.id} excluded_by", excluded_by, q["excluded_by"])
    factor = 1
    multipliers = []
    for m in p.multipliers:
        detail = condition(m.cond, facts)
        multipliers.append({"id": m.id, "factor": m.factor, "matched": detail["result"], "when": detail})
        factor *= m.factor if detail["result"] else 1
    in_window = tier in p.window.get(lad, ())
    cap = _min(q["ordered"], spec.max_per_client)
    cap = 0 if excluded_by or not in_window else cap
    entitlement = terms.entitlement[lad][tier] * factor if terms.entitlement else None
    weight = p.weights[lad][tier] if p.weights else None
    hand = hand_of(result.scenario.manual, spec.id, row["client_id"])
    assigned = sum(a["units"] for a in hand["assignments"])
    if hand["lock"] is not None and q["quota"] != hand["lock"]["quota"]:
        raise _inconsistent(f"{spec.id} locked quota", hand["lock"]["quota"], q["quota"])
    rules = rules_only(res.quotas)
    mine = rules.filter(pl.col("client_id") == row["client_id"])
    claim = mine["entitled"][0] if mine.height else None  # the policy's part, without the hand-set units
    rules_cap = None if cap is None else cap - assigned
    if hand["lock"] is None and spec.policy == "per_tier" and claim != (
        0 if not entitlement else _min(entitlement, rules_cap)
    ):
        raise _inconsistent(f"{spec.id} claim", _min(entitlement, rules_cap), claim)
    if claim is not None and q["quota"] - assigned > claim:
        raise _inconsistent(f"{spec.id} quota within the claim", claim, q["quota"] - assigned)
    claims = rules["entitled"]
    claimed = int(claims.sum()) if claims.null_count() == 0 else None
    locked = locked_units(res.quotas)
    out = {
        "product": spec.id,
        "policy": spec.policy,
        "rounding": terms.rounding,
        "entitlement": entitlement,
        "weight": str(weight) if weight is not None else None,
        "tier_amount": _amount(res, segment, lad, tier),
        "order_column": spec.order_column,
        "ordered": q["ordered"],
        "max_per_client": spec.max_per_client,
        "min_per_client": spec.min_per_client,
        "eligibility": eligibility,
        "excluded_by": excluded_by,
        "in_window": in_window,
        "cap": rules_cap if hand["lock"] is None else cap,
        "claim": claim,
        "supply": res.supply,
        "reserve": res.reserve,
        "locked": locked,
        "released": res.hand.released if res.hand is not None else 0,
        "available": res.available - locked,
        "claimed": claimed,
        "quota": q["quota"] - assigned if hand["lock"] is None else 0,
        "share_of_claim": None if not claim else round((q["quota"] - assigned) / claim, 4),
        "notes": list(res.notes),
        "divisor": None,
    }
    if spec.segments is not None:
        out.update(segment=segment, pool=pool)
    if p.multipliers:
        out.update(multipliers=multipliers, factor=factor)
    out["divisor"] = _divisor(p, res, terms.entitlement, out)
    out["explanation"] = with_hand(sentence(out), out, hand)
    out.update(source=q["source"], assignments=hand["assignments"], lock=hand["lock"], quota=q["quota"])
    return out


def _segment_of(p: ProductRules, res: ProductResult, result: RunResult, q: Json) -> tuple[str | None, Json | None]:
    """The client's segment and its pool (name and supply); the pool is None outside the segments."""
    if p.spec.segments is None:
        return None, None
    ordered = res.columns["ordered"].fill_null(0).to_numpy()
    plan = plan_segments(p.spec.segments, p.weighted_field, result.clients, ordered, res.available)
    i = result.tiers["client_id"].to_list().index(q["client_id"])
    for pool in plan.pools:
        if pool.members[i]:
            return q["segment"], {"name": pool.name, "supply": pool.supply}
    return q["segment"], None


def _amount(res: ProductResult, segment: str | None, ladder: str, tier: str) -> int | None:
    if res.segment_amounts is not None:
        return res.segment_amounts.get((segment or "", ladder, tier))
    return (res.tier_amounts or {}).get((ladder, tier))


def _min(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


_SIGNPOST = {"webster": Fraction(1, 2), "dhondt": Fraction(1)}


def _divisor(p: ProductRules, res: ProductResult, ent: dict[str, dict[str, int]] | None, me: Json) -> Json | None:
    """The exact range of common divisors λ that reproduces every quota (per_tier, webster or dhondt).

    The unit lifting a client from k to k+1 has priority w / (k + s); every unit given outranks
    every unit refused below the claim, and quota = round(w / λ) kept between floor and claim for
    every λ from the best refused priority to the worst given one.
    """
    s = _SIGNPOST.get(me["rounding"])
    if p.spec.policy != "per_tier" or s is None or ent is None or me["claimed"] is None:
        return None
    if me["claimed"] <= me["available"] or not me["entitlement"]:
        return None
    mpc = p.spec.min_per_client or 0
    floors = mpc > 0 and not any(n.startswith("min_per_client") for n in res.notes)
    rows = [(lad, t, w) for lad, row in ent.items() for t, w in row.items()]
    weights = pl.DataFrame(rows, schema={"ladder": pl.String, "tier": pl.String, "w": pl.Int64}, orient="row")
    groups = rules_only(res.quotas).join(weights, on=["ladder", "tier"], how="left")
    groups = groups.select("w", "ordered", "entitled", "quota")
    given: list[Fraction] = []
    refused: list[Fraction] = []
    for w, ordered, claim, quota in groups.unique().iter_rows():
        if not w:
            continue
        wants = floors and (ordered is None or ordered > 0) and (claim is None or claim > 0)
        floor = (mpc if claim is None else min(mpc, claim)) if wants else 0
        if quota > floor:
            given.append(Fraction(w) / (quota - 1 + s))
        if claim is None or quota < claim:
            refused.append(Fraction(w) / (quota + s))
    if not given or not refused or min(given) < max(refused):
        return None
    low, high = max(refused), min(given)
    x = me["entitlement"] / ((low + high) / 2)
    tie = (x - s).denominator == 1  # on a signpost: rounding either way fits, the tie-break key chose
    return {"low": str(low), "high": str(high), "x": float(x), "rounded": max(0, math.ceil(x - s)), "tie": tie}
