"""`allocator batch`: an unattended run, JSON log lines on stdout, a ledger record, no tables."""

from __future__ import annotations

from pathlib import Path

from allocator.commands.approve import MAX_NOTE, checked_text
from allocator.commands.execute import execute
from allocator.commands.run import in_language
from allocator.errors import LedgerError
from allocator.inputs.scenarios import NOTHING_GIVEN, Given
from allocator.outputs.joblog import json_log
from allocator.outputs.ledger_acts import Supersede
from allocator.pipeline.tiering import Mode


def batch(
    scenario: Path,
    out: Path,
    ledger: Path | None,
    wait: float,
    engine: Mode,
    supersede: int | None = None,
    reason: str | None = None,
    given: Given = NOTHING_GIVEN,
    lang: str | None = None,
) -> int:
    """An unattended run: JSON log lines on stdout, a ledger record, no tables.

    A scenario has one approved run per period: a batch for a period that has one must name it
    (`supersede`) and say why (`reason`); the new run supersedes it when the new run is approved."""
    book = ledger if ledger is not None else out.resolve().parent / "ledger.sqlite"
    log = json_log()
    replacing = None
    if supersede is not None:
        why = checked_text("--reason", reason, MAX_NOTE, needed=False)
        if why is None:
            raise LedgerError(f"--reason is empty: say why run {supersede} is superseded")
        replacing = Supersede(supersede, why)
    loaded = in_language(scenario, given, lang)  # --lang wins over the scenario's lang
    execute(
        scenario, out, ledger=book, wait=wait, mode=engine, log=log, supersede=replacing, one_approved=True,
        given=given, loaded=loaded,
    )  # fmt: skip
    log("done", exit=0)
    return 0
