"""`allocator runs --ledger LEDGER [--json] [--lang zh]`: every run of the ledger, with its state.
Read-only.

The table speaks `lang` (its column heads, statuses and states; ids, scenarios, periods and names
as the ledger holds them). The JSON keeps its English keys and values whatever `lang` says: it is
for programs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.table import Table

from allocator.commands.terminal import cells, emit
from allocator.escape import json_text
from allocator.inputs.rule_files import display_path
from allocator.labels import label
from allocator.outputs.ledger_acts import runs_listing
from allocator.outputs.ledger_schema import read_only

COLUMNS = ("id", "started", "status", "state", "scenario", "period", "clients", "quotas_issued", "approved_by",
           "superseded_by")  # fmt: skip
NUMBERS = frozenset({"id", "clients", "quotas_issued", "superseded_by"})


def runs(ledger: Path, as_json: bool = False, lang: str | None = None) -> int:
    """List the ledger's runs, oldest first, in `lang` (None: English); the ledger is opened
    read-only and never changed."""
    lang = lang or "en"
    with read_only(ledger) as conn:
        listing = runs_listing(conn)
    if as_json:
        sys.stdout.write(json_text(json.dumps(listing, ensure_ascii=False, indent=2)) + "\n")
        return 0
    if not listing:
        emit(f"{display_path(ledger)}: {label('no_runs', lang)}")
        return 0
    table = Table(title=display_path(ledger), title_justify="left", show_edge=False, pad_edge=False)
    for key in COLUMNS:
        table.add_column(label(key, lang), justify="right" if key in NUMBERS else "left")
    for run in listing:
        state = label(str(run["state"]), lang) if run["state"] else ""
        shown = {**run, "status": label(str(run["status"]), lang), "state": state}
        table.add_row(*cells(*(shown[k] for k in COLUMNS)))
    emit(table)
    return 0
