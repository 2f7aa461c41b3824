"""diff's and cycle's errors, the cycle's supply and stale-round refusals and the workbook's limits
in Chinese: diff and cycle with --lang zh driven into each, the whole of stderr."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.messages import translate

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The tiny scenario in a fresh working directory, outside any git repository."""
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    return tmp_path / "tiny"


def zh(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the command with --lang zh: its exit code, stdout and the whole of stderr."""
    capsys.readouterr()
    code = main([*argv, "--lang", "zh"])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_errors_of_diff_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = ("--snapshot", "tiny/clients.csv")
    expected = {
        ("--before", "nosuch", "--after", "tiny", *snapshot): "--before nosuch: 文件或文件夹不存在",
        ("--before", "git:HEAD", "--after", "tiny", *snapshot): "git:HEAD: 应为 git:REV:PATH，例如 git:HEAD~1:rules",
        ("--before", "git:HEAD:rules", "--after", "tiny", *snapshot): "git:HEAD:rules: 当前目录不在 git 仓库中",
        ("--before", "tiny/clients.csv", "--after", "tiny", *snapshot): "--before tiny/clients.csv: 不是规则文件"
        "（没有 'kind: tiering' 或 'kind: allocation'）；请给出分档或投放规则文件，或存放它们的文件夹",
        ("--before", "tiny", "--after", "tiny"): "diff 需要客户数据：请给出 --snapshot，或给出 --scenario 以使用其客户数据",
        ("--before", "tiny", "--after", "tiny", *snapshot, "--clients", "tiny"): "tiny: 拒绝把客户列表写到这里："
        "这是文件夹；请给 --clients 一个新文件，或 allocator 写出的客户列表",
    }
    for argv, message in expected.items():
        assert zh(capsys, "diff", *argv) == (2, "", message + "\n")


def test_cycle_of_a_scenario_without_one_in_zh(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert zh(capsys, "cycle", "tiny/scenario.yaml", "--ledger", "l.sqlite") == (
        2, "", "tiny/scenario.yaml: 该方案没有 cycle；请添加 cycle: {id, rounds, supply}\n"
    )  # fmt: skip


@pytest.mark.parametrize(("english", "chinese"), [
    ("scenario.yaml: supply.rotating: 9 is more than the 8 units cycle 2026-03 has left for round W2 (cycle supply "
     "20, 12 issued by approved rounds)",
     "scenario.yaml: supply.rotating: 9 超过了周期 2026-03 留给轮次 W2 的 8 条（周期货源 20，已批准的轮次已发放 12）"),
    ("run 3 (s.yaml, period 2026-03, round W2) cannot be approved: it was worked out from no approved round of "
     "cycle 2026-03, and the approved rounds are now runs 1, 2; its supply and rotation are out of date: batch "
     "round W2 again and approve that run",
     "运行 3（s.yaml，周期 2026-03，轮次 W2） 无法批准：它是在周期 2026-03 的已批准轮次为无时算出的，而现在已批准的"
     "轮次是运行 1, 2；其货源和轮换已过时：请重新 batch 轮次 W2 并批准那个运行"),
    ("git:HEAD~1:rules: refusing the file name '-x.yaml' in the commit: a rule file's name must be a plain name "
     "(no '/', '\\', NUL or control characters, not '.' or '..', not starting with '-')",
     "git:HEAD~1:rules: 拒绝该提交中的文件名 '-x.yaml'：规则文件名必须是普通名称（不含 '/'、'\\'、NUL 或控制字符，"
     "不是 '.' 或 '..'，不以 '-' 开头）"),
    ("--after rules: gives no allocation file; give a folder holding both rule files, or --scenario to supply "
     "the allocation file",
     "--after rules: 没有给出投放规则文件；请给出同时存放两种规则文件的文件夹，或用 --scenario 提供投放规则文件"),
    ("git:v1:rules: unknown git revision 'v1'", "git:v1:rules: 未知的 git 版本 'v1'"),
    ("out/workbook.xlsx: the 配额 sheet needs 20,000 columns, more than Excel's 16,384; leave xlsx out of the "
     "scenario's outputs and use the CSVs",
     "out/workbook.xlsx: 配额 工作表需要 20,000 列，超过 Excel 的 16,384 列；请从方案的 outputs 中去掉 xlsx，改用 CSV"),
    ("out/workbook.xlsx: the quotas sheet, row 1,204, column note: a text of 40,000 characters, more than an Excel "
     "cell holds (32,767); keep fewer columns, or leave xlsx out of the scenario's outputs",
     "out/workbook.xlsx: quotas 工作表第 1,204 行，列 note：文本有 40,000 个字符，超过 Excel 单元格的上限（32,767）；"
     "请少保留一些列，或从方案的 outputs 中去掉 xlsx"),
])  # fmt: skip
def test_review_messages_in_zh(english: str, chinese: str) -> None:
    assert translate(english, "zh") == chinese
    assert translate(english, "en") == english
