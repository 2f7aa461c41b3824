"""`allocator publish RUN --ledger LEDGER --out DIR [--by NAME]`: the notice of an approved run.

The notice replaces only an earlier notice: its folder must be new, empty, or hold nothing but
notice.html, notice.csv and the notice.json that allocator wrote beside them.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from allocator.commands.approve import MAX_NAME, checked_text
from allocator.commands.terminal import emit
from allocator.errors import OutputError
from allocator.inputs.rule_files import display_path
from allocator.messages import scenario_lang
from allocator.outputs.atomic import clean_leftovers
from allocator.outputs.folders import check_output_target, os_errors
from allocator.outputs.ledger import Ledger, now
from allocator.outputs.ledger_acts import os_user, publishing, refuse_unpublishable
from allocator.outputs.ledger_schema import RunRow, all_runs, approval, read_only, run_row
from allocator.outputs.lock import run_lock
from allocator.outputs.notice import NoticeRun, verify_run_folder, write_notice

NOTICE_FILES = frozenset({"notice.html", "notice.csv", "notice.json"})
HINT = "give --out a new or empty folder, or one that holds an earlier notice"


def _checked(conn: sqlite3.Connection, run_id: int, shown: str, out: Path, ledger: Path) -> RunRow:
    """The run, if it can be published to `out`: refused otherwise, before anything is written."""
    row = run_row(conn, run_id, shown)
    refuse_unpublishable(conn, row)
    guard_notice_folder(out, ledger, [(r.id, r.out_dir) for r in all_runs(conn)])
    return row


def publish(
    run_id: int, ledger: Path, out: Path, by: str | None = None, wait: float = 0.0, lang: str | None = None
) -> int:
    """Write the notice of an approved run to `out` and record the publication, both or neither.
    The notice speaks `lang` (--lang), else the run's scenario's `lang` if its file is unchanged, else en."""
    name = checked_text("--by", by, MAX_NAME, needed=True) if by is not None else os_user()
    assert name is not None
    with read_only(ledger) as conn:
        _checked(conn, run_id, display_path(ledger), out, ledger)
    with run_lock(out, ledger, wait):
        clean_leftovers(out)
        with Ledger.open(ledger) as book:
            row = _checked(book.conn, run_id, book.shown, out, ledger)  # again, under the lock
            folder = verify_run_folder(row, "cannot be published")
            at = now()
            run = NoticeRun(row, approval(book.conn, run_id), at)
            target = out.resolve()
            speaks = lang or scenario_lang(Path(row.scenario), row.scenario_sha256) or "en"
            write_notice(out, run, folder, record=lambda: publishing(book, run_id, name, target, at), lang=speaks)
    shown = display_path(out)
    emit(f"published {row.named}: {shown}/notice.html, {shown}/notice.csv")
    return 0


def guard_notice_folder(out: Path, ledger: Path, run_folders: Sequence[tuple[int, str]]) -> None:
    """Refuse a notice folder that is or holds anything but an earlier notice: the working or home
    directory, the ledger, a run's outputs, or files allocator did not write (all said at once)."""
    shown = display_path(out)
    with os_errors(shown, "cannot write the notice"):
        check_output_target(out)
        target = out.resolve()
        is_, holds = [], []
        for what, place in (("the working directory", Path.cwd()), ("your home directory", _home())):
            if place is not None and place.resolve() == target:
                is_.append(what)
            elif place is not None and target in place.resolve().parents:
                holds.append(what)
        if _within(ledger.resolve(), target):
            holds.append(f"the ledger {display_path(ledger)}")
        for run_id, out_dir in run_folders:
            if _within(Path(out_dir), target):
                holds.append(f"the outputs of run {run_id}")
            elif _within(target, Path(out_dir)):
                is_.append(f"inside the output folder of run {run_id}")
        foreign = _foreign(target)
        if foreign:
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            holds.append(f"files that are not part of a notice ({', '.join(foreign[:3])}{more})")
    parts = [f"it is {' and '.join(is_)}"] * bool(is_) + [f"it contains {', '.join(holds)}"] * bool(holds)
    if parts:
        raise OutputError(f"{shown}: refusing to put the notice there: {'; '.join(parts)}; {HINT}")


def _foreign(folder: Path) -> list[str]:
    """What in `folder` is not an earlier notice (everything, without notice.json of allocator's)."""
    if not folder.is_dir():
        return []
    names = sorted(e.name for e in os.scandir(folder))
    stamp = folder / "notice.json"
    try:
        data = (
            json.loads(stamp.read_text(encoding="utf-8")) if _plain(stamp) and stamp.stat().st_size < 1 << 20 else None
        )
    except (OSError, ValueError):
        data = None
    if not (isinstance(data, dict) and data.get("tool") == "allocator" and data.get("kind") == "notice"):
        return names
    return [n for n in names if n not in NOTICE_FILES or not _plain(folder / n)]


def _plain(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _home() -> Path | None:
    try:
        return Path.home()
    except (RuntimeError, KeyError):  # no HOME and no password entry
        return None
