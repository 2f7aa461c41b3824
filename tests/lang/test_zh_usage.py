"""The command line's usage errors in Chinese when --lang zh is on it: argparse's common forms
and the CLI's own, the usage lines as argparse prints them, the rest of stderr whole; English
byte-identical without it."""

from __future__ import annotations

import pytest

from allocator.cli import main

RUN_USAGE = """usage: allocator run [-h] [--out DIR] [--engine {grouped,exact}]
                     [--ledger PATH] [--wait SECONDS] [--assignments FILE]
                     [--locks FILE] [--round ROUND] [--executor {local,dask}]
                     [--workers N] [--scheduler ADDRESS] [--lang {en,zh}]
                     SCENARIO
"""
TOP_USAGE = """usage: allocator [-h] [--version] [--debug]
                 {validate,run,batch,approve,publish,runs,history,diff,explain,cycle,schema}
                 ...
"""
APPROVE_USAGE = """usage: allocator approve [-h] --ledger LEDGER --by NAME [--note TEXT]
                         [--wait SECONDS] [--lang {en,zh}]
                         RUN
"""


def _stderr(argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """The whole of stderr of a command line refused by its parser (exit 2)."""
    monkeypatch.setenv("COLUMNS", "80")  # argparse wraps the usage lines to the terminal's width
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(("argv", "usage", "english", "chinese"), [
    (["run", "--lang", "zh"], RUN_USAGE, "the following arguments are required: SCENARIO", "缺少必需的参数：SCENARIO"),
    (["run", "s.yaml", "--bogus", "1", "--lang=zh"], TOP_USAGE, "unrecognized arguments: --bogus 1",
     "无法识别的参数：--bogus 1"),
    (["run", "s.yaml", "--engine", "fast", "--lang", "zh"], RUN_USAGE,
     "argument --engine: invalid choice: 'fast' (choose from 'grouped', 'exact')",
     "参数 --engine：无效的选择：'fast'（可选 'grouped', 'exact'）"),
    (["run", "s.yaml", "--lang", "zh", "--wait", "abc"], RUN_USAGE,
     "argument --wait: 'abc' is not a number of seconds from 0 to 86400",
     "参数 --wait：'abc' 不是 0 到 86400 之间的秒数"),
    (["approve", "x", "--ledger", "l", "--by", "a", "--lang", "zh"], APPROVE_USAGE,
     "argument RUN: 'x' is not a run id (a whole number from 1; see allocator runs)",
     "参数 RUN：'x' 不是运行编号（从 1 开始的整数；见 allocator runs）"),
    (["batch", "s.yaml", "--out", "o", "--reason", "x", "--lang", "zh"], TOP_USAGE,
     "batch: --supersede RUN and --reason TEXT go together: give both or neither",
     "batch: --supersede RUN 和 --reason TEXT 须一起使用：要么都给出，要么都不给"),
])  # fmt: skip
def test_a_usage_error_in_zh_and_in_en(
    argv: list[str], usage: str, english: str, chinese: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    assert _stderr(argv, capsys, monkeypatch) == f"{usage}allocator: 错误：{chinese}\n"
    english_argv = [a.replace("zh", "en") for a in argv]
    assert _stderr(english_argv, capsys, monkeypatch) == f"{usage}allocator: error: {english}\n"


def test_an_invalid_lang_is_refused_in_both_languages(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    err = _stderr(["run", "s.yaml", "--lang", "fr"], capsys, monkeypatch)
    assert err == (
        f"{RUN_USAGE}allocator: error: argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')\n"
        "allocator: 错误：参数 --lang：无效的选择：'fr'（可选 'en', 'zh'）\n"
    )
