"""Field names are the user's: none may collide with the keys durable-rules or the adapter use.

The hostile review found `kind` (the adapter's fact tag), `i` (its fact index), `id` and `sid`
(durable-rules' message and session ids) giving wrong tiers with exit 0, or exit 3. These load a
rule file and a snapshot with every such name and tier the clients, in both engine modes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allocator.inputs.scenarios import snapshot_columns
from allocator.inputs.snapshots import load_snapshot
from allocator.inputs.tiering_rules import load_tiering
from allocator.pipeline.tiering import Mode, tier_clients

NAMES = ["kind", "i", "id", "sid", "m", "pri", "run", "l", "label", "$and", "$s", "a.b", "市场", "~none", "f0"]  # names starting with _ are refused (the tool's own columns)

TIERING = """\
kind: tiering
version: 1
fields:
  {name}: {{type: category, values: [supermarket, kiosk]}}
  volume: {{type: number, min: 0}}
ladders:
  shops: [A, B, C]
placement:
  - {{id: big-supermarket, when: {{{name}: supermarket, volume: {{gte: 100}}}}, tier: A}}
  - {{id: supermarket, when: {{{name}: supermarket}}, tier: B}}
default_tier: C
adjust:
  - {{id: kiosk-up, when: {{{name}: {{ne: supermarket}}, volume: {{gte: 500}}}}, promote: 1}}
"""

ROW = {"ladder": "shops", "previous_tier": None, "move_limit": ""}
TIERS = [
    {"client_id": "c1", **ROW, "placed_tier": "A", "tier": "A", "placed_by": "big-supermarket", "adjustments": ""},
    {"client_id": "c2", **ROW, "placed_tier": "B", "tier": "B", "placed_by": "supermarket", "adjustments": ""},
    {"client_id": "c3", **ROW, "placed_tier": "C", "tier": "C", "placed_by": None, "adjustments": ""},
    {"client_id": "c4", **ROW, "placed_tier": "C", "tier": "B", "placed_by": None, "adjustments": "kiosk-up"},
]


@pytest.mark.parametrize("mode", ["grouped", "exact"])
@pytest.mark.parametrize("name", NAMES)
def test_a_field_named_like_an_engine_key_places_clients_by_its_rules(name: str, mode: Mode, tmp_path: Path) -> None:
    (tmp_path / "tiering.yaml").write_text(TIERING.format(name=json.dumps(name, ensure_ascii=False)), "utf-8")
    rows = ["c1,supermarket,150", "c2,supermarket,50", "c3,kiosk,150", "c4,kiosk,900"]
    (tmp_path / "clients.csv").write_text(f"client_id,{name},volume\n" + "\n".join(rows) + "\n", "utf-8")
    rules = load_tiering(tmp_path / "tiering.yaml")
    snapshot = load_snapshot(tmp_path / "clients.csv", "clients.csv", snapshot_columns(rules, None))
    _, tiers = tier_clients(rules, snapshot, mode)
    assert tiers.to_dicts() == TIERS
