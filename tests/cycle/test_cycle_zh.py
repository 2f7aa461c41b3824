"""`allocator cycle` in Chinese (`lang: zh` in the scenario, or the `lang` argument the command
line's --lang gives), asserted whole: one round approved, the next a draft; English untouched;
the JSON the same in both languages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from allocator.cli import main
from allocator.commands.cycle import _product_table, cycle

MONTH = Path(__file__).parent / "fixtures" / "month"

ZH = """\
a month of six equal shops · 投放周期 2026-03 · scenario.yaml
各轮次
轮次 ┃ 批次 ┃ 审批状态 ┃ 草稿批次
━━━━━╇━━━━━━╇━━━━━━━━━━╇━━━━━━━━━
W1   │ 1    │ 已审批   │
W2   │      │ 未审批   │ 2
W3   │      │ 未审批   │
rotating · 周期货源 12 · 已投放 4 · 剩余 8 · 下一轮次 W2：4
档位序列 ┃ 档位 ┃ W1 ┃ W2 ┃ W3 ┃ 已投放 ┃ 订单量 ┃ 订单满足率 ┃ 获投放客户数 ┃ 极差
━━━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━
shops    │ A    │  4 │  — │  — │      4 │     30 │      13.3% │            4 │    1
shops    │ B    │  0 │  — │  — │      0 │      5 │       0.0% │            0 │    0
─────────┼──────┼────┼────┼────┼────────┼────────┼────────────┼──────────────┼─────
合计     │      │  4 │  — │  — │      4 │        │            │              │
fixed · 周期货源 12 · 已投放 4 · 剩余 8 · 下一轮次 W2：4
档位序列 ┃ 档位 ┃ W1 ┃ W2 ┃ W3 ┃ 已投放 ┃ 订单量 ┃ 订单满足率 ┃ 获投放客户数 ┃ 极差
━━━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━
shops    │ A    │  4 │  — │  — │      4 │     30 │      13.3% │            4 │    1
shops    │ B    │  0 │  — │  — │      0 │      5 │       0.0% │            0 │    0
─────────┼──────┼────┼────┼────┼────────┼────────┼────────────┼──────────────┼─────
合计     │      │  4 │  — │  — │      4 │        │            │              │
"""

EN = """\
a month of six equal shops · cycle 2026-03 · scenario.yaml
rounds
round ┃ run ┃ state    ┃ draft runs
━━━━━━╇━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━
W1    │ 1   │ approved │
W2    │     │ open     │ 2
W3    │     │ open     │
rotating · cycle supply 12 · issued 4 · remaining 8 · next round W2: 4
ladder ┃ tier ┃ W1 ┃ W2 ┃ W3 ┃ issued ┃ ordered ┃  fill ┃ clients received ┃ spread
━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━
shops  │ A    │  4 │  — │  — │      4 │      30 │ 13.3% │                4 │      1
shops  │ B    │  0 │  — │  — │      0 │       5 │  0.0% │                0 │      0
───────┼──────┼────┼────┼────┼────────┼─────────┼───────┼──────────────────┼───────
total  │      │  4 │  — │  — │      4 │         │       │                  │
fixed · cycle supply 12 · issued 4 · remaining 8 · next round W2: 4
ladder ┃ tier ┃ W1 ┃ W2 ┃ W3 ┃ issued ┃ ordered ┃  fill ┃ clients received ┃ spread
━━━━━━━╇━━━━━━╇━━━━╇━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━
shops  │ A    │  4 │  — │  — │      4 │      30 │ 13.3% │                4 │      1
shops  │ B    │  0 │  — │  — │      0 │       5 │  0.0% │                0 │      0
───────┼──────┼────┼────┼────┼────────┼─────────┼───────┼──────────────────┼───────
total  │      │  4 │  — │  — │      4 │         │       │                  │
"""


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The month fixture with round W1 approved and a draft of W2."""
    shutil.copytree(MONTH, tmp_path / "month")
    monkeypatch.chdir(tmp_path / "month")
    for argv in (["batch", "scenario.yaml", "--out", "w1", "--round", "W1"], ["approve", "1", "--by", "lin"],
                 ["batch", "scenario.yaml", "--out", "w2", "--round", "W2"]):  # fmt: skip
        assert main([*argv, "--ledger", "ledger.sqlite"]) == 0
    capsys.readouterr()
    return tmp_path / "month"


