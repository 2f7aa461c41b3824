"""The field's metrics and alerts of a whole run, on eight shops whose every figure is checked by hand.

The `field` fixture: tiers A (c1, c2), B (c3, c4, c5) and C (c6, c7, c8); product p (per_tier
4/2/1, supply 9, orders 5, 1 | 4, 0, 3 | 2, 1, 0) and product q (tier_amounts, window A-B, supply
10, no orders); a variant `half` with half of p's supply. The file sets
`alerts: {coverage_below: 0.7, fill_rate_gap_above: 0.2}`, and p overrides them with
`{full_fill_rate_below: 0.5, coverage_below: null}`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.pipeline.run import RunResult, run_scenario

FIELD = Path(__file__).parent / "fixtures" / "field"

# p's quotas (quotas.csv below): A 3, 1; B 1, 0, 2; C 1, 1, 0. By hand, per line:
#  A: full fill 1 of 2 (c2's 1 of 1), coverage 2/2, gap (6 - 4)/6, top 10 % 3 of 4, Gini of (1, 3) = 4/16
#  B: full fill 0 of 2 (c4 ordered nothing), coverage 2/3, gap 4/7, top 2 of 3, Gini of (0, 1, 2) = 8/18
#  C: full fill 1 of 2 (c7's 1 of 1), coverage 2/3, gap 1/3, top 1 of 2, Gini of (0, 1, 1) = 4/12
#  p: full fill 2 of 6, coverage 6/8, gap 7/16, top ceil(8/10) = 1 client: 3 of 9,
#     Gini of (0, 0, 1, 1, 1, 1, 2, 3): (2 * 56 - 9 * 9) / (8 * 9) = 31/72
# q: 2 cartons for every shop of A and B, C outside the window: coverage 5/8, top 2 of 10,
#    Gini of (0, 0, 0, 2, 2, 2, 2, 2): (2 * 60 - 9 * 10) / (8 * 10) = 3/8
SUMMARY = """\
product,line,ladder,tier,clients,ordered,entitled,allocated,fill_rate,stockout_rate,full_fill_rate,coverage,gap_rate,top10_share,gini,min_quota,max_quota,note
p,tier,shops,A,2,6,5,4,0.6667,0.0000,0.5000,1.0000,0.3333,0.7500,0.2500,1,3,
p,tier,shops,B,3,7,4,3,0.4286,0.0000,0.0000,0.6667,0.5714,0.6667,0.4444,0,2,
p,tier,shops,C,3,3,2,2,0.6667,0.0000,0.5000,0.6667,0.3333,0.5000,0.3333,0,1,
p,product,,,8,16,11,9,0.5625,0.0000,0.3333,0.7500,0.4375,0.3333,0.4306,0,3,
p,unallocated,,,,,,0,,,,,,,,,,"supply 9, available 9"
q,tier,shops,A,2,,4,4,,,,1.0000,,0.5000,0.0000,2,2,amount 2
q,tier,shops,B,3,,6,6,,,,1.0000,,0.3333,0.0000,2,2,amount 2
q,tier,shops,C,3,,0,0,,,,0.0000,,,,0,0,amount 0
q,product,,,8,,10,10,,,,0.6250,,0.2000,0.3750,0,2,
q,unallocated,,,,,,0,,,,,,,,,,"supply 10, available 10"
"""

# half: p gets 4 units: A 2, 0; B 1, 0, 1; C nothing. C's total is 0, so no top-10 % share and no Gini.
HALF_P = """\
p,tier,shops,A,2,6,5,2,0.3333,0.5000,0.0000,0.5000,0.6667,1.0000,0.5000,0,2,
p,tier,shops,B,3,7,4,2,0.2857,0.0000,0.0000,0.6667,0.7143,0.5000,0.3333,0,1,
p,tier,shops,C,3,3,2,0,0.0000,1.0000,0.0000,0.0000,1.0000,,,0,0,
p,product,,,8,16,11,4,0.2500,0.5000,0.0000,0.3750,0.7500,0.5000,0.6875,0,2,
"""

ALERTS = (
    "alert: p, tier B: full fill rate 0% is below 50%",
    "alert: p, all tiers: full fill rate 33.33% is below 50%",
    "alert: p: fill-rate gap 23.81% between tier A (66.67%) and tier B (42.86%) is above 20%",
    "alert: q, all tiers: coverage 62.5% is below 70%",
    "alert: p, tier A: full fill rate 0% is below 50% (variant half)",
    "alert: p, tier B: full fill rate 0% is below 50% (variant half)",
    "alert: p, tier C: full fill rate 0% is below 50% (variant half)",
    "alert: p, all tiers: full fill rate 0% is below 50% (variant half)",
    "alert: p: fill-rate gap 33.33% between tier A (33.33%) and tier C (0%) is above 20% (variant half)",
    "alert: q, all tiers: coverage 62.5% is below 70% (variant half)",
)

RUN_OUTPUT = (
    """\
