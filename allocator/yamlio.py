"""Safe, bounded YAML loading that remembers where every value came from.

Rule files arrive in pull requests, so they are untrusted: we compose the node tree with PyYAML's
SafeLoader (no object construction), refuse tags other than the plain JSON-like ones, refuse
duplicate keys, and bound file size, nesting depth and the number of nodes after alias expansion
(which defeats "billion laughs" files). Every value's position is kept by its path, so a
validation error on `placement[1].when.volume` can name its line and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_NODES = 100_000

_PLAIN = re.compile(r"[^\s'\".\[\]]+")

PathKey = str | int
PathT = tuple[PathKey, ...]

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, at a position; sorts by line then column."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def render(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}" if self.column else f":{self.line}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


@dataclass
class Document:
    """A loaded YAML document: plain data plus the position of each path in it."""

    file: str
    data: Any
    marks: dict[PathT, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[PathT, tuple[int, int]] = field(default_factory=dict)

    def mark(self, path: PathT, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value at `path`, or of its key; else the nearest parent."""
        p = tuple(path)
        while True:
            if key and p in self.key_marks:
                return self.key_marks[p]
            if p in self.marks:
                return self.marks[p]
            if not p:
                return (1, 1)
            p = p[:-1]

    def get(self, path: PathT) -> Any:
        """The value at `path`, or None when the path does not exist."""
        node: Any = self.data
        for k in path:
            in_dict = isinstance(node, dict) and isinstance(k, str) and k in node
            in_list = isinstance(node, list) and isinstance(k, int) and 0 <= k < len(node)
            if in_dict or in_list:
                node = node[k]
            else:
                return None
        return node

    def render_path(self, path: PathT) -> str:
        """`placement[1] (id=city-b).when.volume`: indices, with the list item's id when it has one."""
        out = ""
        for i, k in enumerate(path):
            if isinstance(k, int):
                out += f"[{k}]"
                item = self.get(path[: i + 1])
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    out += f" (id={item['id']})"
            else:
                word = k if _PLAIN.fullmatch(k) else "'" + k.replace("'", "''") + "'"
                out += ("." if out else "") + word
        return out

    def problem(self, path: PathT, message: str, *, key: bool = False) -> Problem:
        """A problem located at `path` (at its key when `key` is true)."""
        line, col = self.mark(path, key=key)
        return Problem(self.file, line, col, self.render_path(path), message)


class YamlError(Exception):
    """The file could not be read as safe YAML; carries the problems found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.render() for p in problems))
        self.problems = problems


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.problems: list[Problem] = []
        self.doc = Document(file, None)
        self._scalars = SafeConstructor()

    def fail(self, node: Node, message: str) -> None:
        m = node.start_mark
        self.problems.append(Problem(self.file, m.line + 1, m.column + 1, "", message))

    def build(self, node: Node, path: PathT, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node, f"more than {MAX_NODES} values (after expanding aliases); refusing")
        if depth > MAX_DEPTH:
            raise _TooBig(node, f"nested deeper than {MAX_DEPTH} levels; refusing")
        self.doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                self.fail(node, f"YAML tag '{_tag(node.tag)}' is not allowed in a rule file")
                return None
            return [self.build(n, (*path, i), depth + 1) for i, n in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        self.fail(node, "unsupported YAML node")
        return None

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.fail(node, f"YAML tag '{_tag(node.tag)}' is not allowed in a rule file")
            return None
        if node.tag == _TAG + "timestamp":
            return str(node.value)
        value = self._scalars.construct_object(node)
        if isinstance(value, float) and not math.isfinite(value):
            return value  # kept so that the model can say which key must be finite
        return value

    def mapping(self, node: MappingNode, path: PathT, depth: int) -> dict[str, Any]:
        if node.tag != _TAG + "map":
            self.fail(node, f"YAML tag '{_tag(node.tag)}' is not allowed in a rule file")
            return {}
        out: dict[str, Any] = {}
        for key_node, value_node in self._pairs(node):
            if not isinstance(key_node, ScalarNode):
                self.fail(key_node, "a key must be a plain word, not a list or mapping")
                continue
            key = key_node.value if key_node.tag == _TAG + "str" else self.scalar(key_node)
            key = str(key).lower() if isinstance(key, bool) else str(key)
            if key in out:
                line, _ = self.doc.key_marks[(*path, key)]
                self.fail(key_node, f"duplicate key '{key}' (first defined on line {line})")
                continue
            self.doc.key_marks[(*path, key)] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            out[key] = self.build(value_node, (*path, key), depth + 1)
        return out

    def _pairs(self, node: MappingNode) -> Iterator[tuple[Node, Node]]:
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                self.fail(key_node, "YAML merge keys ('<<') are not allowed; write the keys out")
                continue
            yield key_node, value_node


class _TooBig(Exception):
    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node


def load_yaml_text(text: str, file: str) -> Document:
    """Parse `text` (named `file` in messages) into a Document; raise YamlError on any problem."""
    if "\t" in text:
        for n, line in enumerate(text.splitlines(), start=1):
            indent = line[: len(line) - len(line.lstrip())]
            if "\t" in indent:
                col = indent.index("\t") + 1
                msg = "a tab in the indentation; YAML indents with spaces"
                raise YamlError([Problem(file, n, col, "", msg)])
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "not valid YAML"
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None and ctx is not mark:
            what += f" ({exc.context} that starts at line {ctx.line + 1}, column {ctx.column + 1})"
        raise YamlError([Problem(file, where[0], where[1], "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise YamlError([Problem(file, 0, 0, "", f"not valid YAML: {exc}")]) from None
    if node is None:
        raise YamlError([Problem(file, 0, 0, "", "the file is empty")])
    builder = _Builder(file)
    try:
        builder.doc.data = builder.build(node, (), 0)
    except _TooBig as exc:
        m = exc.node.start_mark
        raise YamlError([Problem(file, m.line + 1, m.column + 1, "", str(exc))]) from None
    if builder.problems:
        raise YamlError(sorted(builder.problems))
    return builder.doc


def load_yaml_file(path: Path, display: str | None = None) -> Document:
    """Read and parse a YAML file with the size, encoding and safety limits applied."""
    name = display if display is not None else str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            msg = f"the file is {size} bytes; rule and scenario files are limited to {MAX_FILE_BYTES}"
            raise YamlError([Problem(name, 0, 0, "", msg)])
        raw = path.read_bytes()
    except FileNotFoundError:
        raise YamlError([Problem(name, 0, 0, "", "no such file")]) from None
    except IsADirectoryError:
        raise YamlError([Problem(name, 0, 0, "", "is a directory, not a file")]) from None
    except OSError as exc:
        raise YamlError([Problem(name, 0, 0, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        msg = f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise YamlError([Problem(name, line, 0, "", msg)]) from None
    return load_yaml_text(text.removeprefix("\ufeff"), name)
