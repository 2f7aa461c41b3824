"""The sentence that explains one product's quota for `explain`: how the policy arrived at the
client's part (from the figures explain_client gathered), then what people set by hand.

English is what the JSON's `explanation` holds; the terminal text says it in the scenario's
language. Every phrase is in allocator/labels.py.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from allocator.labels import label, words
from allocator.pipeline.segments import OUTSIDE as NOT_IN_SEGMENTS

Json = dict[str, Any]
CELL = re.compile(r"(?P<file>.+): row (?P<row>\d+), column (?P<column>.+)")  # where a hand-set value was read


def explanation(p: Json, lang: str) -> str:
    """The explanation of one product of explain_client's JSON in `lang` (in en: its `explanation`)."""
    hand = {"assignments": p["assignments"], "lock": p["lock"]}
    assigned = sum(a["units"] for a in hand["assignments"])
    policy_part = {**p, "quota": p["quota"] - assigned if hand["lock"] is None else 0}
    return with_hand(sentence(policy_part, lang), policy_part, hand, lang)


def with_hand(said: str, d: Json, hand: Json, lang: str = "en") -> str:
    """The explanation of the policy's part (`said`), with what people set by hand."""
    w = words(lang)
    lock = hand["lock"]
    if lock is not None:
        return w("locked at {quota} by {by} ({reason}; {at}) → quota {quota}", quota=lock["quota"], by=lock["by"],
                 reason=lock["reason"], at=_cell(lock["at"], lang))  # fmt: skip
    if not hand["assignments"]:
        return said
    given = [
        w("{units} assigned by {owner} ({reason}; {at})", units=a["units"], owner=a["owner"], reason=a["reason"],
          at=_cell(a["at"], lang))
        for a in hand["assignments"]
    ]  # fmt: skip
    total = d["quota"] + sum(a["units"] for a in hand["assignments"])
    return w(
        "{sentence}; plus {given} → quota {total}",
        sentence=said,
        given=label("clause_sep", lang).join(given),
        total=total,
    )


def _cell(at: str, lang: str) -> str:
    """Where a hand-set value was read ("locks.csv: row 2, column quota") in `lang`."""
    found = CELL.fullmatch(at)
    return words(lang)("{file}: row {row}, column {column}", **found.groupdict()) if found else at


def sentence(d: Json, lang: str = "en") -> str:
    """Why the policy gave the client its part: excluded, outside, nothing to claim, or the policy's way."""
    w = words(lang)
    q, claim = d["quota"], d["claim"]
    if d["excluded_by"] == NOT_IN_SEGMENTS:
        segment = d.get("segment") or w("(none: a value is empty)")
        return w("its segment {segment} is not one the product goes to → quota 0", segment=segment)
    if d["excluded_by"]:
        return w("excluded by {rule} → quota 0", rule=d["excluded_by"])
    if not d["in_window"]:
        return w("tier outside the product's window → quota 0")
    if claim == 0:
        zero = d["entitlement"] == 0 or d["weight"] == "0"
        why = w("its tier's entitlement is 0") if zero else w("its cap is {cap}", cap=d["cap"])
        return w("nothing to claim ({why}) → quota {quota}", why=why, quota=q)
    got = w("quota {quota} of the claim {claim} ({share})", quota=q, claim=claim, share=f"{q / claim:.1%}") if claim \
        else w("quota {quota}", quota=q)  # fmt: skip
    if d["policy"] == "tier_amounts":
        where = w(" of segment {segment}", segment=d["segment"]) if d.get("segment") else ""
        times = w(", times {factor} (multiplier)", factor=d["factor"]) if d.get("factor", 1) != 1 else ""
        return w("one amount for every client of the tier{where}: {amount}{times}, capped at {cap} → {got}",
                 where=where, amount=d["tier_amount"], times=times, cap=d["cap"], got=got)  # fmt: skip
    if d["claimed"] is not None and d["claimed"] <= d["available"]:
        return w("supply covers every claim ({claimed} claimed, {available} available) → {got}",
                 claimed=d["claimed"], available=d["available"], got=got)  # fmt: skip
    claimed = d["claimed"] if d["claimed"] is not None else w("uncapped claims")
    short = w("supply short ({available} available for {claimed} claimed)", available=d["available"], claimed=claimed)
    if d["policy"] == "priority":
        return w("{short}: tiers served best first, equal shares within a tier, rounded by {rounding} → {got}",
                 short=short, rounding=d["rounding"], got=got)  # fmt: skip
    if d["policy"] == "weighted":
        return w("{short}: shared in proportion to the tier weight {weight}, rounded by {rounding} → {got}",
                 short=short, weight=d["weight"], rounding=d["rounding"], got=got)  # fmt: skip
    how = w("{short}: every tier entitlement is divided by one common divisor λ and rounded by {rounding}",
            short=short, rounding=d["rounding"])  # fmt: skip
    if d["divisor"] is None:
        return w("{how} → {got}", how=how, got=got)
    return w("{how} ({lam}): {step} → {got}", how=how, lam=_lambda(d["divisor"], lang), step=_step(d, lang), got=got)


def _lambda(div: Json, lang: str) -> str:
    w = words(lang)
    low, high = Fraction(div["low"]), Fraction(div["high"])
    if low == high:
        return w("λ = {x}, the only divisor that gives every quota of this product", x=f"{float(low):.6g}")
    return w("any λ from {low} to {high} gives every quota of this product", low=f"{float(low):.6g}",
             high=f"{float(high):.6g}")  # fmt: skip


def _step(d: Json, lang: str) -> str:
    """Where the client's entitlement over λ lands: on a tie, or rounded (then capped or floored)."""
    w = words(lang)
    div, claim = d["divisor"], d["claim"]
    k = div["rounded"]
    if div["tie"]:
        return w("{entitlement} / λ = {x} lies on the boundary between {k} and {next}, a tie decided by the seeded "
                 "tie-break key", entitlement=d["entitlement"], x=f"{div['x']:.6g}", k=k, next=k + 1)  # fmt: skip
    step = w("{entitlement} / λ ≈ {x} rounds to {k}", entitlement=d["entitlement"], x=f"{div['x']:.4g}", k=k)
    if claim is not None and k > claim:
        step += w(", more than the claim {claim}", claim=claim)
    elif k < d["quota"]:
        step += w(", raised to the floor (min_per_client {n})", n=d["min_per_client"])
    return step