field · period 2026Q1 · seed 3 · 8 clients
base
product ┃ ladder      ┃ tier ┃ clients ┃ ordered ┃ entitled ┃ allocated ┃  fill ┃ stock-out ┃ full fill ┃ coverage ┃ note
━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━
p       │ shops       │ A    │       2 │       6 │        5 │         4 │ 66.7% │      0.0% │     50.0% │   100.0% │
p       │ shops       │ B    │       3 │       7 │        4 │         3 │ 42.9% │      0.0% │      0.0% │    66.7% │
p       │ shops       │ C    │       3 │       3 │        2 │         2 │ 66.7% │      0.0% │     50.0% │    66.7% │
p       │ unallocated │      │         │         │          │         0 │       │           │           │          │ supply 9, available 9
base: tier amounts (cartons per shop)
ladder ┃ tier ┃ shops ┃  q
━━━━━━━╇━━━━━━╇━━━━━━━╇━━━
shops  │ A    │     2 │  2
shops  │ B    │     3 │  2
───────┼──────┼───────┼───
total  │      │       │ 10
supply │      │       │ 10
left   │      │       │  0
base: products, every tier
product ┃ clients ┃ ordered ┃ allocated ┃  fill ┃ full fill ┃ coverage ┃   gap ┃ top 10% ┃  Gini
━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━
p       │       8 │      16 │         9 │ 56.2% │     33.3% │    75.0% │ 43.8% │   33.3% │ 0.431
q       │       8 │       - │        10 │     - │         - │    62.5% │     - │   20.0% │ 0.375
variants compared: allocated (fill rate)
product ┃ ladder ┃ tier ┃      base ┃      half
━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━
p       │ shops  │ A    │ 4 (66.7%) │ 2 (33.3%)
p       │ shops  │ B    │ 3 (42.9%) │ 2 (28.6%)
p       │ shops  │ C    │ 2 (66.7%) │  0 (0.0%)
────────┼────────┼──────┼───────────┼──────────
p       │ total  │      │    9 of 9 │    4 of 4
q       │ total  │      │  10 of 10 │  10 of 10
"""
    + "".join(line + "\n" for line in ALERTS)
    + """\
wrote out/ (tiers.csv, quotas.csv, summary.csv, manifest.json, comparison.csv, report.html)
"""
)


@pytest.fixture(scope="module")
def field() -> RunResult:
    return run_scenario(FIELD / "scenario.yaml")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the field scenario in a temporary working directory."""
    shutil.copytree(FIELD, tmp_path / "field")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "field"


def test_run_writes_the_metrics_and_prints_the_alerts_after_the_tables(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "field/scenario.yaml", "--out", "out"]) == 0
    out, err = capsys.readouterr()
    assert (out, err) == (RUN_OUTPUT, "")
    assert Path("out/quotas.csv").read_text().splitlines()[1:9] == [
        "c1,p,shops,A,5,4,,3,rules", "c2,p,shops,A,1,1,,1,rules",
        "c3,p,shops,B,4,2,,1,rules", "c4,p,shops,B,0,0,,0,rules", "c5,p,shops,B,3,2,,2,rules",
        "c6,p,shops,C,2,1,,1,rules", "c7,p,shops,C,1,1,,1,rules", "c8,p,shops,C,0,0,,0,rules",
    ]  # fmt: skip
    assert Path("out/summary.csv").read_text() == SUMMARY
    half = Path("out/variants/half/summary.csv").read_text().splitlines(keepends=True)
    assert "".join(half[1:5]) == HALF_P
    assert Path("out/comparison.csv").read_text() == (
        "product,ladder,tier,variant,clients,allocated,fill_rate,stockout_rate,full_fill_rate,coverage,tier_changed\n"
        "p,shops,A,base,2,4,0.6667,0.0000,0.5000,1.0000,0\n"
        "p,shops,A,half,2,2,0.3333,0.5000,0.0000,0.5000,0\n"
        "p,shops,B,base,3,3,0.4286,0.0000,0.0000,0.6667,0\n"
        "p,shops,B,half,3,2,0.2857,0.0000,0.0000,0.6667,0\n"
        "p,shops,C,base,3,2,0.6667,0.0000,0.5000,0.6667,0\n"
        "p,shops,C,half,3,0,0.0000,1.0000,0.0000,0.0000,0\n"
        "q,shops,A,base,2,4,,,,1.0000,0\n"
        "q,shops,A,half,2,4,,,,1.0000,0\n"
        "q,shops,B,base,3,6,,,,1.0000,0\n"
        "q,shops,B,half,3,6,,,,1.0000,0\n"
        "q,shops,C,base,3,0,,,,0.0000,0\n"
        "q,shops,C,half,3,0,,,,0.0000,0\n"
    )


