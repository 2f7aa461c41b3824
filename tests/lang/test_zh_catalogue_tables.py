"""The catalogue is complete for runs, history, cycle, explain and the alerts: every literal phrase
they give phrase(), w() or Said(), every label they give label(), and the phrases built from
values (statuses, field types, truth values, sources, round states), in both languages."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from allocator import labels
from allocator.commands.history import SOURCES
from allocator.inputs.alert_rules import ALERTS
from allocator.inputs.models import FieldSpec
from allocator.labels import LABELS, PHRASES
from allocator.pipeline.alerts import LABELS as FIGURES

PACKAGE = Path(labels.__file__).parent
MODULES = ["commands/runs.py", "commands/history.py", "commands/cycle.py", "commands/explain.py",
           "review/explain_text.py", "review/explain_sentence.py", "pipeline/alerts.py"]  # fmt: skip


def _literals(path: Path, names: tuple[str, ...]) -> set[str]:
    """The literal first arguments of calls to `names` in a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in names and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.add(first.value)
    return found


def test_every_phrase_and_label_of_the_tables_explain_and_alerts_is_in_the_catalogue() -> None:
    phrases = set().union(*(_literals(PACKAGE / m, ("phrase", "w", "Said")) for m in MODULES))
    assert len(phrases) > 110
    assert sorted(phrases - set(PHRASES)) == []
    used = set().union(*(_literals(PACKAGE / m, ("label",)) for m in MODULES))
    assert sorted(used - set(LABELS)) == []


def test_the_phrases_built_from_values_are_in_the_catalogue() -> None:
    built = ["matched", "no match", "other ladder", "not tested", "applied", "true", "false", "null", "order",
             "division by zero", "open", *get_args(FieldSpec.model_fields["type"].annotation), *FIGURES.values(),
             *{way for _, way in ALERTS.values()}]  # fmt: skip
    assert [p for p in built if p not in PHRASES] == []
    assert [s for s in SOURCES if s not in LABELS] == []
    assert [s for s in ("approved", "published") if s not in LABELS] == []
