"""`lang` in the scenario and --lang on the command line: accepted values, refused ones."""

from __future__ import annotations

import pytest

from allocator.cli import build_parser
from allocator.inputs.models import ScenarioFile

BASE = {"kind": "scenario", "version": 1, "name": "n", "snapshot": "s.csv", "tiering": "t.yaml",
        "allocation": "a.yaml", "period": "p"}  # fmt: skip


@pytest.mark.parametrize("command", [
    ["run", "s.yaml"], ["batch", "s.yaml", "--out", "o"], ["explain", "c1", "s.yaml"],
    ["publish", "1", "--ledger", "l", "--out", "o"], ["validate", "s.yaml"],
])  # fmt: skip
def test_every_command_takes_lang(command: list[str]) -> None:
    assert build_parser().parse_args([*command, "--lang", "zh"]).lang == "zh"
    assert build_parser().parse_args(command).lang is None


def test_lang_other_than_en_or_zh_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["run", "s.yaml", "--lang", "fr"])
    assert exc.value.code == 2
    assert "argument --lang: invalid choice: 'fr' (choose from 'en', 'zh')" in capsys.readouterr().err


def test_scenario_lang_defaults_to_en() -> None:
    assert ScenarioFile.model_validate(BASE).lang == "en"
    assert ScenarioFile.model_validate({**BASE, "lang": "zh"}).lang == "zh"
    with pytest.raises(ValueError, match="Input should be 'en' or 'zh'"):
        ScenarioFile.model_validate({**BASE, "lang": "de"})
