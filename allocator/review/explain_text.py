"""The terminal text of an explanation (`allocator explain` without --json)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from allocator.escape import terminal
from allocator.review.explain import Json
from allocator.review.rule_diff import show


def _num(v: Any) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v) if len(repr(v)) <= 10 else f"≈{v:.6g}"
    return "null" if v is None else show(v)


def _cap(v: int | None) -> str:
    return "no cap" if v is None else f"cap {v}"


def _cond_lines(node: Json, indent: str = "      ", top: bool = True) -> list[str]:
    """One line per comparison; `all`/`any`/`not` open an indented block (the top `all` does not)."""
    truth = str(node["result"]).lower()
    if "field" in node:
        return [f"{indent}{node['field']} {node['op']} {show(node['threshold'])}: {_num(node['value'])} → {truth}"]
    if "not" in node:
        return [f"{indent}not ({truth}):", *_cond_lines(node["not"], indent + "  ", False)]
    key = "all" if "all" in node else "any"
    if key == "all" and top:
        return [line for c in node[key] for line in _cond_lines(c, indent, False)]
    inner = [line for c in node[key] for line in _cond_lines(c, indent + "  ", False)]
    return [f"{indent}{key} of ({truth}):", *inner]


def _ladders(item: Json) -> str:
    return "" if item["ladders"] is None else f" [ladder {', '.join(item['ladders'])}]"


def _wrap(text: str) -> str:
    """Fold a long sentence at 100 columns, never inside `w / λ`."""
    glued = re.sub(r"(\d+) / λ ([≈=]) ", "\\1\u00a0/\u00a0λ\u00a0\\2\u00a0", text)
    wrapped = textwrap.fill(glued, 100, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
    return wrapped.replace("\u00a0", " ")


def _shown(value: Any) -> Any:
    """`value` with every string in it terminal-escaped: ids, names, values and notes from input files."""
    if isinstance(value, str):
        return terminal(value)
    if isinstance(value, dict):
        return {k: _shown(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shown(v) for v in value]
    return value


def render_explain(data: Json) -> str:
    """The explanation as plain terminal text; control characters in any id or value shown as `\\x1b`."""
    d = _shown(data)
    lines = [
        f"Client {d['client_id']} · {d['scenario']} ({d['scenario_file']}) · period {d['period']} · seed {d['seed']}",
        f"ladder {d['ladder']} · final tier {d['tier']}",
        "",
        "Inputs",
        *(f"  {i['field']} ({i['type']}): {_num(i['value'])}" for i in d["inputs"]),
    ]
    if d["derived"]:
        lines += ["", "Derived"]
        for x in d["derived"]:
            lines.append(
                f"  {x['name']} = {x['expression']} → {_num(x['value'])}" + (f" ({x['note']})" if x["note"] else "")
            )
    lines += [*_placement_lines(d["placement"]), *_adjustment_lines(d["adjustments"]), *_move_lines(d["moves"])]
    lines += ["", f"Final tier: {d['tier']}"]
    for p in d["products"]:
        lines += _product_lines(p)
    return "\n".join(lines) + "\n"


def _placement_lines(pl_: Json) -> list[str]:
    lines = ["", "Placement (the first matching rule places the client)"]
    for r in pl_["rules"]:
        lines.append(f"  {r['id']}{_ladders(r)} → tier {r['tier']}: {r['status']}")
        if r["status"] != "not tested":
            lines += _cond_lines(r["when"])
    placed = f"placed in tier {pl_['tier']} by rule {pl_['placed_by']}" if pl_["placed_by"] else ""
    placed = placed or f"no rule matched: the default tier {pl_['tier']}"
    return [*lines, f"  {placed}"]


def _adjustment_lines(adjustments: list[Json]) -> list[str]:
    lines = ["", "Adjustments (in order, each kept on the ladder)"]
    for a in adjustments:
        step = f"demote {a['steps']}" if a["steps"] > 0 else f"promote {-a['steps']}"
        moved = f", {a['tier_before']} → {a['tier_after']}" if a["matched"] else ""
        if a["matched"] and a["tier_before"] == a["tier_after"]:
            moved += f" (already the {'last' if a['steps'] > 0 else 'first'} tier of the ladder)"
        lines.append(f"  {a['id']}{_ladders(a)} ({step}): {a['status']}{moved}")
        lines += _cond_lines(a["when"])
    if not adjustments:
        lines.append("  (no adjustment rules)")
    return lines


def _move_lines(m: Json) -> list[str]:
    limits = ", ".join(f"{k} {m[k]}" for k in ("max_up", "max_down") if m[k] is not None) or "no move limits"
    if m["current_tier"] is None:
        return ["", "Move limits", f"  no current tier ({limits}): tier {m['adjusted_tier']} stands"]
    result = (
        f"limited by {m['limit']} to {m['tier']}"
        if m["limit"] in ("max_up", "max_down")
        else (m["limit"] or "within the limits")
    )
    return ["", "Move limits", f"  current tier {m['current_tier']}, {limits}: tier {m['adjusted_tier']} → {result}"]


def _product_lines(p: Json) -> list[str]:
    lines = ["", f"Product {p['product']} (policy {p['policy']}, rounding {p['rounding']})"]
    given = [
        f"entitlement {p['entitlement']}" if p["entitlement"] is not None else None,
        f"weight {p['weight']}" if p["weight"] is not None else None,
        f"ordered {_num(p['ordered'])} ({p['order_column']})" if p["order_column"] else "no order column",
        f"max_per_client {p['max_per_client']}" if p["max_per_client"] is not None else None,
        f"min_per_client {p['min_per_client']}" if p["min_per_client"] else None,
    ]
    why = " (excluded)" if p["excluded_by"] else " (tier outside the window)" if not p["in_window"] else ""
    assigned = sum(a["units"] for a in p.get("assignments", []))
    why += f" after {assigned} assigned" if assigned else ""
    claim = f"locked at {p['lock']['quota']}" if p.get("lock") else f"claim {_num(p['claim'])}"
    lines.append("  " + ", ".join(x for x in given if x) + f" → {_cap(p['cap'])}{why}, {claim}")
    for e in p["eligibility"]:
        lines.append(f"  eligibility {e['id']}: {'excludes' if e['matched'] else 'no match'}")
        lines += _cond_lines(e["when"])
    reserve = f", reserve {p['reserve']}" if p["reserve"] else ""
    reserve += f", released {p['released']}" if p.get("released") else ""
    reserve += f", locked {p['locked']}" if p.get("locked") else ""
    lines.append(f"  supply {p['supply']}{reserve}, available {p['available']}")
    lines += [f"  note: {n}" for n in p["notes"]]
    lines.append(_wrap(f"quota {p['quota']}: {p['explanation']}"))
    return lines
