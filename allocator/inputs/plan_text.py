"""The text of a plan sheet's cells: area lists split at their separators, names compared loosely,
remarks trimmed, and sheet text shortened for messages."""

from __future__ import annotations

import re
import unicodedata

SHOWN_CHARS = 40  # sheet text longer than this is cut in messages


# Between the values of an area cell: full- and half-width commas and full stops, 、, semicolons,
# and runs of two or more dashes (a single dash may belong to a name).
SEPARATOR = re.compile(r"-{2,}|[，、,.．。;；]")


OPEN, CLOSE = "(（", ")）"


REMARK_END = re.compile(r"[\s；;]+$")


def shown(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"


def loose(text: str) -> str:
    """How names compare when no name matches exactly: NFKC (（ is (), no spaces."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def blank(text: str) -> str:
    """A cell without surrounding spaces; NULL (how a database export writes an empty cell) is empty."""
    text = text.strip()
    return "" if text.upper() == "NULL" else text


def remark_key(text: str) -> str:
    return REMARK_END.sub("", text.strip())


def split_area(text: str) -> tuple[list[str], str]:
    """The items of an area cell, split at separators outside parentheses; or why it cannot be."""
    items: list[str] = []
    start = depth = i = 0
    while i < len(text):
        depth += (text[i] in OPEN) - (text[i] in CLOSE)
        if depth < 0:
            return [], f"'{shown(text)}' has a '{text[i]}' that closes no parenthesis"
        if depth == 0 and (separator := SEPARATOR.match(text, i)):
            items.append(text[start:i])
            i = start = separator.end()
        else:
            i += 1
    if depth:
        return [], f"'{shown(text)}' has a parenthesis that is never closed"
    items.append(text[start:])
    return [s.strip() for s in items if s.strip()], ""


def trailing_groups(item: str, n: int) -> list[str] | None:
    """An item's first value and its last n parenthesised groups: '丹江（城网）' -> [丹江, 城网]."""
    groups: list[str] = []
    rest = item.strip()
    for _ in range(n):
        if not rest.endswith(tuple(CLOSE)):
            return None
        depth, j = 0, len(rest)
        while j > 0 and (j == len(rest) or depth):  # back to the parenthesis that opens this group
            j -= 1
            depth += (rest[j] in CLOSE) - (rest[j] in OPEN)
        groups.insert(0, rest[j + 1 : -1].strip())
        rest = rest[:j].strip()
    return [rest, *groups] if rest else None
