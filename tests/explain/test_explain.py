"""`explain`: the whole chain for one client, as text and as data, checked against the run."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from allocator.errors import AllocatorError
from allocator.pipeline.run import run_scenario
from allocator.review.explain import InconsistentExplanation, Json, explain_client
from allocator.review.explain_text import render_explain

ROOT = Path(__file__).parents[2]
TINY = ROOT / "tests" / "cli" / "fixtures" / "tiny"
SHOPS = ROOT / "tests" / "diff" / "fixtures" / "shops"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Copies of the tiny and shops scenarios in a temporary working directory."""
    shutil.copytree(TINY, tmp_path / "tiny")
    shutil.copytree(SHOPS, tmp_path / "shops")
    monkeypatch.chdir(tmp_path)
    return tmp_path



def explain(client_id: str, scenario: Path) -> Json:
    """What `allocator explain CLIENT SCENARIO` computes."""
    return explain_client(client_id, run_scenario(scenario))

def test_tiny_client_short_supply(here: Path) -> None:
    assert (
        render_explain(explain("c1", Path("tiny/scenario.yaml")))
        == """\
Client c1 · tiny (tiny/scenario.yaml) · period 2026Q1 · seed 7
ladder shops · final tier A

Inputs
  volume (number): 150
  order_p1 (order): 5

Placement (the first matching rule places the client)
  big → tier A: matched
      volume gte 100: 150 → true
  mid → tier B: not tested
  placed in tier A by rule big

Adjustments (in order, each kept on the ladder)
  (no adjustment rules)

Move limits
  no current tier (no move limits): tier A stands

Final tier: A

Product p1 (policy per_tier, rounding webster)
  entitlement 3, ordered 5 (order_p1), max_per_client 3 → cap 3, claim 3
  supply 8, reserve 1, available 7
  quota 2: supply short (7 available for 9 claimed): every tier entitlement is divided by one common
    divisor λ and rounded by webster (any λ from 1.33333 to 2 gives every quota of this product):
    3 / λ ≈ 1.8 rounds to 2 → quota 2 of the claim 3 (66.7%)
"""
    )


def test_division_by_zero_default_tier_and_other_ladders(here: Path) -> None:
    assert (
        render_explain(explain("s06", Path("shops/scenario.yaml")))
        == """\
Client s06 · shops (shops/scenario.yaml) · period 2026Q1 · seed 1
ladder city · final tier C

Inputs
  market (category): city
  volume (number): 0
  amount (number): 0
  violations (integer): 0
  current_tier (tier): null
  order_soft (order): 1

Derived
  unit_value = amount / volume → null (division by zero)

Placement (the first matching rule places the client)
  city-a [ladder city] → tier A: no match
      market eq city: city → true
      volume gte 600: 0 → false
      unit_value gte 2: null → false
  city-b [ladder city] → tier B: no match
      market eq city: city → true
      volume gte 250: 0 → false
  village-a [ladder village] → tier A: other ladder
      market eq village: city → false
      volume gte 300: 0 → false
  no rule matched: the default tier C

Adjustments (in order, each kept on the ladder)
  violation-demotes (demote 1): no match
      violations gte 1: 0 → false

Move limits
  no current tier (max_up 1, max_down 2): tier C stands

Final tier: C

Product soft (policy per_tier, rounding webster)
  entitlement 1, ordered 1 (order_soft), max_per_client 5 → cap 1, claim 1
  eligibility no-repeat-offenders: no match
      violations gte 2: 0 → false
  supply 40, available 40
  quota 1: supply covers every claim (22 claimed, 40 available) → quota 1 of the claim 1 (100.0%)

Product hard (policy per_tier, rounding webster)
  entitlement 1, no order column → no cap, claim 1
  supply 30, available 30
  quota 1: supply covers every claim (21 claimed, 30 available) → quota 1 of the claim 1 (100.0%)
"""
    )


