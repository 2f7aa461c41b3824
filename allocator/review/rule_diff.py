"""The rule side of `allocator diff`: which rule files each side names, and how they differ.

A side is a tiering file, an allocation file, a folder of rule files (recognised by their
`kind:`; a folder with several files of one kind is resolved by the scenario's file name), or
`git:REV:PATH`, a file or folder at a git revision, PATH from the repository root (read with
`git cat-file` / `git ls-tree` into a temporary folder; errors name the source as written).

Rule files are compared as YAML data, not as text.
A list whose items all carry an `id` (placement, adjust, products, eligible) is compared by id,
not by position: editing one rule shows one line, and moving a rule shows as an order change
(first-hit placement depends on it). The lists directly under the top level drop their section
name from the path (`city-a.when.volume.gte`, `zhonghua-soft.per_client.A`); nested ones keep it
(`zhonghua-soft.eligible.no-repeat-offenders.when.violations.gte`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from allocator.review.rule_sources import RuleFile

_PLAIN = re.compile(r"[A-Za-z_\u00c0-\uffff][\w\-./ \u00c0-\uffff]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "~"}

ABSENT = "(none)"


def rule_changes(before: Any, after: Any) -> list[str]:
    """One line per change: `key.path: old → new`, rules added or removed, order changes."""
    out: list[str] = []
    _compare(before, after, (), out)
    return out


def show(value: Any) -> str:
    """A value as inline YAML: `600`, `[A, B]`, `{gte: 600}`, `"True"` for text that looks like another type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        plain = _PLAIN.fullmatch(value) and value.lower() not in _RESERVED and not value.endswith(" ")
        return value if plain else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{show(str(k))}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def _label(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _ids(items: Any) -> list[str] | None:
    """The ids of a list of rules, or None when it is not a list of uniquely identified mappings."""
    if not isinstance(items, list):
        return None
    ids = [item.get("id") if isinstance(item, dict) else None for item in items]
    if not all(isinstance(i, str) for i in ids) or len(set(ids)) != len(ids):
        return None
    return [str(i) for i in ids]


def _compare(a: Any, b: Any, path: tuple[str, ...], out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            sub = (*path, str(key))
            if key not in b:
                out.append(f"{_label(sub)}: {show(a[key])} → {ABSENT}")
            elif key not in a:
                out.append(f"{_label(sub)}: {ABSENT} → {show(b[key])}")
            else:
                _compare(a[key], b[key], sub, out)
        return
    ids_a, ids_b = _ids(a), _ids(b)
    if ids_a is not None and ids_b is not None and (ids_a or ids_b):
        _compare_rules(a, b, ids_a, ids_b, path, out)
        return
    if a != b or (type(a) is not type(b) and not (_number(a) and _number(b))):
        out.append(f"{_label(path)}: {show(a)} → {show(b)}")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _compare_rules(
    a: list[dict[str, Any]],
    b: list[dict[str, Any]],
    ids_a: list[str],
    ids_b: list[str],
    path: tuple[str, ...],
    out: list[str],
) -> None:
    section = _label(path)
    prefix = path[:-1] if len(path) == 1 else path  # top-level lists: the rule id alone names the rule
    by_a = dict(zip(ids_a, a, strict=True))
    by_b = dict(zip(ids_b, b, strict=True))
    for rid in ids_a:
        if rid not in by_b:
            out.append(f"{section}: removed {rid}: {show(_without_id(by_a[rid]))}")
    for n, rid in enumerate(ids_b):
        if rid not in by_a:
            where = "first" if n == 0 else f"after {ids_b[n - 1]}"
            out.append(f"{section}: added {rid} ({where}): {show(_without_id(by_b[rid]))}")
    common_a = [i for i in ids_a if i in by_b]
    common_b = [i for i in ids_b if i in by_a]
    if common_a != common_b:
        out.append(f"{section} order: {', '.join(common_a)} → {', '.join(common_b)}")
    for rid in common_b:
        _compare(_without_id(by_a[rid]), _without_id(by_b[rid]), (*prefix, rid), out)


def _without_id(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "id"}


def file_changes(before: RuleFile, after: RuleFile) -> list[str]:
    """What changed between two rule files, compared as YAML data (see rule_changes)."""
    if before.path.resolve() == after.path.resolve():
        return []
    return rule_changes(before.doc.data, after.doc.data)
