"""A YAML document as the rule files' readers see it: plain data, and the line and column of every
path in it, so that each problem can name where it stands (`placement[1] (id=city-b).when.volume`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

_PLAIN = re.compile(r"[^\s'\".\[\]]+")

PathKey = str | int
PathT = tuple[PathKey, ...]


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
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return _one_line(text)


_LINE_BREAKS = str.maketrans(
    {
        "\n": "\\n",
        "\r": "\\r",
        "\x0b": "\\x0b",
        "\x0c": "\\x0c",
        "\x85": "\\x85",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def _one_line(text: str) -> str:
    """One problem is one line: a line break from a file (an id, a key, a value) is shown escaped,
    so it can never start a line that looks like another problem."""
    return text.translate(_LINE_BREAKS)


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


__all__ = ["Document", "PathKey", "PathT", "Problem"]
