"""`runs` and `history` in Chinese (the `lang` argument the command line's --lang gives), asserted
whole on the ledger of tests/batch/test_history.py; the JSON the same in both languages."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.commands.history import history
from allocator.commands.runs import runs
from tests.batch.test_approval import T
from tests.batch.test_history import ledger

__all__ = ["ledger"]  # the fixture: two weeks, one published, one a draft with acts; a failed run


def test_runs_in_zh(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert runs(Path("ledger.sqlite"), lang="zh") == 0
    assert capsys.readouterr().out == (
        "ledger.sqlite\n"
        "编号 ┃ 开始时间                  ┃ 运行状态 ┃ 审批状态 ┃ 方案        ┃ 周期    ┃ 客户数 ┃ 投放总量 ┃ 审批人 ┃ 被替代于\n"
        "━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━\n"
        "   1 │ 2026-12-01T10:00:00+00:00 │ 完成     │ 已公示   │ weekly.yaml │ 2026W9  │      2 │        6 │ zhang  │\n"
        "   2 │ 2026-12-01T10:00:00+00:00 │ 完成     │ 草稿     │ weekly.yaml │ 2026W10 │      2 │        6 │        │\n"
        "   3 │ 2026-12-01T10:00:00+00:00 │ 失败     │          │ weekly.yaml │ 2026W11 │        │          │        │\n"
    )  # fmt: skip


def test_history_in_zh(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert history("c1", Path("ledger.sqlite"), lang="zh") == 0
    assert capsys.readouterr().out == (
        "c1 · 档位与投放量\n"
        "批次 ┃ 周期    ┃ 审批状态 ┃ 档位序列 ┃ 档位 ┃ 品规 ┃ 投放量 ┃ 来源\n"
        "━━━━━╇━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━\n"
        "   1 │ 2026W9  │ 已公示   │ city     │ A    │ p1   │      3 │ 按规则\n"
        "   1 │ 2026W9  │ 已公示   │ city     │ A    │ p2   │      2 │ 按规则\n"
        "   2 │ 2026W10 │ 草稿     │ city     │ B    │ p1   │      4 │ 客户经理分配\n"
        "   2 │ 2026W10 │ 草稿     │ city     │ B    │ p2   │      1 │ 锁定\n"
        "c1 · 人工操作记录\n"
        "批次 ┃ 操作         ┃ 操作人 ┃ 时间                      ┃ 品规 ┃ 数量 ┃ 原因                   ┃ 说明\n"
        "━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━╇━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━\n"
        f"   1 │ 审批         │ zhang  │ {T} │      │      │ week 9 checked         │\n"
        f"   1 │ 公示         │ wang   │ {T} │      │      │                        │ /srv/www/notice\n"
        f"   2 │ 客户经理分配 │ zhang  │ {T} │ p1   │    2 │ new shop on the square │\n"
        f"   2 │ 锁定         │ li     │ {T} │ p2   │    1 │ complaint 118          │\n"
    )  # fmt: skip


def test_the_json_is_the_same_in_both_languages(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for command, args in ((runs, ()), (history, ("c1",))):
        assert command(*args, Path("ledger.sqlite"), True, "zh") == 0  # type: ignore[operator]
        zh = capsys.readouterr().out
        assert command(*args, Path("ledger.sqlite"), True) == 0  # type: ignore[operator]
        assert zh == capsys.readouterr().out
        assert '"state": "published"' in zh
