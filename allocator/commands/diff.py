"""`allocator diff`: the Markdown impact of a rule change; exit 1 when anything differs.

`clients` (the `--clients FILE` option) also writes every client's tier and quotas before and
after as CSV. The file is only ever replaced if allocator wrote it: missing, empty, or a regular
file whose first line is a client list's header. It is written beside its place and renamed over
it in one step, so it is always either the previous list or the complete new one.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import polars as pl

from allocator.errors import OutputError
from allocator.escape import terminal
from allocator.inputs.rule_files import display_path
from allocator.outputs.folders import os_errors
from allocator.outputs.tables import write_csv
from allocator.review.impact import CLIENT_COLUMNS, QUOTA_LIST_COLUMNS, client_list, impact
from allocator.review.impact_markdown import render_impact

HEADERS = tuple(",".join(c) for c in (CLIENT_COLUMNS, [*CLIENT_COLUMNS, *QUOTA_LIST_COLUMNS]))
HINT = "give --clients a new file, or a client list that allocator wrote"


def diff(before: str, after: str, snapshot: Path | None, scenario: Path | None, clients: Path | None = None) -> int:
    """Print the Markdown impact of a rule change; exit 1 when anything differs, 0 when nothing
    does. With `clients`, write the full client list there too (refused before any work if the
    file is not one allocator may replace)."""
    if clients is not None:
        check_clients_target(clients)
    found = impact(before, after, snapshot, scenario)
    if clients is not None:
        rows = client_list(found)
        write_replacing(rows, clients)
        print(terminal(f"wrote {_shown(clients)} ({rows.height} rows)"), file=sys.stderr)
    sys.stdout.write(render_impact(found))
    return 1 if found.changed else 0


def _shown(path: Path) -> str:
    """The path as given, its folder as the user would write it (a symbolic link keeps its own name)."""
    folder = display_path(path.parent)
    return path.name if folder == "." else os.path.join(folder, path.name)


def check_clients_target(path: Path) -> None:
    """Refuse a place for the client list that holds anything allocator did not write there."""
    shown = _shown(path)
    reason = None
    with os_errors(shown, "cannot write the client list"):
        if path.is_symlink():
            reason = "it is a symbolic link"
        elif path.is_dir():
            reason = "it is a folder"
        elif path.exists() and not path.is_file():
            reason = "it is not a regular file"
        elif path.exists() and not _ours(path):
            reason = "it is a file that allocator did not write (its first line is not a client list's header)"
        elif not path.parent.is_dir():
            reason = f"its folder {display_path(path.parent)} does not exist"
    if reason is not None:
        raise OutputError(f"{shown}: refusing to write the client list there: {reason}; {HINT}")


def _ours(path: Path) -> bool:
    """Empty, or its first line is exactly the header of a client list (read no further)."""
    with path.open("rb") as f:
        first = f.readline(4096)
    return not first or first.rstrip(b"\r\n").decode("utf-8", "replace") in HEADERS


def write_replacing(rows: pl.DataFrame, path: Path) -> None:
    """Write the CSV beside `path`, fsync it, and rename it over `path` in one step."""
    shown = _shown(path)
    with os_errors(shown, "cannot write the client list"):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
        os.close(fd)
        try:
            write_csv(rows, Path(tmp))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