def test_demo_client_demoted_twice_excluded_and_floored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert (
        render_explain(explain("R00057", Path("scenarios/demo.yaml")))
        == """\
Client R00057 · 2026 Q4 scarce brands (scenarios/demo.yaml) · period 2026Q4 · seed 2026
ladder city · final tier D

Inputs
  market (category): city
  volume (number): 116
  amount (number): 14359.17
  violations (integer): 3
  current_tier (tier): D
  order_zhonghua_soft (order): 1
  order_huanghelou_1916 (order): 3
  order_furongwang_hard (order): 3

Derived
  unit_value = amount / volume → ≈123.786

Placement (the first matching rule places the client)
  city-a [ladder city] → tier A: no match
      market eq city: city → true
      volume gte 600: 116 → false
      unit_value gte 180: ≈123.786 → false
  city-b [ladder city] → tier B: no match
      market eq city: city → true
      volume gte 250: 116 → false
      unit_value gte 150: ≈123.786 → false
  city-c [ladder city] → tier C: matched
      market eq city: city → true
      volume gte 80: 116 → true
  village-a [ladder village] → tier A: not tested
  village-b [ladder village] → tier B: not tested
  village-c [ladder village] → tier C: not tested
  placed in tier C by rule city-c

Adjustments (in order, each kept on the ladder)
  violation-demotes (demote 1): applied, C → D
      violations gte 1: 3 → true
  repeat-violations-demote-again (demote 1): applied, D → D (already the last tier of the ladder)
      violations gte 3: 3 → true

Move limits
  current tier D, max_up 1, max_down 2: tier D → within the limits

Final tier: D

Product zhonghua-soft (policy per_tier, rounding webster)
  entitlement 0, ordered 1 (order_zhonghua_soft), max_per_client 5 → cap 0 (excluded), claim 0
  eligibility no-repeat-offenders: excludes
      violations gte 2: 3 → true
  supply 2400, reserve 120, available 2280
  quota 0: excluded by no-repeat-offenders → quota 0

Product huanghelou-1916 (policy per_tier, rounding webster)
  entitlement 0, ordered 3 (order_huanghelou_1916) → cap 3, claim 0
  supply 1500, available 1500
  quota 0: nothing to claim (its tier's entitlement is 0) → quota 0

Product furongwang-hard (policy per_tier, rounding webster)
  entitlement 1, ordered 3 (order_furongwang_hard), min_per_client 1 → cap 3, claim 1
  supply 3000, reserve 100, available 2900
  quota 1: supply short (2900 available for 3131 claimed): every tier entitlement is divided by one
    common divisor λ and rounded by webster (λ = 1.33333, the only divisor that gives every quota of
    this product): 1 / λ ≈ 0.75 rounds to 1 → quota 1 of the claim 1 (100.0%)
"""
    )


def _when(*atoms: tuple[str, str, object, object, bool]) -> dict[str, object]:
    parts = [{"field": f, "op": op, "threshold": t, "value": v, "result": r} for f, op, t, v, r in atoms]
    return parts[0] if len(parts) == 1 else {"all": parts, "result": all(p["result"] for p in parts)}


