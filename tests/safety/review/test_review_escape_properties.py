"""Properties of the escapers on any text: nothing unsafe survives, and Markdown renders back to
exactly the terminal-escaped text (in a paragraph and in a table cell), so no input can format,
link, embed HTML, or split a cell."""

from __future__ import annotations

import json

from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from allocator.escape import UNSAFE_CHARACTERS, json_text, markdown, markdown_code, terminal, terminal_lines

# Markdown's own punctuation, the control and reordering characters, and anything else.
TRICKY = st.sampled_from(
    [*"\\`*_[]<>&|~$:@#!{}()-+.=\"' \n\r\t\x1b\x7f\x9b\u202e\u2066\u2028wW", "www.", "&amp;", "http://"]
)
TEXT = st.lists(st.one_of(TRICKY, st.text(max_size=3)), max_size=12).map("".join)
MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline_text(source: str) -> tuple[set[str], str]:
    """The inline token types of the first inline block, and its text as rendered."""
    inline = next(t for t in MD.parse(source) if t.type == "inline")
    children = inline.children or []
    return {c.type for c in children}, "".join(c.content for c in children)


@given(TEXT)
@example("<img src=x>")
@example("a\n## LGTM")
@example("[x](https://evil.example) *b* `c` &amp; \\")
def test_terminal_output_has_no_unsafe_character(text: str) -> None:
    assert not set(terminal(text)) & set(UNSAFE_CHARACTERS)
    assert not set(terminal_lines(text)) & (set(UNSAFE_CHARACTERS) - {"\n"})


@given(TEXT)
@example("a|b\n| c |")
@example("www.evil.example")
def test_markdown_renders_as_the_text(text: str) -> None:
    types, shown = _inline_text("x" + markdown(text) + "x")
    assert types <= {"text"}
    assert shown == "x" + terminal(text) + "x"
    table = MD.parse("| h |\n| - |\n| x" + markdown(text) + "x |\n")
    assert sum(t.type == "td_open" for t in table) == 1
    inline = [t for t in table if t.type == "inline"][-1]
    assert {c.type for c in inline.children or []} <= {"text"}
    assert "".join(c.content for c in inline.children or []) == "x" + terminal(text) + "x"


@given(TEXT)
@example("``a`")
@example(" ")
@example(" a ")
@example("")
def test_a_code_span_renders_as_the_text(text: str) -> None:
    inline = next(t for t in MD.parse("- x " + markdown_code(text) + " x") if t.type == "inline")
    codes = [c for c in inline.children or [] if c.type == "code_inline"]
    assert [c.content for c in codes] == [terminal(text) or " "]


@given(st.recursive(TEXT, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3)))
def test_json_text_is_the_same_data_with_nothing_unsafe(data: object) -> None:
    shown = json_text(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(shown) == data
    assert not set(shown) & (set(UNSAFE_CHARACTERS) - {"\n"})
