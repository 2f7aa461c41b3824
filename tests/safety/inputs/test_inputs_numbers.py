"""Numeric edges in rule and scenario files: bounded quantities, finite factors, derived infinities.

Every bound is a located user error (exit 2) from `validate`, never a crash (exit 3) in `run`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.inputs.scenarios import snapshot_columns
from allocator.inputs.snapshots import load_snapshot
from allocator.inputs.tiering_rules import load_tiering
from allocator.pipeline.tiering import tier_clients
from tests.safety.inputs.files import ALLOCATION, CLIENTS, SCENARIO, TIERING

BIG = "99999999999999999999"


def _validate(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    tiering: str = TIERING,
    allocation: str = ALLOCATION,
    scenario: str = SCENARIO,
) -> tuple[int, str]:
    files = {"tiering.yaml": tiering, "allocation.yaml": allocation, "scenario.yaml": scenario, "clients.csv": CLIENTS}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "scenario.yaml"])
    return code, capsys.readouterr().err


def _variant(key: str, value: str) -> str:
    return SCENARIO + f"variants:\n  - name: v\n    {key}: {value}\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{p1: .inf}", "scenario.yaml:11:25: variants[0].supply_factor.p1: must be a finite number, got inf"),
        ("{p1: -.inf}", "scenario.yaml:11:25: variants[0].supply_factor.p1: must be a finite number, got -inf"),
        ("{p1: .nan}", "scenario.yaml:11:25: variants[0].supply_factor.p1: must be a finite number, got nan"),
        ("{p1: 1e20}", "scenario.yaml:11:25: variants[0].supply_factor.p1: must be at most 1000, got 1e+20"),
        ("{p1: -0.5}", "scenario.yaml:11:25: variants[0].supply_factor.p1: must be at least 0, got -0.5"),
        (
            "1.5",
            "scenario.yaml:11:20: variants[0].supply_factor: give one factor per product, like supply_factor: "
            "{zhonghua-soft: 0.8}",
        ),
    ],
)
def test_supply_factor(
    value: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _validate(tmp_path, monkeypatch, capsys, scenario=_variant("supply_factor", value))
    assert (code, err) == (2, message + "\n")


def test_a_supply_factor_may_not_lift_the_supply_past_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    allocation = ALLOCATION.replace("supply: 8", "supply: 1000000000000")
    scenario = _variant("supply_factor", "{p1: 1.5}")
    code, err = _validate(tmp_path, monkeypatch, capsys, allocation=allocation, scenario=scenario)
    assert (code, err) == (
        2,
        "scenario.yaml:11:25: variants[0].supply_factor.p1: makes the supply 1500000000000, "
        "above the largest supply allowed (1000000000000)\n",
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "supply: 8",
            f"supply: {BIG}",
            f"allocation.yaml:5:13: products[0] (id=p1).supply: must be at most 1000000000000, got {BIG}",
        ),
        (
            "{A: 3,",
            "{A: .inf,",
            "allocation.yaml:6:21: products[0] (id=p1).per_client.A: expected a mapping or a whole number, got inf",
        ),
        (
            "{A: 3,",
            f"{{A: {BIG},",
            f"allocation.yaml:6:21: products[0] (id=p1).per_client.A: must be at most 1000000000000, got {BIG}",
        ),
        (
            "per_client: {A: 3, B: 2, C: 1}",
            "policy: weighted\n    weights: {A: .inf, B: 2, C: 1}",
            "allocation.yaml:7:18: products[0] (id=p1).weights.A: must be a finite number, got inf",
        ),
        (
            "per_client: {A: 3, B: 2, C: 1}",
            "per_client: {A: 3, B: 2, C: 1}\n    max_per_client: " + BIG,
            f"allocation.yaml:7:21: products[0] (id=p1).max_per_client: must be at most 1000000000000, got {BIG}",
        ),
        (
            "per_client: {A: 3, B: 2, C: 1}",
            "per_client: {A: 3, B: 2, C: 1}\n    reserve: {amount: " + BIG + ", owner: m}",
            f"allocation.yaml:7:23: products[0] (id=p1).reserve.amount: must be at most 1000000000000, got {BIG}\n"
            f"allocation.yaml:7:23: products[0] (id=p1).reserve.amount: reserve amount {BIG} is above the supply 8",
        ),
        (
            "per_client: {A: 3, B: 2, C: 1}",
            "policy: tier_amounts\n    ladder_split: {shops: .inf}",
            "allocation.yaml:7:27: products[0] (id=p1).ladder_split.shops: must be a finite number, got inf",
        ),
    ],
)
def test_allocation_quantities_are_bounded(
    old: str,
    new: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _validate(tmp_path, monkeypatch, capsys, allocation=ALLOCATION.replace(old, new))
    assert (code, err) == (2, message + "\n")


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            SCENARIO.replace("seed: 7", f"seed: {BIG}"),
            f"scenario.yaml:8:7: seed: must be at most 9223372036854775807, got {BIG}",
        ),
        (
            SCENARIO + f"supply: {{p1: {BIG}}}\n",
            f"scenario.yaml:9:14: supply.p1: must be at most 1000000000000, got {BIG}",
        ),
        (
            _variant("supply", f"{{p1: {BIG}}}"),
            f"scenario.yaml:11:18: variants[0].supply.p1: must be at most 1000000000000, got {BIG}",
        ),
        (
            _variant("per_client", "{p1: {A: .inf, B: 2, C: 1}}"),
            "scenario.yaml:11:26: variants[0].per_client.p1.A: expected a mapping or a whole number, got inf",
        ),
    ],
)
def test_scenario_numbers_are_bounded(
    scenario: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _validate(tmp_path, monkeypatch, capsys, scenario=scenario)
    assert (code, err) == (2, message + "\n")


def test_a_derive_literal_that_overflows_is_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tiering = TIERING.replace("ladders:", "derive:\n  huge: volume * 1" + "0" * 309 + "\nladders:")
    code, err = _validate(tmp_path, monkeypatch, capsys, tiering=tiering)
    assert (code, err) == (
        2,
        "tiering.yaml:6:9: derive.huge: the number 10000000000000000000... is too large at character 10 of "
        f"'volume * 1{'0' * 309}'\n",
    )


def test_a_derive_that_reaches_infinity_is_missing_like_a_division_by_zero(tmp_path: Path) -> None:
    tiering = TIERING.replace("ladders:", "derive:\n  per_unit: 1 / volume\nladders:").replace(
        "volume: {gte: 100}", "per_unit: {gte: 100}"
    )
    (tmp_path / "tiering.yaml").write_text(tiering, encoding="utf-8")
    rules = load_tiering(tmp_path / "tiering.yaml")
    with (tmp_path / "clients.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows([["client_id", "volume"], ["tiny", "1e-320"], ["small", "0.001"]])
    snapshot = load_snapshot(tmp_path / "clients.csv", "clients.csv", snapshot_columns(rules, None))
    _, tiers = tier_clients(rules, snapshot)
    # 1 / 1e-320 is inf in float64: no value, so no rule on per_unit can place the client
    assert sorted(tiers.select("client_id", "tier", "placed_by").rows()) == [("small", "A", "big"), ("tiny", "C", None)]
