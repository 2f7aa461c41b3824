"""User errors in Chinese: every line of every error case, and the assignments and locks checks.

What "translated" means here, precisely: a line is translated when one English template of the
catalogue (allocator.messages.MESSAGES, with its endings SUFFIXES) matches the whole of its message,
the part after the location (`file:line:col: ` or `file: row N, column C: `) and the key path; the
Chinese line is then the Chinese template filled with the very same fields, after the same location
and key path (with "row N, column C" as "第 N 行，列 C"). A line no template matches would stay
English: the tests below require that there is none, and that the Chinese text is what the
catalogue says, so that a template matching the wrong message would show too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from allocator.cli import main
from allocator.messages import FIELD, FRAGMENTS, MESSAGES, SUFFIXES, translate, translate_line
from tests.manual.conftest import FIXTURES
from tests.manual.test_assignments import EVERY_PROBLEM
from tests.test_cases import _cases, _write_files

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _translated(english: str) -> list[str]:
    """Each line of an English message in Chinese; fails naming every line no template matches."""
    lines = english.rstrip("\n").split("\n")
    left = [line for line in lines if translate_line(line) is None]
    assert left == [], "untranslated"
    return [translate_line(line) or "" for line in lines]


@pytest.mark.parametrize("case", _cases("errors"))
def test_every_error_case_in_zh_has_every_line_translated(
    case: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_files(tmp_path, case["files"])
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "--lang", "zh", *case["validate"]]) == 2
    err = capsys.readouterr().err
    zh = _translated(case["expected"])
    assert err == "\n".join(zh) + "\n"
    for en_line, zh_line in zip(case["expected"].rstrip("\n").split("\n"), zh, strict=True):
        assert CJK.search(zh_line), zh_line
        where = re.match(r"[^:]+(?::\d+)*: ", en_line)
        assert where is not None and zh_line.startswith(where.group(0))  # the file and place as written


def test_the_assignments_and_locks_checks_in_zh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "shops", tmp_path / "shops")
    for f in (FIXTURES / "bad").iterdir():
        shutil.copy(f, tmp_path / "shops" / f.name)
    monkeypatch.chdir(tmp_path / "shops")
    assert main(["run", "scenario.yaml", "--out", "out", "--lang", "zh"]) == 2
    assert capsys.readouterr().err.splitlines() == _translated(EVERY_PROBLEM)
    assert _translated(EVERY_PROBLEM)[:8] == [
        "assignments.csv: 第 2 行，列 owner: 未知的客户经理 'zhagn'；是否应为 'zhang'？",
        "assignments.csv: 第 3 行，列 client_id: 未知的客户 'S4'（不在客户数据中）；是否应为 'S04'？",
        "assignments.csv: 第 4 行，列 product: 未知的品规 'zhonghau-soft'；是否应为 'zhonghua-soft'？",
        "assignments.csv: 第 5 行，列 units: '1.5' 不是正整数数量",
        "assignments.csv: 第 6 行，列 units: '0' 不是正整数数量",
        "assignments.csv: 第 7 行，列 units: 'abc' 不是正整数数量",
        "assignments.csv: 第 14 行，列 reason: 为空；请给出原因（将记入台账）",
        "locks.csv: 第 5 行，列 client_id: 同一投放量的第二个锁定（首次在 第 3 行）",
    ]
    assert not Path("out").exists()


@pytest.mark.parametrize(("english", "chinese"), [
    ("assignments.csv: row 1: missing column 'client_id'; did you mean 'client'?",
     "assignments.csv: 第 1 行: 缺少列 'client_id'；是否应为 'client'？"),
    ("locks.csv: row 2, column quota: the locks of yuxi in pool 城网 hold 15 units, more than the 12 the policy "
     "has to share (the supply less the reserve)",
     "locks.csv: 第 2 行，列 quota: yuxi（投放池 城网） 的锁定共 15 条，超过按规则可分配的 12 条（货源减去预留）"),
    ("assignments.csv: row 2, column units: client S01 would get 5 units of zhonghua-soft by assignment, above its "
     "cap 4 (max_per_client)",
     "assignments.csv: 第 2 行，列 units: 客户 S01 通过分配将得到 zhonghua-soft 5 条，超过其上限 4（max_per_client）"),
    ("assignments.csv: row 9, column units: li: 7 units of zhonghua-soft assigned, budget 5 (rows 8, 9)",
     "assignments.csv: 第 9 行，列 units: li：已分配 zhonghua-soft 7 条，额度 5（第 8, 9 行）"),
    ("clients.csv: row 1,204, column volume: -5 is below the minimum 0", "clients.csv: 第 1,204 行，列 volume: -5 小于最小值 0"),
    ("scenario.yaml:14:7: locks[1].client_id: a second lock of the same quota (first at line 12)",
     "scenario.yaml:14:7: locks[1].client_id: 同一投放量的第二个锁定（首次在 第 12 行）"),
])  # fmt: skip
def test_more_messages_of_the_manual_checks_and_snapshots(english: str, chinese: str) -> None:
    assert translate(english, "zh") == chinese
    assert translate(english, "en") == english
    assert translate(english, None) == english


def test_a_message_no_template_matches_stays_english() -> None:
    assert translate_line("x.yaml:1:1: something new went wrong") is None
    assert translate("x.yaml:1:1: something new went wrong\nt.yaml: the file is empty", "zh") == (
        "x.yaml:1:1: something new went wrong\nt.yaml: 文件为空"
    )


def test_every_catalogue_entry_has_both_languages_with_the_same_fields() -> None:
    entries = [*MESSAGES.items(), *SUFFIXES.items(), *(kv for t in FRAGMENTS.values() for kv in t.items() if kv[0])]
    assert len(entries) > 100
    assert [en for en, zh in entries if not CJK.search(zh)] == []
    assert [en for en, zh in entries if sorted(FIELD.findall(en)) != sorted(FIELD.findall(zh))] == []


def test_the_scenarios_lang_gives_its_errors_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(Path(__file__).parents[1] / "cli" / "fixtures" / "tiny", tmp_path / "tiny")
    scenario = tmp_path / "tiny" / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("clients.csv", "missing.csv") + "lang: zh\n")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "tiny/scenario.yaml", "--out", "out"]) == 2
    assert capsys.readouterr().err == "tiny/scenario.yaml:4:11: snapshot: 文件不存在：tiny/missing.csv\n"
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--lang", "en"]) == 2  # the command line wins
    assert capsys.readouterr().err == "tiny/scenario.yaml:4:11: snapshot: no such file: tiny/missing.csv\n"
    assert main(["validate", "tiny/scenario.yaml"]) == 2  # validate: a scenario among the files says zh
    assert capsys.readouterr().err == "tiny/scenario.yaml:4:11: snapshot: 文件不存在：tiny/missing.csv\n"
