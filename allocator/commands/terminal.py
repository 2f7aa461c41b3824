"""Terminal output shared by the verbs: rich on a terminal, plain text elsewhere, never markup."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table
from rich.text import Text

from allocator.commands.plain_table import plain_lines
from allocator.escape import terminal, terminal_lines

WIDTH = 200  # off a terminal: wide enough for every table the verbs print, never wrapped


def emit(*items: object) -> None:
    """Print with rich: styled on a terminal; plain, wide, without trailing blanks elsewhere.

    Text is printed as Text, never as rich markup, with control characters escaped: a name like
    `[bold red]` or `\x1b]52;...` from an input file shows as written and does nothing.
    """
    items = tuple(Text(terminal_lines(i)) if isinstance(i, str) else i for i in items)
    if sys.stdout.isatty():
        Console().print(*items)
        return
    con = Console(width=WIDTH, no_color=True, highlight=False, soft_wrap=True)
    lines: list[str] = []
    for item in items:
        plain = plain_lines(item, WIDTH) if isinstance(item, Table) else None
        if plain is None:
            with con.capture() as cap:
                con.print(item)
            plain = [line.rstrip() for line in cap.get().splitlines()]
        lines += plain
    sys.stdout.write("".join(line + "\n" for line in lines))


def cells(*values: object) -> list[Text]:
    """Table cells as literal text: ids and notes from input files are never read as rich markup."""
    return [Text(terminal(str(v) if v is not None else "")) for v in values]
