"""`allocator cycle SCENARIO --ledger LEDGER`: where a cycle stands, read-only.

For each round: its run and state. For each product: the cycle supply, what each approved round
issued and what remains; then per tier: the units of each round, the total, what was ordered, the
fill rate so far, how many clients received something in the cycle and the spread (the largest
difference between two of the tier's clients' totals so far); clients are counted in the tier
they had in their latest round. Tiers given nothing that ordered nothing are summed up in one
line on the terminal (the JSON lists them all).

The tables speak `lang` (the command line's --lang, else the scenario's `lang`): titles, column
heads and states; round names, products, ladders and tiers as the files have them. The JSON keeps
its English keys and values whatever the language: it is for programs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import polars as pl
from rich.console import Console
from rich.table import Table

from allocator.errors import ScenarioError
from allocator.escape import json_text, terminal
from allocator.inputs.models import CycleSpec
from allocator.inputs.rule_files import display_path
from allocator.inputs.scenarios import load_scenario
from allocator.labels import label, words
from allocator.outputs.ledger_cycle import cycle_issued, cycle_quotas, cycle_rounds
from allocator.outputs.ledger_schema import read_only
from allocator.pipeline.cycle import Issued, round_supplies


def cycle(scenario: Path, ledger: Path, as_json: bool = False, lang: str | None = None) -> int:
    """Print the cycle's rounds and, per product and tier, what was issued and what remains, in
    `lang` (None: the scenario's `lang`)."""
    s = load_scenario(scenario, read_clients=False, round_required=False)
    spec = s.spec
    if spec.cycle is None:
        raise ScenarioError(f"{display_path(scenario)}: the scenario has no cycle; add cycle: {{id, rounds, supply}}")
    name = display_path(scenario)
    with read_only(ledger) as conn:
        issued = cycle_issued(conn, name, spec.cycle.id)
        runs = cycle_rounds(conn, name, spec.cycle.id)
        quotas = cycle_quotas(conn, name, spec.cycle.id)
    data: dict[str, Any] = {"scenario": name, "cycle": spec.cycle.id}
    ladders = {lad: list(tiers) for lad, tiers in s.tiering.ladders.items()}
    data.update(status(spec.cycle.rounds, spec.cycle.supply, issued, runs, quotas, ladders))
    if as_json:
        sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")
        return 0
    lang = lang or spec.lang
    w = words(lang)
    console = Console(highlight=False, soft_wrap=True, width=200)
    head = w("{name} · cycle {cycle} · {file}", name=spec.name, cycle=spec.cycle.id, file=name)
    console.print(terminal(head), markup=False)
    console.print(_rounds_table(data, lang))
    for product in data["products"]:
        console.print(_product_table(product, spec.cycle.rounds, lang))
    return 0


def status(
    rounds: list[str],
    supply: dict[str, int],
    issued: Issued,
    runs: list[tuple[int, str, str, str]],
    quotas: pl.DataFrame,
    ladders: dict[str, list[str]],
) -> dict[str, Any]:
    """The cycle's state as plain data (the JSON of `allocator cycle --json`)."""
    by_round = []
    for r in rounds:
        mine = [run for run in runs if run[1] == r]
        counted = issued.runs.get(r)
        by_round.append(
            {
                "round": r,
                "run": counted,
                "state": next((st for i, _, st, _ in mine if i == counted), "open"),
                "drafts": [i for i, _, st, _ in mine if st == "draft"],
            }
        )
    open_round = next((r for r in rounds if r not in issued.runs), None)
    coming = round_supplies_or_none(rounds, supply, issued, open_round)
    products = []
    for pid, total in supply.items():
        units = {r: issued.units.get((r, pid)) for r in rounds}
        given = sum(v for v in units.values() if v is not None)
        products.append(
            {
                "product": pid,
                "cycle_supply": total,
                "issued": given,
                "remaining": total - given,
                "by_round": units,
                "next_round": open_round,
                "next_supply": coming.get(pid) if coming else None,
                "tiers": _tiers(quotas.filter(pl.col("product") == pid), rounds, ladders),
            }
        )
    return {"rounds": by_round, "products": products}


def round_supplies_or_none(
    rounds: list[str], supply: dict[str, int], issued: Issued, open_round: str | None
) -> dict[str, int] | None:
    """What the next open round would be given, if the cycle has one left."""
    if open_round is None:
        return None
    spec = CycleSpec(id="-", rounds=rounds, supply=supply)
    return {pid: rs.supply for pid, rs in round_supplies(spec, open_round, issued, {}).items()}


def _tiers(quotas: pl.DataFrame, rounds: list[str], ladders: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Per tier: units per round, total, ordered, fill rate so far, clients who received."""
    if quotas.is_empty():
        return []
    per_round = quotas.group_by("ladder", "tier", "round").agg(pl.col("quota").sum())
    totals = quotas.group_by("ladder", "tier").agg(
        pl.col("quota").sum().alias("issued"),
        pl.col("ordered").sum().alias("ordered"),
        pl.col("ordered").null_count().alias("no_order"),
    )
    order = {r: i for i, r in enumerate(rounds)}
    latest = (
        quotas.with_columns(pl.col("round").replace_strict(order, return_dtype=pl.Int64).alias("_at"))
        .sort("_at")
        .group_by("client_id")
        .agg(pl.col("ladder").last(), pl.col("tier").last(), pl.col("quota").sum().alias("total"))
        .group_by("ladder", "tier")
        .agg(
            (pl.col("total") > 0).sum().alias("clients"),
            (pl.col("total").max() - pl.col("total").min()).alias("spread"),
        )
    )
    out = []
    rank = {(lad, t): (i, j) for i, (lad, tiers) in enumerate(ladders.items()) for j, t in enumerate(tiers)}
    last = (len(rank), 0)  # a ladder or tier the rules no longer have: after the others
    for row in sorted(
        totals.iter_rows(named=True), key=lambda r: (rank.get((r["ladder"], r["tier"]), last), r["tier"])
    ):
        lad, tier = row["ladder"], row["tier"]
        mine = per_round.filter((pl.col("ladder") == lad) & (pl.col("tier") == tier))
        got = dict(zip(mine["round"].to_list(), mine["quota"].to_list(), strict=True))
        units = {r: got.get(r) for r in rounds}
        ordered = row["ordered"] if row["no_order"] == 0 else None
        here = latest.filter((pl.col("ladder") == lad) & (pl.col("tier") == tier))
        out.append(
            {
                "ladder": lad, "tier": tier, "by_round": units, "issued": row["issued"], "ordered": ordered,
                "fill_rate": round(row["issued"] / ordered, 4) if ordered else None,
                "clients_received": int(here["clients"][0]) if here.height else 0,
                "spread": int(here["spread"][0]) if here.height else 0,
            }
        )  # fmt: skip
    return out


def _rounds_table(data: dict[str, Any], lang: str) -> Table:
    w = words(lang)
    table = Table(title=w("rounds"), title_justify="left", show_edge=False, pad_edge=False)
    for col in (w("round"), w("run"), w("state"), w("draft runs")):
        table.add_column(col)
    for r in data["rounds"]:
        drafts = ", ".join(str(d) for d in r["drafts"])
        table.add_row(terminal(r["round"]), str(r["run"] or ""), _state(r["state"], lang), drafts)
    return table


def _state(state: str, lang: str) -> str:
    """A round's state in `lang`: open (no approved run yet), approved or published."""
    return words(lang)("open") if state == "open" else label(state, lang)


def _product_table(p: dict[str, Any], rounds: list[str], lang: str) -> Table:
    w = words(lang)
    nxt = ""
    if p["next_round"] is not None:
        nxt = w(" · next round {round}: {supply}", round=p["next_round"], supply=f"{p['next_supply']:,}")
    title = w(
        "{product} · cycle supply {supply} · issued {issued} · remaining {remaining}{next}",
        product=terminal(str(p["product"])), supply=f"{p['cycle_supply']:,}", issued=f"{p['issued']:,}",
        remaining=f"{p['remaining']:,}", next=nxt,
    )  # fmt: skip
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    heads = [w("ladder"), w("tier"), *rounds, w("issued"), w("ordered"), w("fill"), w("clients received"), w("spread")]
    for i, col in enumerate(heads):
        table.add_column(terminal(col), justify="left" if i < 2 else "right")
    idle = [t for t in p["tiers"] if not t["issued"] and not t["ordered"]]
    for t in p["tiers"]:
        if t in idle:
            continue
        cells = [f"{v:,}" if v is not None else "—" for v in t["by_round"].values()]
        fill = f"{t['fill_rate']:.1%}" if t["fill_rate"] is not None else ""
        ordered = f"{t['ordered']:,}" if t["ordered"] is not None else ""
        table.add_row(terminal(t["ladder"]), terminal(t["tier"]), *cells, f"{t['issued']:,}", ordered, fill,
                      f"{t['clients_received']:,}", str(t["spread"]))  # fmt: skip
    if idle:
        names = f"{idle[0]['tier']} … {idle[-1]['tier']}" if len(idle) > 1 else idle[0]["tier"]
        table.caption = terminal(
            w("and {n} more tiers ({names}): nothing issued, nothing ordered", n=len(idle), names=names)
        )
        table.caption_justify = "left"
    by_round = p["by_round"]
    total = [f"{v:,}" if v is not None else "—" for v in by_round.values()]
    table.add_section()
    table.add_row(w("total"), "", *total, f"{p['issued']:,}", "", "", "", "")
    return table
