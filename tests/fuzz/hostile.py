"""Hypothesis strategies for hostile inputs: YAML noise and mutations of the real files, snapshots."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import yaml
from hypothesis import strategies as st

# Scalars a careless loader reads the wrong way, values at numeric edges, names the code may use itself.
HOSTILE_SCALARS: list[Any] = [
    None, True, False, 0, -1, 1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(10**30), 10**400,
    0.5, -0.0, 1e-320, 1e308, 1.7976931348623157e308, math.inf, -math.inf, math.nan,
    "", " ", "yes", "no", "on", "off", "y", "n", "~", "null", "NaN", ".inf", "-.inf", ".nan", "1e5", "1e-05",
    "0x1F", "0o17", "017", "1_000", "12:30:00", "2026-01-01", "1,5", "٣", "１２", "Ⅻ",
    "kind", "id", "sid", "i", "$and", "$or", "$in", "$ex", "__class__", "client_id", "tier", "m", "run", "pri",
    "中华(软)", "\u202eevil", "a\x00b", "a\tb", "line\nbreak", "\x1b[31mred", "\ud7ff", "\ufeffbom", "é" * 300,
    "x" * 5000, "'", '"', "{", "[", "&a", "*a", "!!python/object:os.system", "a: b", "- x", "#",
    [], {}, [1, 2], {"a": 1}, {"gte": None}, {"between": [5, 1]}, {"in": []},
]
RESERVED_KEYS = ["kind", "id", "sid", "i", "m", "run", "pri", "$and", "__proto__", "client_id", "tier", "", " id", "ID", "version"]
# Raw YAML 1.1 / hostile tokens put into the text itself (yaml.dump would quote them).
RAW_TOKENS = [
    "yes", "No", "ON", "off", "~", "0o17", "017", "0x1F", "1_000", "12:30", "1:20:30", ".inf", "-.Inf", ".NaN",
    "1e400", "-1e400", "1e-05", "2026-01-01", "!!binary aGVsbG8=", "!!python/object/apply:os.system [ls]",
    "!!set {a, b}", "!!omap [a: 1]", "&anchor 5", "*anchor", "<<: {a: 1}", "[", "{", "'", '"', "|", ">", "? x",
    "!custom 1", "!!float 1", "!!int x", "!!str", "@x", "`x`", "%YAML 1.1", "---", "...", "\t1", "\x00", "\ufeff",
    "\x85", "\u2028", "9" * 400, "-" + "9" * 30, "[" * 300 + "]" * 300, "{a: " * 200 + "1" + "}" * 200,
]


def deep(depth: int) -> Any:
    value: Any = 1
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every address in a loaded document: keys of mappings, indices of lists."""
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found += _paths(value, (*prefix, i))
    return found


def _container(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        data = data[step]
    return data


scalar_values = st.one_of(
    st.sampled_from(HOSTILE_SCALARS),
    st.integers(),
    st.floats(),
    st.text(max_size=40),
    st.integers(min_value=1, max_value=400).map(deep),
)


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """A deep copy of `document` with one to four structural mutations."""
    data = yaml.safe_load(yaml.safe_dump(document))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(data)[1:]
        if not paths:
            return draw(scalar_values)
        path = draw(st.sampled_from(paths))
        parent, last = _container(data, path), path[-1]
        op = draw(st.sampled_from(["drop", "set", "rename", "add", "duplicate", "swap"]))
        if op == "drop":
            del parent[last]
        elif op == "set":
            parent[last] = draw(scalar_values)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.sampled_from(RESERVED_KEYS) | st.text(max_size=12))] = parent.pop(last)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(RESERVED_KEYS))] = draw(scalar_values)
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, yaml.safe_load(yaml.safe_dump(parent[last])))
        elif op == "swap":
            other = draw(st.sampled_from(paths))
            with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier mutation moved it
                parent[last] = yaml.safe_load(yaml.safe_dump(_container(data, other)[other[-1]]))
    return data


def dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    except (yaml.YAMLError, RecursionError):
        return repr(data)


@st.composite
def text_mutated(draw: st.DrawFn, text: str) -> str:
    """The file's text with raw tokens put after a key, lines dropped or repeated, or bytes spliced in."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        op = draw(st.sampled_from(["value", "drop", "repeat", "indent", "splice"]))
        if op == "value" and ": " in lines[i]:
            key = lines[i].split(": ", 1)[0]
            lines[i] = f"{key}: {draw(st.sampled_from(RAW_TOKENS))}"
        elif op == "drop":
            del lines[i]
        elif op == "repeat":
            lines.insert(i, lines[i])
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["  ", "\t", " "])) + lines[i]
        else:
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(RAW_TOKENS) | st.text(max_size=8)) + lines[i][at:]
        if not lines:
            lines = [""]
    return "\n".join(lines)


yaml_structures = st.recursive(
    st.one_of(st.sampled_from(HOSTILE_SCALARS), st.integers(), st.floats(), st.text(max_size=20)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(RESERVED_KEYS) | st.text(max_size=10), inner, max_size=4),
    ),
    max_leaves=30,
)

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "gbk", "latin-1", "utf-32"]


def encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")
