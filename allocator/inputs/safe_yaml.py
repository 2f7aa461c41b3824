"""Safe, bounded YAML loading that remembers where every value came from.

Rule files arrive in pull requests, so they are untrusted: we compose the node tree with PyYAML's
safe parts (no object construction), refuse tags other than the plain JSON-like ones, refuse
duplicate keys, and bound file size, nesting depth and the number of nodes after alias expansion
(which defeats "billion laughs" files). Depth and node count are bounded while the file is
composed, so a hostile file never recurses deeper than the limit. Every value's position is kept
by its path, so a validation error on `placement[1].when.volume` can name its line and column.

Plain scalars are read with YAML 1.2 core rules (only true/false are booleans, numbers are
decimal, `5e-2` is a number, `1:20` is text), and plain words that YAML 1.1 tools read as
something else (`yes`, `off`, `0100`) are refused, so that no reader can take a rule differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.error import Mark
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from allocator.inputs.reading import MAX_FILE_BYTES, UnreadableFile, decode_text, line_col, read_bounded, split_lines
from allocator.inputs.yaml_document import Document, PathT, Problem

MAX_YAML_DEPTH = 32
MAX_NODES = 100_000
MAX_DIGITS = 100  # a longer number is refused before int() is asked to read it


_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

# YAML 1.2 core schema, the forms a plain scalar may take to be read as something other than text.
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
# Plain words YAML 1.1 reads as booleans (y and n included, as the 1.1 type repository has them)
# and numbers with a leading zero (octal in 1.1): refused, whatever the reader's version.
_BOOL_11 = re.compile(r"(?:y|Y|yes|Yes|YES|on|On|ON)|(?P<false>n|N|no|No|NO|off|Off|OFF)")
_LEADING_ZERO = re.compile(r"(?P<sign>[-+]?)0+(?P<digits>[0-9]+)")


class _Resolver(BaseResolver):
    """Implicit tags of YAML 1.2's core schema, plus `<<` so that merge keys can be refused."""


for _tag_name, _regex, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+.0123456789"),
    ("null", _NULL, ["~", "n", "N", ""]),
    ("merge", re.compile(r"<<"), "<"),
):
    _Resolver.add_implicit_resolver(_TAG + _tag_name, re.compile(rf"^(?:{_regex.pattern})$"), list(_first))


@dataclass(frozen=True)
class BooleanWord:
    """A plain word YAML 1.1 reads as a boolean (`yes`, `off`), refused where it stands: its path
    (for a key, its mapping's), the word, what YAML 1.1 reads it as, and whether it is a key."""

    path: PathT
    word: str
    value: str
    key: bool

    def as_text(self) -> str:
        """The message where the place needs text (a tier, an id, a category value)."""
        return f'{self.word} was read as {self.value} (a boolean); write "{self.word}" in quotes for the text'


Words = dict[Problem, BooleanWord]


class YamlError(Exception):
    """The file could not be read as safe YAML; carries the problems found, and (when the file
    was composed) the document as far as it was built and the refused boolean words by problem,
    so that a reader who knows the file's kind can say what each place needs."""

    def __init__(self, problems: list[Problem], doc: Document | None = None, words: Words | None = None) -> None:
        super().__init__("\n".join(p.render() for p in problems))
        self.problems, self.doc, self.words = problems, doc, words or {}


class _TooBig(Exception):
    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark


def _too_deep() -> str:
    return f"nested deeper than {MAX_YAML_DEPTH} levels; refusing"


def _too_many() -> str:
    return f"more than {MAX_NODES} values (after expanding aliases); refusing"


class _Loader(Reader, Scanner, Parser, Composer, _Resolver):
    """PyYAML's safe composer with YAML 1.2 core tags, bounding depth and size as it composes.

    PyYAML's composer recurses once per nesting level, so the bound must hold before it descends,
    not after: 5,000 nested brackets would otherwise end in a RecursionError.
    """

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if self.depth > MAX_YAML_DEPTH:
            raise _TooBig(event.start_mark, _too_deep())
        if not isinstance(event, AliasEvent):
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise _TooBig(event.start_mark, _too_many())
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


