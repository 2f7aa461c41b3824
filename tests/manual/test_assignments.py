"""Managers' budgets, assignments and locks, end to end: the quotas and summary of a run, every
problem of the files at once, exact budget splits, `keep` against `release`, and `explain`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from allocator.cli import main
from allocator.inputs.models import Reserve
from allocator.pipeline.manual import budgets_of
from allocator.pipeline.segments import Pool

QUOTAS = """\
client_id,product,ladder,tier,segment,ordered,entitled,excluded_by,quota,source,assigned
S01,zhonghua-soft,shops,A,,6,5,,5,rules,0
S02,zhonghua-soft,shops,A,,5,2,,2,lock,0
S03,zhonghua-soft,shops,A,,6,5,,5,rules,0
S04,zhonghua-soft,shops,B,,4,4,,4,rules+assignment,1
S05,zhonghua-soft,shops,B,,3,3,,3,rules,0
S06,zhonghua-soft,shops,B,,4,0,licensed-only,0,rules,0
S07,zhonghua-soft,shops,B,,2,2,,2,rules,0
S08,zhonghua-soft,shops,C,,2,2,,2,assignment,2
S09,zhonghua-soft,shops,C,,1,1,,1,rules,0
S10,zhonghua-soft,shops,C,,2,1,,1,rules,0
S11,zhonghua-soft,shops,C,,1,1,,1,rules,0
S12,zhonghua-soft,shops,C,,0,0,,0,rules,0
S01,yuxi,shops,A,城网,4,3,,3,rules,0
S02,yuxi,shops,A,城网,4,3,,3,rules,0
S03,yuxi,shops,A,农网,3,3,,3,rules,0
S04,yuxi,shops,B,城网,3,3,,3,rules,0
S05,yuxi,shops,B,农网,3,3,,3,rules,0
S06,yuxi,shops,B,农网,3,3,,3,rules,0
S07,yuxi,shops,B,城网,2,2,,2,rules,0
S08,yuxi,shops,C,农网,2,2,,2,rules,0
S09,yuxi,shops,C,城网,2,1,,1,assignment,1
S10,yuxi,shops,C,农网,1,1,,1,lock,0
S11,yuxi,shops,C,城网,1,0,,0,rules,0
S12,yuxi,shops,C,农网,1,1,,1,rules,0
"""

# Every line but the tier lines: the product's own line, budgets (assigned units in `allocated`),
# locks, the reserve kept.
SUMMARY_LINES = """\
zhonghua-soft,product,,,,12,36,26,26,0.7222,0.0909,0.5455,0.8333,0.2778,0.3846,0.4295,0,5,
zhonghua-soft,budget,,,,1,,5,1,,,,,,,,,,"zhang: budget 5, assigned 1 to 1 client, 4 kept"
zhonghua-soft,budget,,,,1,,5,2,,,,,,,,,,"li: budget 5, assigned 2 to 1 client, 3 kept"
zhonghua-soft,lock,,,,1,,,2,,,,,,,,,,"1 quota locked, 2 units (counted in the tier lines)"
zhonghua-soft,reserve,,,,,,,7,,,,,,,,,,"reserve 10, assigned 3, kept 7 (zhang 4, li 3)"
zhonghua-soft,unallocated,,,,,,,7,,,,,,,,,,"supply 40, available 30"
yuxi,product,,,,12,29,25,25,0.8621,0.0833,0.6667,0.9167,0.1379,0.2400,0.2633,0,3,
yuxi,outside,,,,0,0,,0,,,,,,,,,,not in the chosen segments: quota 0
yuxi,budget,城网,,,1,,2,1,,,,,,,,,,"zhang: budget 2, assigned 1 to 1 client, 1 released to the policy"
yuxi,budget,农网,,,0,,4,0,,,,,,,,,,"li: budget 4, assigned 0 to 0 clients, 4 released to the policy"
yuxi,lock,,,,1,,,1,,,,,,,,,,"1 quota locked, 1 unit (counted in the tier lines)"
yuxi,reserve,,,,,,,0,,,,,,,,,,"reserve 6, assigned 1, released 5 to the policy"
yuxi,unallocated,,,,,,,5,,,,,,,,,,"supply 30, available 29"
"""


def _run(*extra: str) -> int:
    return main(["run", "scenario.yaml", "--out", "out", *extra])


def test_budgets_assignments_and_locks_give_these_quotas_and_summary_lines(shops: Path) -> None:
    assert _run() == 0
    assert Path("out/quotas.csv").read_text(encoding="utf-8") == QUOTAS
    lines = Path("out/summary.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert "".join(line for line in lines[1:] if ",tier," not in line) == SUMMARY_LINES


def test_the_supply_is_accounted_for_exactly(shops: Path) -> None:
    # zhonghua-soft: 26 units in quotas (21 by the rules, 3 assigned, 2 locked) + 7 kept + 7 left
    assert _run() == 0
    text = Path("out/summary.csv").read_text(encoding="utf-8").splitlines()
    tiers = [line.split(",") for line in text if line.startswith("zhonghua-soft,tier,")]
    assert sum(int(t[8]) for t in tiers) + 7 + 7 == 40


EVERY_PROBLEM = """\
assignments.csv: row 2, column owner: unknown owner 'zhagn'; did you mean 'zhang'?
assignments.csv: row 3, column client_id: unknown client 'S4' (not in the snapshot); did you mean 'S04'?
assignments.csv: row 4, column product: unknown product 'zhonghau-soft'; did you mean 'zhonghua-soft'?
assignments.csv: row 5, column units: '1.5' is not a positive whole number of units
assignments.csv: row 6, column units: '0' is not a positive whole number of units
assignments.csv: row 7, column units: 'abc' is not a positive whole number of units
assignments.csv: row 14, column reason: empty; give the reason (it goes into the ledger)
locks.csv: row 5, column client_id: a second lock of the same quota (first at row 3)
locks.csv: row 6, column quota: 'x' is not a whole number of units, 0 or more
locks.csv: row 7, column reason: empty; give the reason (it goes into the ledger)
assignments.csv: row 13, column client_id: client S02's zhonghua-soft quota is locked at 2 \
(locks.csv: row 2, column client_id); an assignment cannot add to a locked quota
assignments.csv: row 10, column client_id: client S06 is excluded by eligibility rule 'licensed-only'; \
an assignment cannot give it units
assignments.csv: row 11, column units: client S07 would get 3 units of zhonghua-soft by assignment, \
above its cap 2 (its order)
assignments.csv: row 9, column units: li: 7 units of zhonghua-soft assigned, budget 5 (rows 8, 9)
locks.csv: row 3, column quota: a lock of 9 units is above its cap 3 (its order)
locks.csv: row 4, column quota: client S12 is excluded by eligibility rule 'licensed-only'; \
a lock cannot give it 1 unit
assignments.csv: row 12, column client_id: client S03 is in 农网, and zhang's budget of yuxi is for 城网
"""


def test_every_problem_of_assignments_and_locks_is_reported_at_once_and_nothing_is_written(
    bad_shops: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run() == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", EVERY_PROBLEM)
    assert not Path("out").exists()


def test_a_missing_column_is_named_with_a_suggestion(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("assignments.csv").write_text("owner,client,product,unit,reason\nzhang,S04,zhonghua-soft,1,x\n")
    assert _run() == 2
    assert capsys.readouterr().err == (
        "assignments.csv: row 1: missing column 'client_id'; did you mean 'client'?\n"
        "assignments.csv: row 1: missing column 'units'; did you mean 'unit'?\n"
    )


def test_locks_larger_than_the_supply_are_refused(shops: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("locks.csv").write_text(
        "client_id,product,quota,reason,by\nS01,yuxi,4,a,wang\nS02,yuxi,4,b,wang\nS04,yuxi,3,c,wang\n"
        "S07,yuxi,2,d,wang\nS09,yuxi,2,e,wang\n",
        encoding="utf-8",
    )
    Path("assignments.csv").write_text("owner,client_id,product,units,reason\n", encoding="utf-8")
    assert _run() == 2
    assert capsys.readouterr().err == (
        "locks.csv: row 2, column quota: the locks of yuxi in pool 城网 hold 15 units, more than the 12 the "
        "policy has to share (the supply less the reserve)\n"
    )


def test_owners_budgets_are_whole_units_that_add_up_exactly() -> None:
    three = Reserve(share=0.1, owners={"a": 1, "b": 1, "c": 1})
    assert budgets_of(three, 10, None) == [("a", None, 4), ("b", None, 3), ("c", None, 3)]  # a tie: named first
    halves = Reserve(amount=5, owners={"zhang": 0.5, "li": 0.5})
    assert budgets_of(halves, 5, None) == [("zhang", None, 3), ("li", None, 2)]
    shares = Reserve(amount=7, owners={"x": 0.2, "y": 0.3, "z": 0.5})
    assert budgets_of(shares, 7, None) == [("x", None, 1), ("y", None, 2), ("z", None, 4)]  # 1.4, 2.1, 3.5
    assert budgets_of(Reserve(amount=3, owner="managers"), 3, None) == [("managers", None, 3)]
    pools = [Pool("城网", np.ones(1, dtype=bool), 2), Pool("农网", np.ones(1, dtype=bool), 4)]
    by_pool = Reserve(amount=6, by_segment={"城网": "zhang", "农网": "li"})
    assert budgets_of(by_pool, 6, pools) == [("zhang", "城网", 2), ("li", "农网", 4)]
    assert budgets_of(None, 0, None) == []


def test_release_gives_the_budget_nobody_assigned_to_the_policy(shops: Path) -> None:
    text = Path("allocation.yaml").read_text(encoding="utf-8")
    Path("allocation.yaml").write_text(text.replace("li: 0.5}}", "li: 0.5}, unassigned: release}"), encoding="utf-8")
    assert _run() == 0
    lines = Path("out/summary.csv").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("zhonghua-soft,") and ",tier," not in line] == [
        "zhonghua-soft,product,,,,12,36,26,26,0.7222,0.0909,0.5455,0.8333,0.2778,0.3846,0.4295,0,5,",
        'zhonghua-soft,budget,,,,1,,5,1,,,,,,,,,,"zhang: budget 5, assigned 1 to 1 client, 4 released to the policy"',
        'zhonghua-soft,budget,,,,1,,5,2,,,,,,,,,,"li: budget 5, assigned 2 to 1 client, 3 released to the policy"',
        'zhonghua-soft,lock,,,,1,,,2,,,,,,,,,,"1 quota locked, 2 units (counted in the tier lines)"',
        'zhonghua-soft,reserve,,,,,,,0,,,,,,,,,,"reserve 10, assigned 3, released 7 to the policy"',
        'zhonghua-soft,unallocated,,,,,,,14,,,,,,,,,,"supply 40, available 37"',
    ]


def test_explain_names_the_lock_and_the_assignment_with_who_and_why(
    shops: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "S02", "scenario.yaml"]) == 0
    text = capsys.readouterr().out
    assert (
        "Product zhonghua-soft (policy per_tier, rounding webster)\n"
        "  entitlement 5, ordered 5 (order_zh) → cap 5, locked at 2\n"
        "  eligibility licensed-only: no match\n"
        '      licensed eq "no": "yes" → false\n'
        "  supply 40, reserve 10, locked 2, available 28\n"
        "  quota 2: locked at 2 by wang (complaint: over-allocated last week; locks.csv: row 2, column quota)\n"
        "    → quota 2\n"
    ) in text
    assert main(["explain", "S08", "scenario.yaml"]) == 0
    text = capsys.readouterr().out
    assert (
        "  entitlement 1, ordered 2 (order_zh) → cap 0 after 2 assigned, claim 0\n"
        "  eligibility licensed-only: no match\n"
        '      licensed eq "no": "yes" → false\n'
        "  supply 40, reserve 10, locked 2, available 28\n"
        "  quota 2: nothing to claim (its cap is 0) → quota 0; plus 2 assigned by li (complaint 2026-03-02;\n"
        "    assignments.csv: row 3, column units) → quota 2\n"
    ) in text
