"""The terminal text of an explanation (`allocator explain` without --json), in English or Chinese.

Ids, field names, values, tiers and rule ids are shown as the files have them; the words around
them come from allocator/labels.py. The JSON (`--json`) is the same in every language.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

from allocator.escape import terminal
from allocator.labels import label, note_text, words
from allocator.review.explain import Json
from allocator.review.explain_sentence import explanation
from allocator.review.rule_diff import show

Words = Callable[..., str]  # words(lang): phrase() bound to a language


def _num(v: Any, w: Words) -> str:
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v) if len(repr(v)) <= 10 else f"≈{v:.6g}"
    return w("null") if v is None else show(v)


def _truth(value: object, w: Words) -> str:
    return w(str(value).lower())


def _cond_lines(node: Json, w: Words, indent: str = "      ", top: bool = True) -> list[str]:
    """One line per comparison; `all`/`any`/`not` open an indented block (the top `all` does not)."""
    truth = _truth(node["result"], w)
    if "field" in node:
        limit, value = show(node["threshold"]), _num(node["value"], w)
        return [indent + w("{field} {op} {threshold}: {value} → {truth}", field=node["field"], op=node["op"],
                           threshold=limit, value=value, truth=truth)]  # fmt: skip
    if "not" in node:
        return [indent + w("not ({truth}):", truth=truth), *_cond_lines(node["not"], w, indent + "  ", False)]
    key = "all" if "all" in node else "any"
    if key == "all" and top:
        return [line for c in node[key] for line in _cond_lines(c, w, indent, False)]
    inner = [line for c in node[key] for line in _cond_lines(c, w, indent + "  ", False)]
    head = w("all of ({truth}):", truth=truth) if key == "all" else w("any of ({truth}):", truth=truth)
    return [indent + head, *inner]


def _ladders(item: Json, w: Words) -> str:
    return "" if item["ladders"] is None else w(" [ladder {ladders}]", ladders=", ".join(item["ladders"]))


def _wrap(text: str, lang: str) -> str:
    """Fold a long sentence at 100 columns (in zh at 70 characters: a Chinese character takes two
    columns), never inside `w / λ`."""
    glued = re.sub(r"(\d+) / λ ([≈=]) ", "\\1\u00a0/\u00a0λ\u00a0\\2\u00a0", text)
    width = 70 if lang == "zh" else 100
    wrapped = textwrap.fill(glued, width, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False)
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


def render_explain(data: Json, lang: str = "en") -> str:
    """The explanation as plain terminal text in `lang`; control characters in any id or value shown as `\\x1b`."""
    w = words(lang)
    d = _shown(data)
    lines = [
        w("Client {client} · {scenario} ({file}) · period {period} · seed {seed}", client=d["client_id"],
          scenario=d["scenario"], file=d["scenario_file"], period=d["period"], seed=d["seed"]),
        w("ladder {ladder} · final tier {tier}", ladder=d["ladder"], tier=d["tier"]),
        "",
        w("Inputs"),
        *("  " + w("{field} ({type}): {value}", field=i["field"], type=w(i["type"]), value=_num(i["value"], w))
          for i in d["inputs"]),
    ]  # fmt: skip
    if d["derived"]:
        lines += ["", w("Derived")]
        for x in d["derived"]:
            value = w(
                "{name} = {expression} → {value}", name=x["name"], expression=x["expression"], value=_num(x["value"], w)
            )
            lines.append("  " + value + (w(" ({note})", note=_derived_note(x["note"], w)) if x["note"] else ""))
    lines += [*_placement_lines(d["placement"], w), *_adjustment_lines(d["adjustments"], w)]
    lines += [*_move_lines(d["moves"], d["ladder"], w, lang), "", w("Final tier: {tier}", tier=d["tier"])]
    for p in d["products"]:
        lines += _product_lines(p, w, lang)
    return "\n".join(lines) + "\n"


def _derived_note(note: str, w: Words) -> str:
    """Why a derived value is empty: "x, y is empty" (the columns, as written) or a division by zero."""
    if note.endswith(" is empty"):
        return w("{columns} is empty", columns=note.removesuffix(" is empty"))
    return w(note)


def _placement_lines(pl_: Json, w: Words) -> list[str]:
    lines = ["", w("Placement (the first matching rule places the client)")]
    for r in pl_["rules"]:
        lines.append("  " + w("{id}{ladders} → tier {tier}: {status}", id=r["id"], ladders=_ladders(r, w),
                              tier=r["tier"], status=w(r["status"])))  # fmt: skip
        if r["status"] != "not tested":
            lines += _cond_lines(r["when"], w)
    if pl_["placed_by"]:
        placed = w("placed in tier {tier} by rule {rule}", tier=pl_["tier"], rule=pl_["placed_by"])
    else:
        placed = w("no rule matched: the default tier {tier}", tier=pl_["tier"])
    return [*lines, f"  {placed}"]


def _adjustment_lines(adjustments: list[Json], w: Words) -> list[str]:
    lines = ["", w("Adjustments (in order, each kept on the ladder)")]
    for a in adjustments:
        step = w("demote {n}", n=a["steps"]) if a["steps"] > 0 else w("promote {n}", n=-a["steps"])
        moved = w(", {before} → {after}", before=a["tier_before"], after=a["tier_after"]) if a["matched"] else ""
        if a["matched"] and a["tier_before"] == a["tier_after"]:
            last = a["steps"] > 0
            moved += (
                w(" (already the last tier of the ladder)") if last else w(" (already the first tier of the ladder)")
            )
        lines.append("  " + w("{id}{ladders} ({step}): {status}{moved}", id=a["id"], ladders=_ladders(a, w), step=step,
                              status=w(a["status"]), moved=moved))  # fmt: skip
        lines += _cond_lines(a["when"], w)
    if not adjustments:
        lines.append("  " + w("(no adjustment rules)"))
    return lines


def _move_lines(m: Json, ladder: str, w: Words, lang: str) -> list[str]:
    given = [f"{k} {m[k]}" for k in ("max_up", "max_down") if m[k] is not None]
    limits = label("list_sep", lang).join(given) or w("no move limits")
    if m["current_tier"] is None:
        stands = w("no current tier ({limits}): tier {tier} stands", limits=limits, tier=m["adjusted_tier"])
        return ["", w("Move limits"), f"  {stands}"]
    if m["limit"] in ("max_up", "max_down"):
        result = w("limited by {limit} to {tier}", limit=m["limit"], tier=m["tier"])
    elif m["limit"]:  # the run's words: "previous tier X is not on ladder Y"
        result = w("previous tier {tier} is not on ladder {ladder}", tier=m["current_tier"], ladder=ladder)
    else:
        result = w("within the limits")
    line = w("current tier {current}, {limits}: tier {tier} → {result}", current=m["current_tier"], limits=limits,
             tier=m["adjusted_tier"], result=result)  # fmt: skip
    return ["", w("Move limits"), f"  {line}"]


def _product_lines(p: Json, w: Words, lang: str) -> list[str]:
    lines = ["", w("Product {product} (policy {policy}, rounding {rounding})", product=p["product"],
                   policy=p["policy"], rounding=p["rounding"])]  # fmt: skip
    ordered = w("ordered {n} ({column})", n=_num(p["ordered"], w), column=p["order_column"])
    given = [
        w("entitlement {n}", n=p["entitlement"]) if p["entitlement"] is not None else None,
        w("weight {n}", n=p["weight"]) if p["weight"] is not None else None,
        ordered if p["order_column"] else w("no order column"),
        w("max_per_client {n}", n=p["max_per_client"]) if p["max_per_client"] is not None else None,
        w("min_per_client {n}", n=p["min_per_client"]) if p["min_per_client"] else None,
    ]
    why = w(" (excluded)") if p["excluded_by"] else w(" (tier outside the window)") if not p["in_window"] else ""
    assigned = sum(a["units"] for a in p.get("assignments", []))
    why += w(" after {n} assigned", n=assigned) if assigned else ""
    claim = w("locked at {n}", n=p["lock"]["quota"]) if p.get("lock") else w("claim {n}", n=_num(p["claim"], w))
    cap = w("no cap") if p["cap"] is None else w("cap {n}", n=p["cap"])
    shown = label("list_sep", lang).join(x for x in given if x)
    lines.append("  " + w("{given} → {cap}{why}, {claim}", given=shown, cap=cap, why=why, claim=claim))
    for e in p["eligibility"]:
        result = w("excludes") if e["matched"] else w("no match")
        lines.append("  " + w("eligibility {id}: {result}", id=e["id"], result=result))
        lines += _cond_lines(e["when"], w)
    reserve = w(", reserve {n}", n=p["reserve"]) if p["reserve"] else ""
    reserve += w(", released {n}", n=p["released"]) if p.get("released") else ""
    reserve += w(", locked {n}", n=p["locked"]) if p.get("locked") else ""
    lines.append("  " + w("supply {supply}{reserve}, available {available}", supply=p["supply"], reserve=reserve,
                          available=p["available"]))  # fmt: skip
    lines += ["  " + w("note: {note}", note=note_text(n, lang)) for n in p["notes"]]
    said = p["explanation"] if lang == "en" else explanation(p, lang)
    lines.append(_wrap(w("quota {quota}: {explanation}", quota=p["quota"], explanation=said), lang))
    return lines