def boolean_11(text: str) -> str | None:
    """'true' or 'false' when YAML 1.1 reads the plain word `text` as that boolean; else None."""
    word = _BOOL_11.fullmatch(text)
    if word is None:
        return None
    return "false" if word.group("false") else "true"


def ambiguity(text: str) -> str | None:
    """Why a plain scalar is refused: YAML 1.1 tools would read it differently; else None."""
    value = boolean_11(text)
    if value is not None:
        return f"'{text}' is read as {value} by YAML 1.1 tools; write {value}, or quote it ('{text}') for text"
    number = _LEADING_ZERO.fullmatch(text)
    if number:
        digits = number.group("digits")
        meant = number.group("sign").replace("+", "") + digits.lstrip("0") if digits.strip("0") else "0"
        return (
            f"'{text}' has a leading zero, which marks an octal number in YAML 1.1; write {meant}, or quote it for text"
        )
    return None


def _float(text: str) -> float:
    word = text.lstrip("+-").lower()
    if word in (".inf", ".nan"):
        value = float(word[1:])
        return -value if text.startswith("-") else value
    return float(text)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.failures: list[tuple[int, int, PathT | None, str]] = []
        self.booleans: dict[tuple[int, int], BooleanWord] = {}  # by line and column
        self.doc = Document(file, None)

    def fail(self, node: Node, message: str, path: PathT | None = None) -> None:
        """Record a problem; with `path`, it is named once the document is built (for rule ids)."""
        m = node.start_mark
        self.failures.append((m.line + 1, m.column + 1, path, message))

    def problems(self) -> list[Problem]:
        """The problems found, sorted, with paths rendered against the built document."""
        render = self.doc.render_path
        return sorted(Problem(self.file, ln, col, render(p) if p else "", msg) for ln, col, p, msg in self.failures)

    def words(self, problems: list[Problem]) -> Words:
        """The refused boolean words, by the problem that reports each."""
        return {p: self.booleans[(p.line, p.column)] for p in problems if (p.line, p.column) in self.booleans}

    def build(self, node: Node, path: PathT, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig(node.start_mark, _too_many())
        if depth > MAX_YAML_DEPTH:
            raise _TooBig(node.start_mark, _too_deep())
        self.doc.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _TAG + "seq":
                self.fail(node, f"YAML tag '{_tag(node.tag)}' is not allowed in a rule file")
                return None
            return [self.build(n, (*path, i), depth + 1) for i, n in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self.mapping(node, path, depth)
        self.fail(node, "unsupported YAML node")
        return None

    def text(self, node: ScalarNode, path: PathT, *, key: bool = False) -> str | None:
        """The scalar's text when its tag is allowed and no YAML reader could take it otherwise."""
        if node.tag not in _SCALAR_TAGS:
            self.fail(node, f"YAML tag '{_tag(node.tag)}' is not allowed in a rule file")
            return None
        why = ambiguity(node.value) if node.style is None else None
        if why:
            self.fail(node, why, path)
            value = boolean_11(node.value)
            if value is not None:
                where = (node.start_mark.line + 1, node.start_mark.column + 1)
                self.booleans[where] = BooleanWord(path, node.value, value, key)
            return None
        return str(node.value)

    def scalar(self, node: ScalarNode, path: PathT) -> Any:
        text = self.text(node, path)
        if text is None:
            return None
        tag = node.tag.removeprefix(_TAG)
        if tag in ("str", "timestamp"):
            return text  # a date stays as written: periods and descriptions are text
        regex = {"null": _NULL, "bool": _BOOL, "int": _INT, "float": _FLOAT}[tag]
        if not regex.fullmatch(text):  # only an explicit tag (`!!int 1:20`) can get here
            self.fail(node, f"'{text}' is not a valid {_tag(node.tag)}", path)
            return None
        if tag == "null":
            return None
        if tag == "bool":
            return text.lower() == "true"
        digits = sum(c.isdigit() for c in text)
        if digits > MAX_DIGITS:
            self.fail(node, f"a number with {digits} digits; numbers in rule files have at most {MAX_DIGITS}", path)
            return None
        if tag == "int":
            return int(text)
        value = _float(text)
        if value in (float("inf"), float("-inf")) and "inf" not in text.lower():
            self.fail(node, f"'{text}' is too large a number", path)
            return None
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
            key = self.text(key_node, path, key=True)  # as written: a key `1.0` or `null` is that text
            if key is None:
                continue
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


def _check_tabs(text: str, file: str) -> None:
    for n, line in enumerate(split_lines(text), start=1):
        indent = line[: len(line) - len(line.lstrip())]
        if "\t" in indent:
            col = indent.index("\t") + 1
            msg = "a tab in the indentation; YAML indents with spaces"
            raise YamlError([Problem(file, n, col, "", msg)])


def _compose(text: str, file: str) -> Node | None:
    try:
        loader = _Loader(text)  # the reader checks every character here
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except _TooBig as exc:
        raise YamlError([Problem(file, exc.mark.line + 1, exc.mark.column + 1, "", str(exc))]) from None
    except yaml.reader.ReaderError as exc:
        line, col = line_col(text, exc.position)
        msg = f"not valid YAML: the character U+{exc.character:04X} is not allowed in YAML text"
        raise YamlError([Problem(file, line, col, "", msg)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        what = exc.problem or exc.context or "not valid YAML"
        ctx = exc.context_mark
        if exc.problem and exc.context and ctx is not None and ctx is not mark:
            what += f" ({exc.context} that starts at line {ctx.line + 1}, column {ctx.column + 1})"
        raise YamlError([Problem(file, where[0], where[1], "", f"not valid YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        one_line = " ".join(str(exc).split())
        raise YamlError([Problem(file, 0, 0, "", f"not valid YAML: {one_line}")]) from None


def load_yaml_text(text: str, file: str) -> Document:
    """Parse `text` (named `file` in messages) into a Document; raise YamlError on any problem."""
    if "\t" in text:
        _check_tabs(text, file)
    node = _compose(text, file)
    if node is None:
        raise YamlError([Problem(file, 0, 0, "", "the file is empty")])
    builder = _Builder(file)
    try:
        builder.doc.data = builder.build(node, (), 0)
    except _TooBig as exc:
        raise YamlError([Problem(file, exc.mark.line + 1, exc.mark.column + 1, "", str(exc))]) from None
    if builder.failures:
        problems = builder.problems()
        raise YamlError(problems, builder.doc, builder.words(problems))
    return builder.doc


def read_yaml_bytes(path: Path, name: str) -> bytes:
    """The file's bytes, bounded and from a regular file only; raise YamlError otherwise."""
    try:
        return read_bounded(path)
    except UnreadableFile as exc:
        raise YamlError([Problem(name, exc.line, exc.column, "", str(exc))]) from None


def load_yaml_bytes(raw: bytes, name: str) -> Document:
    """Decode (UTF-8 only) and parse a file's bytes; raise YamlError on any problem."""
    try:
        text = decode_text(raw)
    except UnreadableFile as exc:
        raise YamlError([Problem(name, exc.line, exc.column, "", str(exc))]) from None
    return load_yaml_text(text, name)


def load_yaml_file(path: Path, display: str | None = None) -> Document:
    """Read and parse a YAML file with the size, encoding and safety limits applied."""
    name = display if display is not None else str(path)
    return load_yaml_bytes(read_yaml_bytes(path, name), name)


__all__ = ["MAX_FILE_BYTES", "BooleanWord", "Document", "PathT", "Problem", "YamlError", "load_yaml_file",
           "load_yaml_text"]  # fmt: skip
