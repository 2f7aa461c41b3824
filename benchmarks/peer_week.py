"""The peer's real week, plan by plan: our error against the optimum and against the peer.

Run: .venv/bin/python -m benchmarks.peer_week   (prints a Markdown table, then the totals)

For each of the 48 tier-based plans without a tag: code, method, segments, target (ADV), our total
and error, the optimum error, and, for the 23 plans with a peer result (tests/vectors/peer/
tobacco_30_tiers.json), the peer's total and error. The optimum is computed here independently of
the solvers: shops counted straight from the xlsx with openpyxl, grades read as Chinese numerals;
with non-increasing amounts a segment's totals are exactly the sums of its prefix counts (n_D30,
n_D30 + n_D29, ...) each used any number of times, so the reachable totals of a pool are a coin
problem, solved by a bitset; 城网:农网 pools split 4:6 by largest remainder.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl

from allocator.inputs.scenarios import load_scenario
from allocator.pipeline.run import RunResult, run

ROOT = Path(__file__).resolve().parents[1]
WEEK = ROOT / "scenarios" / "peer-week"
PEER = ROOT / "tests" / "vectors" / "peer" / "tobacco_30_tiers.json"
DIGITS = {c: i + 1 for i, c in enumerate("一二三四五六七八九")}
DISTRICTS = {"城区": "城区烟草专卖局(营销部)", "丹江": "丹江口市烟草专卖局(营销部)", "房县": "房县烟草专卖局(营销部)",
             "郧阳": "郧阳区烟草专卖局(营销部)", "竹山": "竹山县烟草专卖局(营销部)", "郧西": "郧西县烟草专卖局(营销部)",
             "竹溪": "竹溪县烟草专卖局(营销部)"}  # fmt: skip
KIND = {"档位+区县": ["COMPANY_DISTRICT"], "档位+市场类型": ["MARKET_TYPE"], "档位+城乡分类代码": ["CLASSIFICATION_CODE"],
        "档位+业态": ["CUST_FORMAT"], "档位+区县+市场类型": ["COMPANY_DISTRICT", "MARKET_TYPE"]}  # fmt: skip
TIER_METHODS = {"按档位投放", "按档位统一投放", "按档位扩展投放", "按档位拓展投放"}


def grade_number(text: str) -> int:
    """三十档 -> 30, 二十三档 -> 23, 十档 -> 10, 九档 -> 9."""
    word = text.removesuffix("档")
    if "十" not in word:
        return DIGITS[word]
    tens, _, units = word.partition("十")
    return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[units] if units else 0)


def sheet(name: str) -> list[dict[str, Any]]:
    book = openpyxl.load_workbook(WEEK / "data" / name, read_only=True, data_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def shops() -> list[dict[str, Any]]:
    """The shops the peer allocates to: with a grade, and visited (ORDER_CYCLE not 不访销)."""
    return [s for s in sheet("base_customer_info.xlsx") if s["GRADE"] and s["ORDER_CYCLE"] != "不访销"]


def area_items(area: str, fields: list[str]) -> list[tuple[str, ...]]:
    """The chosen segments of an area cell, long names, one tuple of values per item."""
    items = [x for x in re.split(r"--|[，、,.]", area) if x.strip()]
    out = []
    for item in items:
        parts = re.split(r"[（(）)]", item.strip())
        values = [p for p in parts if p]
        if fields[0] == "COMPANY_DISTRICT":
            values[0] = DISTRICTS.get(values[0], values[0])
        out.append(tuple(values))
    return out


def coins_reach(coins: set[int], limit: int) -> int:
    """Bitset of every total <= limit that is a sum of coins (each any number of times)."""
    reach, mask = 1, (1 << (limit + 1)) - 1
    for coin in sorted(coins):
        step = coin
        while step <= limit:
            reach |= (reach << step) & mask
            step *= 2
    return reach


def nearest(reach: int, target: int) -> int:
    below = (reach & ((1 << (target + 1)) - 1)).bit_length() - 1
    above = reach >> (target + 1)
    if not above:
        return below
    over = target + 1 + ((above & -above).bit_length() - 1)
    return over if over - target < target - below else below


def prefix_coins(counts: Counter[int]) -> set[int]:
    """A segment's coins: its prefix counts from D30 down (tiers without shops add no new coin)."""
    out, running = set(), 0
    for tier in range(30, 0, -1):
        running += counts[tier]
        if running:
            out.add(running)
    return out