def _shown(capsys: pytest.CaptureFixture[str]) -> str:
    return "\n".join(line.rstrip() for line in capsys.readouterr().out.split("\n"))  # rich pads cells with spaces


def test_cycle_in_zh_and_in_en(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cycle(Path("scenario.yaml"), Path("ledger.sqlite"), lang="zh") == 0
    assert _shown(capsys) == ZH
    assert cycle(Path("scenario.yaml"), Path("ledger.sqlite")) == 0
    assert _shown(capsys) == EN


def test_a_zh_scenario_gives_zh_tables_and_lang_en_wins(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = month / "scenario.yaml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + "lang: zh\n", encoding="utf-8")
    assert main(["cycle", "scenario.yaml", "--ledger", "ledger.sqlite"]) == 0
    assert _shown(capsys) == ZH
    assert cycle(scenario.relative_to(month), Path("ledger.sqlite"), lang="en") == 0
    assert _shown(capsys) == EN


def test_the_json_is_the_same_in_both_languages(month: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cycle(Path("scenario.yaml"), Path("ledger.sqlite"), as_json=True, lang="zh") == 0
    zh = capsys.readouterr().out
    assert cycle(Path("scenario.yaml"), Path("ledger.sqlite"), as_json=True) == 0
    assert zh == capsys.readouterr().out
    assert [r["state"] for r in json.loads(zh)["rounds"]] == ["approved", "open", "open"]


def test_idle_tiers_are_summed_up_in_one_line_in_either_language() -> None:
    def tier(name: str, issued: int, ordered: int | None) -> dict[str, object]:
        return {"ladder": "城网", "tier": name, "by_round": {"W1": issued}, "issued": issued, "ordered": ordered,
                "fill_rate": issued / ordered if ordered else None, "clients_received": 1 if issued else 0,
                "spread": 0}  # fmt: skip

    product = {"product": "中华", "cycle_supply": 1200, "issued": 3, "remaining": 1197, "by_round": {"W1": 3},
               "next_round": None, "next_supply": None,
               "tiers": [tier("一档", 3, 6), tier("二档", 0, 0), tier("三档", 0, None), tier("四档", 0, 0)]}  # fmt: skip
    shown = {}
    for lang in ("zh", "en"):
        console = Console(width=200, no_color=True, highlight=False, soft_wrap=True)
        with console.capture() as cap:
            console.print(_product_table(product, ["W1"], lang))
        shown[lang] = [line.rstrip() for line in cap.get().splitlines()]
    assert shown["zh"] == [
        "中华 · 周期货源 1,200 · 已投放 3 · 剩余 1,197",
        "档位序列 ┃ 档位 ┃ W1 ┃ 已投放 ┃ 订单量 ┃ 订单满足率 ┃ 获投放客户数 ┃ 极差",
        "━━━━━━━━━╇━━━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━",
        "城网     │ 一档 │  3 │      3 │      6 │      50.0% │            1 │    0",
        "─────────┼──────┼────┼────────┼────────┼────────────┼──────────────┼─────",
        "合计     │      │  3 │      3 │        │            │              │",
        "另有 3 个档位（二档 … 四档）：无投放、无订单",
    ]
    assert shown["en"] == [
        "中华 · cycle supply 1,200 · issued 3 · remaining 1,197",
        "ladder ┃ tier ┃ W1 ┃ issued ┃ ordered ┃  fill ┃ clients received ┃ spread",
        "━━━━━━━╇━━━━━━╇━━━━╇━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━╇━━━━━━━",
        "城网   │ 一档 │  3 │      3 │       6 │ 50.0% │                1 │      0",
        "───────┼──────┼────┼────────┼─────────┼───────┼──────────────────┼───────",
        "total  │      │  3 │      3 │         │       │                  │",
        "and 3 more tiers (二档 … 四档): nothing issued, nothing ordered",
    ]
