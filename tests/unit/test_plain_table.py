"""The plain layout of the verbs' tables equals rich's, cell for cell (terminal output, off a terminal)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Table
from rich.text import Text

from allocator.commands.plain_table import plain_lines

WIDTH = 200
# latin, digits, punctuation rich treats specially, CJK (two columns wide) and a wide space
CHARS = st.sampled_from([*"abcXYZ019 -_.:·→%", "档", "城网", "农网", "一", "\u3000", "é"])
CELL = st.lists(CHARS, max_size=8).map("".join)
HEAD = st.lists(CHARS, min_size=1, max_size=8).map("".join).filter(str.strip)  # the verbs' heads are words


def rich_lines(table: Table) -> list[str]:
    con = Console(width=WIDTH, no_color=True, highlight=False, soft_wrap=True)
    with con.capture() as cap:
        con.print(table)
    return [line.rstrip() for line in cap.get().splitlines()]


def build(title: str | None, heads: list[tuple[str, str]], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for head, justify in heads:
        table.add_column(head, justify=justify)  # type: ignore[arg-type]
    for i, row in enumerate(rows):
        table.add_row(*(Text(v) for v in row), style="dim" if i % 2 else None)
    return table


@st.composite
def tables(draw: st.DrawFn) -> Table:
    n = draw(st.integers(1, 6))
    heads = [(draw(HEAD), draw(st.sampled_from(["left", "right"]))) for _ in range(n)]
    rows = draw(st.lists(st.lists(CELL, min_size=n, max_size=n), max_size=6))
    title = draw(st.one_of(st.none(), CELL))
    return build(title, heads, rows)


@settings(max_examples=300, deadline=None)
@given(tables())
def test_plain_lines_are_riches_lines(table: Table) -> None:
    assert plain_lines(table, WIDTH) == rich_lines(table)


def test_a_whole_table_with_chinese_text() -> None:
    table = build("基础方案", [("档位", "left"), ("客户数", "right"), ("备注", "left")],
                  [["D30", "1,019", "城网"], ["D1", "5", ""]])  # fmt: skip
    assert plain_lines(table, WIDTH) == [
        "基础方案",
        "档位 ┃ 客户数 ┃ 备注",
        "━━━━━╇━━━━━━━━╇━━━━━",
        "D30  │  1,019 │ 城网",
        "D1   │      5 │",
    ]
    assert rich_lines(table) == plain_lines(table, WIDTH)


def test_tables_it_does_not_lay_out_go_to_rich() -> None:
    wide = build(None, [("x" * 150, "left"), ("y" * 60, "left")], [])
    assert plain_lines(wide, WIDTH) is None  # wider than the console: rich shrinks it
    lined = build(None, [("a", "left")], [["two\nlines"]])
    assert plain_lines(lined, WIDTH) is None
    sections = build(None, [("a", "left")], [["x"]])
    sections.add_section()
    sections.add_row("y")
    assert plain_lines(sections, WIDTH) is None  # rich draws the line between the sections
    captioned = build(None, [("a", "left")], [["x"]])
    captioned.caption = "a caption"
    assert plain_lines(captioned, WIDTH) is None