def optimum(plan: dict[str, Any], clients: list[dict[str, Any]]) -> int:
    """The smallest |total - ADV| of any plan with one amount per (segment, tier)."""
    target = int(plan["ADV"])
    double = (plan["BZ"] or "").startswith("两周一访上浮100%")
    kind = plan["DELIVERY_ETYPE"] if plan["DELIVERY_ETYPE"] not in (None, "NULL") else None
    fields = KIND[kind] if kind else []
    chosen = set(area_items(plan["DELIVERY_AREA"], fields)) if kind else None

    def key(s: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(s[f]) for f in fields)

    pools: dict[str, dict[tuple[str, ...], Counter[int]]] = {}
    markets = {k[fields.index("MARKET_TYPE")] for k in chosen or ()} if "MARKET_TYPE" in fields else set()
    split = len(markets) >= 2
    for s in clients:
        if chosen is not None and key(s) not in chosen:
            continue
        pool = s["MARKET_TYPE"] if split else "all"
        weight = 2 if double and str(s["ORDER_CYCLE"]).startswith(("单周", "双周")) else 1
        pools.setdefault(pool, {}).setdefault(key(s), Counter())[grade_number(s["GRADE"])] += weight
    shares = {"all": target}
    if split:  # 城网 : 农网 = 4 : 6, by largest remainder (exact)
        exact = {"城网": Fraction(4 * target, 10), "农网": Fraction(6 * target, 10)}
        shares = {m: int(v) for m, v in exact.items()}
        left = target - sum(shares.values())
        for m in sorted(exact, key=lambda m: (-(exact[m] - int(exact[m])), ["城网", "农网"].index(m)))[:left]:
            shares[m] += 1
    error = 0
    for pool, share in shares.items():
        coins = set().union(*(prefix_coins(c) for c in pools.get(pool, {}).values()))
        reach = coins_reach(coins, share + max(coins, default=0))
        error += abs(nearest(reach, share) - share)
    return error




def week_rows(result: RunResult) -> list[dict[str, Any]]:
    """One row per tier-based plan without a tag: what we allocated, the optimum, the peer's."""
    plans = [p for p in sheet("cigarette_distribution_info.xlsx") if p["DELIVERY_METHOD"] in TIER_METHODS]
    ours = {p.product: p for p in result.variants[0].products}
    peer_data = json.loads(PEER.read_text("utf-8"))["cigarettes"]
    peer = {c["code"]: c["peer_single_level"] for c in peer_data if c.get("peer_single_level")}
    clients = shops()
    rows = []
    for plan in plans:
        if plan["TAG"]:
            continue
        code, target = str(plan["CIG_CODE"]), int(plan["ADV"])
        got = ours[code].allocated
        seen = peer.get(code)
        rows.append({
            "code": code, "method": plan["DELIVERY_METHOD"], "segments": plan["DELIVERY_AREA"], "target": target,
            "total": got, "error": abs(got - target), "optimum": optimum(plan, clients),
            "peer_total": seen["total"] if seen else None,
            "peer_error": abs(seen["total"] - target) if seen else None,
        })  # fmt: skip
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Print the week as a Markdown table and the sums of the errors."""
    start = time.perf_counter()
    result = run(load_scenario(WEEK / "scenario.yaml"))
    seconds = time.perf_counter() - start
    rows = week_rows(result)
    print("| code | method | segments | target | our total | our error | optimum | peer total | peer error |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        peer = (r["peer_total"], r["peer_error"]) if r["peer_total"] is not None else ("", "")
        print(f"| {r['code']} | {r['method']} | {r['segments']} | {r['target']} | {r['total']} | {r['error']} "
              f"| {r['optimum']} | {peer[0]} | {peer[1]} |")  # fmt: skip
    with_peer = [r for r in rows if r["peer_total"] is not None]
    print()
    print(f"{len(rows)} plans: our errors add up to {sum(r['error'] for r in rows)}, the optimum to "
          f"{sum(r['optimum'] for r in rows)}; on the {len(with_peer)} plans with a peer result, ours "
          f"{sum(r['error'] for r in with_peer)}, the peer's {sum(r['peer_error'] for r in with_peer)}")  # fmt: skip
    print(f"load and run of the whole week: {seconds:.1f} s")
    return 0 if all(r["error"] == r["optimum"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
