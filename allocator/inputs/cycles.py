"""A scenario's cycle checked against its rules: the products it supplies, the shares of its
rounds, and the round this run issues (the scenario's `round:` or `--round`)."""

from __future__ import annotations

from allocator.inputs.conditions import did_you_mean
from allocator.inputs.models import ScenarioFile
from allocator.inputs.safe_yaml import Document, Problem


def cycle_problems(
    doc: Document, spec: ScenarioFile, products: list[str], round_given: str | None, required: bool = True
) -> list[Problem]:
    """Every problem of the cycle: unknown products and rounds, a round repeated, no round chosen."""
    cycle = spec.cycle
    if cycle is None:
        if spec.round is not None or round_given is not None:
            at = ("round",) if spec.round is not None else ()
            return [doc.problem(at, "a round is chosen, but the scenario has no cycle; add cycle: {id, rounds, supply}")]
        return []
    problems = []
    seen: dict[str, int] = {}
    for i, name in enumerate(cycle.rounds):
        if name in seen:
            problems.append(doc.problem(("cycle", "rounds", i), f"round '{name}' is listed twice (first at rounds[{seen[name]}])"))
        seen.setdefault(name, i)
    for name in cycle.shares or {}:
        if name not in seen:
            msg = f"'{name}' is not a round of the cycle{did_you_mean(name, list(seen))}"
            problems.append(doc.problem(("cycle", "shares", name), msg, key=True))
    for pid in cycle.supply:
        if pid not in products:
            hint = did_you_mean(pid, products) or "; products are " + ", ".join(products[:20])
            problems.append(doc.problem(("cycle", "supply", pid), f"unknown product '{pid}'{hint}", key=True))
    chosen = round_given if round_given is not None else spec.round
    if chosen is None and required:
        msg = f"say which round this run issues: round: {cycle.rounds[0]} in the scenario, or --round {cycle.rounds[0]}"
        problems.append(doc.problem(("cycle",), msg))
    elif chosen is not None and chosen not in seen:
        where = ("round",) if round_given is None else ("cycle", "rounds")
        what = f"round '{chosen}'" + (" (--round)" if round_given is not None else "")
        problems.append(doc.problem(where, f"{what} is not a round of cycle {cycle.id}{did_you_mean(chosen, list(seen))}"))
    return problems
