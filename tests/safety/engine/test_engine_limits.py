"""Rule files as large as real ones run through durable-rules whatever its fixed limits.

The engine's stack holds 64 waiting alpha nodes (65 rules that all match one client gave
`error code: 303`, exit 3) and one node's children sit in a 512-slot hash set (513 rules hung
while the ruleset was built). Each case runs in a child process, with a generous timeout that
only turns a hang inside the C extension (which never returns to Python) into a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HANG = 600  # seconds; a hang, not a speed bound

TIERS = [f"T{n}" for n in range(10)]

CHILD = """
import json, sys
from pathlib import Path
import polars as pl
from allocator.pipeline.allocation import TieredClients, excluded_by
from allocator.inputs.product_rules import Eligibility, ProductRules
from allocator.inputs.conditions import Compare
from allocator.inputs.models import Product
from allocator.inputs.scenarios import snapshot_columns
from allocator.inputs.snapshots import load_snapshot
from allocator.pipeline.tiering import tier_clients
from allocator.inputs.tiering_rules import load_tiering

folder, mode, eligible = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
rules = load_tiering(folder / "tiering.yaml")
snapshot = load_snapshot(folder / "clients.csv", "clients.csv", snapshot_columns(rules, None))
table, tiers = tier_clients(rules, snapshot, mode)
out = {"tiers": tiers.to_dicts()}
if eligible:
    # client c excluded by the first rule `volume >= 10 * (eligible - k)` that holds
    checks = tuple(Eligibility(f"e{k}", Compare("volume", "gte", 10 * (eligible - k))) for k in range(eligible))
    product = ProductRules(spec=Product(id="p", supply=1), entitlement=None, weights=None, eligible=checks, window={})
    ctx = TieredClients.build(table, tiers, rules.ladders, 1, "P", mode)
    out["excluded_by"] = excluded_by(product, ctx).to_list()
print(json.dumps(out))
"""


def _tiering(placement: list[str], adjust: list[str]) -> str:
    lines = [
        "kind: tiering",
        "version: 1",
        "fields:",
        "  volume: {type: number, min: 0}",
        "  violations: {type: integer, min: 0}",
        "ladders:",
        f"  shops: [{', '.join(TIERS)}]",
        "default_tier: T9",
        "placement:",
        *placement,
    ]
    if adjust:
        lines += ["adjust:", *adjust]
    return "\n".join(lines) + "\n"


def _run(tmp: Path, tiering: str, clients: list[tuple[str, float, int]], mode: str, eligible: int = 0) -> Any:
    (tmp / "tiering.yaml").write_text(tiering, encoding="utf-8")
    rows = [f"{cid},{volume},{violations}" for cid, volume, violations in clients]
    (tmp / "clients.csv").write_text("client_id,volume,violations\n" + "\n".join(rows) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp), mode, str(eligible)],
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    return json.loads(done.stdout)


def _row(cid: str, placed: str, tier: str, by: str | None, adjustments: str = "") -> dict[str, Any]:
    return {
        "client_id": cid,
        "ladder": "shops",
        "previous_tier": None,
        "placed_tier": placed,
        "tier": tier,
        "placed_by": by,
        "adjustments": adjustments,
        "move_limit": "",
    }


@pytest.mark.parametrize("mode", ["grouped", "exact"])
def test_a_thousand_placement_adjustment_and_eligibility_rules(mode: str, tmp_path: Path) -> None:
    # placement p{k}: volume >= 10 * (1000 - k) places in T{k // 100}: the first that holds wins
    placement = [
        f"  - {{id: p{k}, when: {{volume: {{gte: {10 * (1000 - k)}}}}}, tier: T{k // 100}}}" for k in range(1000)
    ]
    # adjustment a{k}: violations >= k demotes one tier; every one that holds applies
    adjust = [f"  - {{id: a{k}, when: {{violations: {{gte: {k}}}}}, demote: 1}}" for k in range(1, 1001)]
    clients = [("c1", 10000, 0), ("c2", 5005, 2), ("c3", 10, 0), ("c4", 5, 70), ("c5", 995, 1000)]
    got = _run(tmp_path, _tiering(placement, adjust), clients, mode, eligible=1000)
    assert got["tiers"] == [
        _row("c1", "T0", "T0", "p0"),
        _row("c2", "T5", "T7", "p500", "a1;a2"),
        _row("c3", "T9", "T9", "p999"),
        _row("c4", "T9", "T9", None, ";".join(f"a{k}" for k in range(1, 71))),
        _row("c5", "T9", "T9", "p901", ";".join(f"a{k}" for k in range(1, 1001))),
    ]
    # eligibility e{k}: volume >= 10 * (1000 - k), first that holds excludes
    assert got["excluded_by"] == ["e0", "e500", "e999", None, "e901"]


@pytest.mark.parametrize("mode", ["grouped", "exact"])
def test_a_hundred_rules_that_all_match_one_client(mode: str, tmp_path: Path) -> None:
    placement = [f"  - {{id: p{k}, when: {{volume: {{gte: {k}}}}}, tier: T{k % 10}}}" for k in range(100, 0, -1)]
    adjust = [f"  - {{id: a{k}, when: {{volume: {{gte: {k}}}}}, promote: 1}}" for k in range(100)]
    clients = [("big", 1000, 0), ("mid", 50, 0), ("none", 0, 0)]
    got = _run(tmp_path, _tiering(placement, adjust), clients, mode, eligible=100)
    assert got["tiers"] == [
        _row("big", "T0", "T0", "p100", ";".join(f"a{k}" for k in range(100))),
        _row("mid", "T0", "T0", "p50", ";".join(f"a{k}" for k in range(51))),
        _row("none", "T9", "T8", None, "a0"),
    ]
    assert got["excluded_by"] == ["e0", "e95", None]