def test_alerts_name_product_tier_value_and_threshold(field: RunResult) -> None:
    # p: coverage switched off by its own null, full fill and the gap kept; q: no orders, so no
    # fill-rate gap, and its tier C (outside the window) is closed: 0 coverage there is no alert
    assert field.alerts == ALERTS


def test_a_tier_whose_rules_give_nothing_raises_no_alert(tmp_path: Path) -> None:
    folder = tmp_path / "field"
    shutil.copytree(FIELD, folder)
    allocation = folder / "allocation.yaml"
    text = allocation.read_text().replace("per_client: {A: 4, B: 2, C: 1}", "per_client: {A: 4, B: 2, C: 0}")
    text = text.replace("alerts: {full_fill_rate_below: 0.5, coverage_below: null}", "alerts: {coverage_below: 0.9}")
    allocation.write_text(text)
    result = run_scenario(folder / "scenario.yaml")
    base = [a for a in result.alerts if "(variant" not in a]
    # the 9 units now meet every claim: A 4, 1 (of 6 ordered), B 2, 0, 2 (of 7), C nothing. C's
    # entitlement is 0, so its 0 % coverage and 0 % fill rate are the rule's intent: no alert for C,
    # and the gap is A's 5/6 against B's 4/7 (not against C's 0 %); the product's coverage is 4/8
    assert base == [
        "alert: p, tier B: coverage 66.67% is below 90%",
        "alert: p, all tiers: coverage 50% is below 90%",
        "alert: p: fill-rate gap 26.19% between tier A (83.33%) and tier B (57.14%) is above 20%",
        "alert: q, all tiers: coverage 62.5% is below 70%",
    ]


def test_no_thresholds_no_alerts(tmp_path: Path) -> None:
    folder = tmp_path / "field"
    shutil.copytree(FIELD, folder)
    allocation = folder / "allocation.yaml"
    text = allocation.read_text().replace("alerts: {coverage_below: 0.7, fill_rate_gap_above: 0.2}\n", "")
    allocation.write_text(text.replace("    alerts: {full_fill_rate_below: 0.5, coverage_below: null}\n", ""))
    assert run_scenario(folder / "scenario.yaml").alerts == ()


def test_bad_thresholds_are_all_reported_with_their_place(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    allocation = here / "allocation.yaml"
    text = allocation.read_text().replace(
        "alerts: {coverage_below: 0.7, fill_rate_gap_above: 0.2}",
        'alerts: {coverage_belw: 0.7, fill_rate_gap_above: 1.2, gini_above: -0.1, top10_share_above: "0.5"}',
    )
    text = text.replace(
        "    window: {highest: A, lowest: B}\n",
        "    window: {highest: A, lowest: B}\n    alerts: {gap_rate_above: 0.1}\n",
    )
    allocation.write_text(text)
    assert main(["validate", "field/tiering.yaml", "field/allocation.yaml"]) == 2
    _, err = capsys.readouterr()
    assert err == (
        "field/allocation.yaml:4:10: alerts.coverage_belw: unknown key; did you mean 'coverage_below'?\n"
        "field/allocation.yaml:4:51: alerts.fill_rate_gap_above: must be at most 1, got 1.2\n"
        "field/allocation.yaml:4:68: alerts.gini_above: must be at least 0, got -0.1\n"
        "field/allocation.yaml:4:93: alerts.top10_share_above: expected a number, got '0.5'\n"
        "field/allocation.yaml:16:14: products[1] (id=q).alerts.gap_rate_above: needs the product's orders "
        "(order_column); without them it has no fill rates\n"
    )
