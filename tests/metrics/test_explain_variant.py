"""`explain --variant NAME`: the client's chain under a variant, checked against that variant's run.

`allocator.commands.explain.explain` is what `allocator explain CLIENT SCENARIO --variant NAME` runs.
The moves fixture's variant `lower bar` lowers rule mid's threshold from 50 to 5.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from allocator.cli import main
from allocator.commands.explain import explain
from allocator.errors import AllocatorError
from allocator.pipeline.run import run_scenario
from allocator.review.explain import explain_client

MOVES = Path(__file__).parents[1] / "report" / "fixtures" / "moves" / "scenario.yaml"


def test_the_variant_places_and_allocates_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MOVES.parent)
    result = run_scenario(Path("scenario.yaml"))
    base, lower = explain_client("c6", result), explain_client("c6", result, "lower bar")
    assert (base["variant"], base["tier"], base["placement"]["placed_by"]) == ("base", "C", None)
    assert (lower["variant"], lower["tier"], lower["placement"]["placed_by"]) == ("lower bar", "B", "mid")
    assert lower["placement"]["rules"][1]["when"] == {
        "field": "volume", "op": "gte", "threshold": 5, "value": 5, "result": True,
    }  # fmt: skip
    [p] = lower["products"]
    # in lower bar c2, c3, c4, c5 and c6 are in B: claims 3 (c1) + 2 + 2 + 0 + 1 + 2 = 10 for 8 units
    assert (p["entitlement"], p["claim"], p["claimed"], p["quota"]) == (2, 2, 10, 2)
    assert explain_client("c6", result, "base") == base


def test_the_text_says_which_variant(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(MOVES.parent)
    assert explain("c6", Path("scenario.yaml"), False, "lower bar") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "Client c6 · moves (scenario.yaml) · period 2026Q2 · seed 11 · variant lower bar",
        "ladder shops · final tier B",
    ]
    assert "      volume gte 5: 5 → true" in lines
    assert explain("c6", Path("scenario.yaml"), True, "lower bar") == 0
    assert json.loads(capsys.readouterr().out)["variant"] == "lower bar"


def test_an_unknown_variant_is_a_user_error_with_a_suggestion(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(MOVES.parent)
    result = run_scenario(Path("scenario.yaml"))
    with pytest.raises(AllocatorError) as exc:
        explain_client("c6", result, "lower-bar")
    assert str(exc.value) == "unknown variant 'lower-bar' of scenario.yaml; did you mean 'lower bar'?"
    with pytest.raises(AllocatorError) as exc:
        explain_client("c6", result, "zzz")
    assert str(exc.value) == "unknown variant 'zzz' of scenario.yaml; its variants are base, lower bar"


def test_the_command_line_flag(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(MOVES.parent)
    assert main(["explain", "c6", "scenario.yaml", "--variant", "lower bar"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "ladder shops · final tier B"
    assert main(["explain", "c6", "scenario.yaml", "--variant", "lower"]) == 2
    assert capsys.readouterr().err == "unknown variant 'lower' of scenario.yaml; did you mean 'lower bar'?\n"
