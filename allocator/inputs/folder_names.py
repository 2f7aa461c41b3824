"""Folder names for scenarios and variants: readable in any script, never two in one folder."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

MAX_SLUG_BYTES = 120


_WORDS = {"+": "plus", "%": "pct"}


def slug(name: str, fallback: str = "variant") -> str:
    """A folder name for a variant or scenario: letters and digits of any script, lower case,
    words joined by '-'; '+', '%' and a leading '-' of a number become words, so that
    `supply -20%` and `supply +20%` stay apart. Safe on every file system; at most 120 bytes."""
    text = unicodedata.normalize("NFKC", name).lower()
    words: list[str] = []
    word = ""
    for i, ch in enumerate(text):
        after = text[i + 1] if i + 1 < len(text) else ""
        if unicodedata.category(ch)[0] in "LMN":
            word += ch
            continue
        if ch == "." and word[-1:].isdigit() and after.isdigit():  # 2.5 stays 2.5
            word += ch
            continue
        sign = ch == "-" and not word and after.isdigit()
        if word:
            words.append(word)
            word = ""
        if ch in _WORDS or sign:
            words.append(_WORDS.get(ch, "minus"))
    words.append(word)
    out = "-".join(w for w in words if w)
    while len(out.encode("utf-8")) > MAX_SLUG_BYTES:
        out = out[:-1]
    return out.strip("-.") or fallback


def folder_clashes(names: Iterable[str]) -> list[tuple[str, str, str]]:
    """(earlier name, later name, folder) for each name whose folder an earlier name already has.

    Names are compared as a case-insensitive file system would compare their folders."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        key = slug(name).casefold()
        if key in seen:
            clashes.append((seen[key], name, slug(seen[key])))
        else:
            seen[key] = name
    return clashes
