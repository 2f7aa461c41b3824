"""The notice of `publish` and the report of `batch` in the language asked: --lang, else the scenario's."""

from __future__ import annotations

from pathlib import Path

import pytest

from allocator.cli import main
from tests.batch.test_approval import clock, tiny  # noqa: F401  (fixtures)


def _approved(capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite", *extra]) == 0
    assert main(["approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang"]) == 0
    capsys.readouterr()


def _head(path: str) -> str:
    return Path(path).read_text(encoding="utf-8").split("<main>")[1].split("</h1>")[0]


def test_batch_lang_zh_writes_the_report_in_chinese_and_publish_follows_the_flag(
    tiny: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    _approved(capsys, "--lang", "zh")
    assert Path("out/report.html").read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "en"]) == 0  # the scenario says nothing
    assert _head("en/notice.html") == "\n<header><h1>Allocation notice"
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "zh", "--lang", "zh"]) == 0
    assert _head("zh/notice.html") == "\n<header><h1>货源投放公示"
    assert '<html lang="zh-CN">' in Path("zh/notice.html").read_text(encoding="utf-8")


def test_publish_speaks_the_scenarios_lang_unless_told_otherwise(
    tiny: Path, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    scenario = tiny / "scenario.yaml"
    scenario.write_text(scenario.read_text() + "lang: zh\n")
    _approved(capsys)
    assert Path("out/report.html").read_text(encoding="utf-8").startswith('<!DOCTYPE html>\n<html lang="zh-CN">')
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "zh"]) == 0
    assert _head("zh/notice.html") == "\n<header><h1>货源投放公示"
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "en", "--lang", "en"]) == 0
    assert _head("en/notice.html") == "\n<header><h1>Allocation notice"
    scenario.write_text(scenario.read_text() + "# edited after the run\n")  # not the run's file any more: not read
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "zh"]) == 0
    assert _head("zh/notice.html") == "\n<header><h1>Allocation notice"
