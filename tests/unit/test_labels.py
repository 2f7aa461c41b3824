"""The one table of labels: every label speaks every language, and the outputs use no other."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_args

import pytest

from allocator import labels
from allocator.commands.history import ACT_COLUMNS, QUOTA_COLUMNS
from allocator.commands.runs import COLUMNS as RUN_COLUMNS
from allocator.inputs.models import Product
from allocator.labels import LABELS, LANGUAGES, label
from allocator.outputs.ledger_schema import ACT_KINDS, REVIEWED

NOTICE_COLUMNS = ("segment", "ladder", "tier", "quota_per_shop", "shops_allocated", "shops")

PACKAGE = Path(labels.__file__).parent


def test_every_label_has_a_text_in_every_language() -> None:
    missing = [(key, lang) for key, texts in LABELS.items() for lang in LANGUAGES if not texts.get(lang, "").strip()]
    assert missing == []
    assert [key for key, texts in LABELS.items() if set(texts) != set(LANGUAGES)] == []
    assert LANGUAGES == ("en", "zh")


def test_label_gives_the_text_of_a_language() -> None:
    assert (label("tier"), label("tier", "zh")) == ("tier", "档位")
    assert (label("clients"), label("clients", "zh")) == ("shops", "客户数")
    with pytest.raises(ValueError) as unknown:
        label("tier", "fr")
    assert str(unknown.value) == "unknown language 'fr'; the labels speak en, zh"
    with pytest.raises(KeyError):
        label("no-such-label")


def _labels_used(path: Path) -> set[str]:
    """The literal keys given to label(...) in a module."""
    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "label" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.add(first.value)
    return used


def test_every_label_the_notice_and_the_tables_name_is_in_the_table() -> None:
    modules = ["outputs/notice.py", "commands/runs.py", "commands/history.py"]
    used = set().union(*(_labels_used(PACKAGE / m) for m in modules))
    assert used - set(LABELS) == set()
    assert {"notice_title", "hashes", "window", "segments", "history_title", "acts_title"} <= used
    # labels built from values: every policy and target the rule files allow, each state, status and act
    # kind, and the column headers of the notice, runs and history tables
    built = [f"policy_{p}" for p in get_args(Product.model_fields["policy"].annotation)]
    built += [f"target_{t}" for t in get_args(Product.model_fields["target"].annotation)]
    built += ["weights_clients", "weights_orders", *ACT_KINDS, "running", "ok", "failed", "draft", *REVIEWED]
    built += [*NOTICE_COLUMNS, *RUN_COLUMNS, *QUOTA_COLUMNS, *ACT_COLUMNS]
    assert [key for key in built if key not in LABELS] == []


def _phrases_used(path: Path) -> set[str]:
    """The literal English phrases given to phrase(...), w(...) or _table(...) in a module."""
    used = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("phrase", "w", "_table") and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                used.add(first.value)
    return used


PHRASE_MODULES = ["outputs/report.py", "outputs/report_metrics.py", "outputs/report_amounts.py",
                  "outputs/report_people.py", "outputs/svg.py", "outputs/workbook.py", "commands/run.py"]  # fmt: skip


def test_every_phrase_the_report_tables_and_workbook_name_is_in_the_catalogue() -> None:
    used = set().union(*(_phrases_used(PACKAGE / m) for m in PHRASE_MODULES))
    assert len(used) > 100
    assert sorted(used - set(labels.PHRASES)) == []


def test_every_phrase_has_chinese_with_the_same_fields() -> None:
    fields = re.compile(r"\{(\w+)\}")
    assert [en for en, zh in labels.PHRASES.items() if not zh.strip()] == []
    assert [en for en, zh in labels.PHRASES.items() if sorted(fields.findall(en)) != sorted(fields.findall(zh))] == []
    assert labels.phrase("{n} rows", "zh", n="1,204") == "1,204 行"
    assert labels.phrase("{n} rows", "en", n="1,204") == "1,204 rows"
    with pytest.raises(KeyError):
        labels.phrase("no such phrase", "zh")