def test_json_for_a_demoted_and_excluded_client(here: Path) -> None:
    data = explain("s08", Path("shops/scenario.yaml"))
    assert json.loads(json.dumps(data)) == data
    village = ("market", "eq", "village", "village", True)
    assert data == {
        "client_id": "s08",
        "scenario": "shops",
        "scenario_file": "shops/scenario.yaml",
        "period": "2026Q1",
        "seed": 1,
        "variant": "base",
        "ladder": "village",
        "inputs": [
            {"field": "market", "type": "category", "value": "village"},
            {"field": "volume", "type": "number", "value": 310.0},
            {"field": "amount", "type": "number", "value": 400.0},
            {"field": "violations", "type": "integer", "value": 2},
            {"field": "current_tier", "type": "tier", "value": "A"},
            {"field": "order_soft", "type": "order", "value": 4},
        ],
        "derived": [{"name": "unit_value", "expression": "amount / volume", "value": 400 / 310, "note": None}],
        "placement": {
            "rules": [
                {
                    "id": "city-a",
                    "ladders": ["city"],
                    "tier": "A",
                    "status": "other ladder",
                    "matched": False,
                    "when": _when(
                        ("market", "eq", "city", "village", False),
                        ("volume", "gte", 600, 310.0, False),
                        ("unit_value", "gte", 2, 400 / 310, False),
                    ),
                },
                {
                    "id": "city-b",
                    "ladders": ["city"],
                    "tier": "B",
                    "status": "other ladder",
                    "matched": False,
                    "when": _when(("market", "eq", "city", "village", False), ("volume", "gte", 250, 310.0, True)),
                },
                {
                    "id": "village-a",
                    "ladders": ["village"],
                    "tier": "A",
                    "status": "matched",
                    "matched": True,
                    "when": _when(village, ("volume", "gte", 300, 310.0, True)),
                },
            ],
            "placed_by": "village-a",
            "tier": "A",
            "default_tier": False,
        },
        "adjustments": [
            {
                "id": "violation-demotes",
                "ladders": None,
                "steps": 1,
                "status": "applied",
                "matched": True,
                "when": _when(("violations", "gte", 1, 2, True)),
                "tier_before": "A",
                "tier_after": "B",
            }
        ],
        "moves": {"current_tier": "A", "max_up": 1, "max_down": 2, "adjusted_tier": "B", "tier": "B", "limit": None},
        "tier": "B",
        "products": [
            {
                "product": "soft",
                "policy": "per_tier",
                "rounding": "webster",
                "entitlement": 3,
                "weight": None,
                "tier_amount": None,
                "order_column": "order_soft",
                "ordered": 4,
                "max_per_client": 5,
                "min_per_client": None,
                "eligibility": [
                    {"id": "no-repeat-offenders", "matched": True, "when": _when(("violations", "gte", 2, 2, True))}
                ],
                "excluded_by": "no-repeat-offenders",
                "in_window": True,
                "cap": 0,
                "claim": 0,
                "supply": 40,
                "reserve": 0,
                "locked": 0,
                "released": 0,
                "source": "rules",
                "assignments": [],
                "lock": None,
                "available": 40,
                "claimed": 22,
                "quota": 0,
                "share_of_claim": None,
                "notes": [],
                "divisor": None,
                "explanation": "excluded by no-repeat-offenders → quota 0",
            },
            {
                "product": "hard",
                "policy": "per_tier",
                "rounding": "webster",
                "entitlement": 2,
                "weight": None,
                "tier_amount": None,
                "order_column": None,
                "ordered": None,
                "max_per_client": None,
                "min_per_client": None,
                "eligibility": [],
                "excluded_by": None,
                "in_window": True,
                "cap": None,
                "claim": 2,
                "supply": 30,
                "reserve": 0,
                "locked": 0,
                "released": 0,
                "source": "rules",
                "assignments": [],
                "lock": None,
                "available": 30,
                "claimed": 21,
                "quota": 2,
                "share_of_claim": 1.0,
                "notes": [],
                "divisor": None,
                "explanation": "supply covers every claim (21 claimed, 30 available) → quota 2 of the claim 2 (100.0%)",
            },
        ],
    }


def test_the_divisor_is_exact(here: Path) -> None:
    assert explain("c1", Path("tiny/scenario.yaml"))["products"][0]["divisor"] == {
        "low": "4/3",
        "high": "2",
        "x": 1.8,
        "rounded": 2,
        "tie": False,
    }


def test_unknown_client_did_you_mean(here: Path) -> None:
    with pytest.raises(AllocatorError) as exc:
        explain("s6", Path("shops/scenario.yaml"))
    assert str(exc.value) == "unknown client 's6' in shops/clients.csv; did you mean 's06'?"
    with pytest.raises(AllocatorError) as exc:
        explain("s0", Path("shops/scenario.yaml"))
    assert str(exc.value) == "unknown client 's0' in shops/clients.csv; did you mean 's01', 's02' or 's03'?"
    with pytest.raises(AllocatorError) as exc:
        explain("nobody", Path("tiny/scenario.yaml"))
    assert str(exc.value) == "unknown client 'nobody': not in tiny/clients.csv (6 clients)"


def test_a_disagreement_with_the_run_is_a_bug(here: Path) -> None:
    result = run_scenario(Path("tiny/scenario.yaml"))
    tampered = dataclasses.replace(result, tiers=result.tiers.with_columns(pl.lit("mid").alias("placed_by")))
    with pytest.raises(InconsistentExplanation) as exc:
        explain_client("c1", tampered)
    assert str(exc.value) == "explain disagrees with the run on placed_by: explained 'big', run gave 'mid'"


def test_every_client_of_the_fixtures_is_explained_as_the_run_has_it(here: Path) -> None:
    for scenario in (Path("tiny/scenario.yaml"), Path("shops/scenario.yaml")):
        result = run_scenario(scenario)
        quotas = pl.concat([p.quotas for p in result.variants[0].products])
        for client_id, tier in result.tiers.select("client_id", "tier").rows():
            data = explain_client(client_id, result)
            assert data["tier"] == tier
            expected = quotas.filter(pl.col("client_id") == client_id)["quota"].to_list()
            assert [p["quota"] for p in data["products"]] == expected
            assert render_explain(data).startswith(f"Client {client_id} · ")
