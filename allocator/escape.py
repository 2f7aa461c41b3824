"""Escaping for the three places text from input files ends up: a terminal, Markdown, HTML.

Ids, names, notes and file names come from files a reviewer may not have written. Shown raw,
`\\x1b]52;…` writes the clipboard, `\\x1b[2J` clears the screen, U+202E reverses what follows,
a newline in a Markdown table cell starts a new block (a fake `## LGTM` heading), `<img>` is
rendered. Each function here is pure and total: any string in, a string safe in that place out,
with every unsafe character made visible rather than dropped, so that two different ids never
look alike.
"""

from __future__ import annotations

import html as _html
import re

# Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the invisible marks
# (U+200E, U+200F, U+061C) that reorder text; line and paragraph separators (U+2028, U+2029)
# that some viewers break lines at.
_INVISIBLE = "\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _unsafe(keep_newlines: bool) -> re.Pattern[str]:
    """C0 controls, DEL, C1 controls, and the invisible reordering characters."""
    c0 = "\x00-\x09\x0b-\x1f" if keep_newlines else "\x00-\x1f"
    return re.compile(f"[{c0}\x7f-\x9f{_INVISIBLE}]")


_UNSAFE = _unsafe(keep_newlines=False)
UNSAFE_CHARACTERS = "".join(chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]) + _INVISIBLE
_UNSAFE_KEEP_NL = _unsafe(keep_newlines=True)
_UNSAFE_IN_JSON = re.compile(f"[\x7f-\x9f{_INVISIBLE}]")  # json.dumps escapes C0 itself; newlines lay it out


def _visible(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """One line of text safe on a terminal: every control or reordering character as `\\x1b`, `\\n`, `\\u202e`."""
    return _UNSAFE.sub(_visible, text)


def terminal_lines(text: str) -> str:
    """A message of several lines safe on a terminal: newlines kept, every other control character escaped."""
    return _UNSAFE_KEEP_NL.sub(_visible, text)


# Characters that can start inline Markdown (CommonMark and GitHub's extensions): emphasis,
# code, links and images, raw HTML and entities, table cells, strikethrough, math (`$`),
# emoji shortcodes and URL autolinks (`:`), e-mail autolinks (`@`), headings (`#`). A backslash
# before ASCII punctuation makes it literal, in every CommonMark renderer.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~$:@#!{}()])")
_WWW = re.compile(r"(?i)(www)\.")  # `www.x.org` autolinks even without a scheme


def markdown(text: str) -> str:
    """Plain Markdown text (a table cell, a word in a sentence) that renders exactly as `text` reads."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", terminal(text))
    return _WWW.sub(r"\1\\.", escaped)


def markdown_code(text: str) -> str:
    """`text` as one Markdown code span: literal (no HTML, links, emphasis), on one line, whatever it holds.

    The fence is one backtick longer than the longest run inside, padded with a space when the
    text starts or ends with a backtick (or with a space on both sides, which a renderer strips).
    For prose and list items; not for table cells, where `|` would still split the cell.
    """
    shown = terminal(text)
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    if not shown:
        return "` `"  # an empty span is not a code span; one space shows nothing, as asked
    stripped_by_renderer = shown.startswith(" ") and shown.endswith(" ") and shown.strip(" ")
    pad = " " if shown.startswith("`") or shown.endswith("`") or stripped_by_renderer else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def html(text: object) -> str:
    """Text safe in HTML element content and in quoted attributes, control characters made visible."""
    return _html.escape(terminal(str(text)), quote=True)


def json_text(dumped: str) -> str:
    """JSON text (from `json.dumps(..., ensure_ascii=False)`) with DEL, C1 and reordering characters
    as `\\u` escapes too; `json.dumps` escapes only C0. Still valid JSON that decodes to the same data,
    as these characters can only occur inside JSON strings."""
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", dumped)
