"""Field names that the code may use itself (engine keys, internal columns): either a clean refusal
(exit 2) or the right tiers, never a silent wrong answer."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import (
    FUZZ_SETTINGS,
    assert_nothing_written_outside,
    assert_safe,
    budget,
    invoke,
    tree,
    workspace,
)

RESERVED_LOOKING = [
    "kind", "id", "sid", "i", "m", "t", "pri", "run", "$and", "$s", "_row", "client_id", "tier", "ladder",
    "current_tier", "previous_tier", "placed_by", "__proto__", "__class__", "label", "count", "key", "when",
    "order_p1", "v", "x",
]


def _files(field: str) -> dict[str, str]:
    name = json.dumps(field)
    tiering = (
        "kind: tiering\nversion: 1\n"
        f"fields:\n  {name}: {{type: number, min: 0}}\n"
        "ladders:\n  shops: [A, B]\n"
        f"placement:\n  - {{id: big, when: {{{name}: {{gte: 10}}}}, tier: A}}\n"
        "default_tier: B\n"
    )
    allocation = "kind: allocation\nversion: 1\nproducts:\n  - id: p1\n    supply: 4\n    order_column: order_p1\n    per_client: {A: 2, B: 1}\n"
    rows = io.StringIO()
    header = ["client_id", field] + ([] if field == "order_p1" else ["order_p1"])
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(header)
    for cid, value in (("c1", "20"), ("c2", "5")):
        writer.writerow([cid, value] + ([] if field == "order_p1" else ["1"]))
    return {"tiny/tiering.yaml": tiering, "tiny/allocation.yaml": allocation, "tiny/clients.csv": rows.getvalue()}


@settings(max_examples=budget(60), **FUZZ_SETTINGS)
@given(field=st.sampled_from(RESERVED_LOOKING) | st.from_regex(r"[A-Za-z_$][A-Za-z0-9_$]{0,8}", fullmatch=True))
# Seen 18:06-18:10 with engine.py mid-change: "kind" and "id" placed c2 (5 < 10) in A, "i" placed c1
# (20 >= 10) in B, all exit 0; "sid" exit 3 "Could not get state, error code: 309" (durable-rules).
@example(field="kind")
@example(field="sid")
@example(field="id")
@example(field="i")
@example(field="_row")
@example(field="client_id")
def test_reserved_looking_field_names(field: str) -> None:
    with workspace() as ws:
        for rel, content in _files(field).items():
            (ws / rel).write_text(content, encoding="utf-8")
        before = tree(ws)
        outcome = invoke(["run", "tiny/scenario.yaml", "--out", "out"], ws)
        assert_safe(outcome)
        assert_nothing_written_outside(before, tree(ws), "out")
        if outcome.code == 0:
            rows = list(csv.DictReader((ws / "out" / "tiers.csv").open(encoding="utf-8")))
            assert [(r["client_id"], r["tier"]) for r in rows] == [("c1", "A"), ("c2", "B")], str(outcome)
