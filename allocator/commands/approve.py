"""`allocator approve RUN --ledger LEDGER --by NAME [--note TEXT]`: a draft run becomes approved."""

from __future__ import annotations

from pathlib import Path

from allocator.commands.terminal import emit
from allocator.errors import LedgerError
from allocator.inputs.rule_files import display_path
from allocator.outputs.ledger import Ledger
from allocator.outputs.ledger_acts import approve as approve_run
from allocator.outputs.ledger_acts import refuse_unapprovable
from allocator.outputs.ledger_schema import read_only, run_row
from allocator.outputs.lock import run_lock
from allocator.outputs.notice import verify_run_folder

MAX_NAME = 200  # characters of --by: a person, not a document
MAX_NOTE = 2000


def checked_text(option: str, text: str | None, limit: int, needed: bool) -> str | None:
    """An option's text, stripped: refused when empty (if needed) or longer than `limit`."""
    if text is None:
        return None
    value = text.strip()
    if needed and not value:
        raise LedgerError(f"{option} is empty: say who acts (a name)" if option == "--by" else f"{option} is empty")
    if len(value) > limit:
        raise LedgerError(f"{option} is {len(value)} characters long; at most {limit}")
    return value or None


def approve(run_id: int, ledger: Path, by: str, note: str | None, wait: float = 0.0) -> int:
    """Approve a draft run under the run lock, after checking that its output folder is as it left it."""
    name = checked_text("--by", by, MAX_NAME, needed=True)
    assert name is not None
    note = checked_text("--note", note, MAX_NOTE, needed=False)
    with read_only(ledger) as conn:  # nothing is locked or written for a run that cannot be approved
        row = run_row(conn, run_id, display_path(ledger))
        refuse_unapprovable(conn, row)
    out = Path(row.out_dir)
    if not out.is_dir():
        raise LedgerError(
            f"{row.named} cannot be approved: its output folder {display_path(out)} is missing; "
            "batch the scenario again and approve that run"
        )
    with run_lock(out, ledger, wait), Ledger.open(ledger) as book:
        verify_run_folder(run_row(book.conn, run_id, book.shown), "cannot be approved")
        done = approve_run(book, run_id, name, note)
    said = f"approved {done.run.named} by {name}"
    if done.superseded is not None:
        said += f"; {done.superseded.named} is superseded"
    emit(said)
    return 0
