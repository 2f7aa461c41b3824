"""`allocator batch`: an unattended run, JSON log lines on stdout, a ledger record, no tables."""

from __future__ import annotations

from pathlib import Path

from allocator.commands.execute import execute
from allocator.outputs.joblog import json_log
from allocator.pipeline.tiering import Mode


def batch(scenario: Path, out: Path, ledger: Path | None, wait: float, engine: Mode) -> int:
    """An unattended run: JSON log lines on stdout, a ledger record, no tables."""
    book = ledger if ledger is not None else out.resolve().parent / "ledger.sqlite"
    log = json_log()
    execute(scenario, out, ledger=book, wait=wait, mode=engine, log=log)
    log("done", exit=0)
    return 0
