"""`allocator history CLIENT --ledger LEDGER [--json] [--lang zh]`: one client's tiers, quotas and
acts across the ledger's runs. Read-only.

The tables speak `lang` (titles, column heads, states, sources, kinds of act and what a
supersession's detail means); ids, tiers, products, names and reasons as the ledger holds them.
The JSON keeps its English keys and values whatever `lang` says: it is for programs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.table import Table

from allocator.commands.terminal import cells, emit
from allocator.escape import json_text
from allocator.inputs.rule_files import display_path
from allocator.labels import label, phrase
from allocator.outputs.ledger_acts import client_history
from allocator.outputs.ledger_schema import read_only

QUOTA_COLUMNS = ("run", "period", "state", "ladder", "tier", "product", "quota", "source")
ACT_COLUMNS = ("run", "kind", "by", "at", "product", "units", "reason", "detail")
SOURCES = ("rules", "assignment", "lock")  # quotas.csv's `source`: each has its label


def history(client_id: str, ledger: Path, as_json: bool = False, lang: str | None = None) -> int:
    """Show the client's ladder, tier and quotas in every run, oldest first, and the acts on it,
    in `lang` (None: English)."""
    lang = lang or "en"
    shown = display_path(ledger)
    with read_only(ledger) as conn:
        found = client_history(conn, client_id, shown)
    if as_json:
        text = json.dumps({"client": client_id, "runs": found}, ensure_ascii=False, indent=2)
        sys.stdout.write(json_text(text) + "\n")
        return 0
    quotas = _table(f"{client_id} · {label('history_title', lang)}", QUOTA_COLUMNS, {"run", "quota"}, lang)
    acts = _table(f"{client_id} · {label('acts_title', lang)}", ACT_COLUMNS, {"run", "units"}, lang)
    for run in found:
        state = label(str(run["state"]), lang) if run["state"] else ""
        common = (run["run"], run["period"], state, run["ladder"], run["tier"])
        given = _records(run["quotas"]) or [{"product": "", "quota": None, "source": None}]
        for q in given:
            quotas.add_row(*cells(*common, q["product"], q["quota"], _source(q["source"], lang)))
        for a in _records(run["acts"]):
            acts.add_row(*cells(run["run"], label(str(a["kind"]), lang), a["by"], a["at"], a["product"], a["units"],
                                a["reason"], _detail(run["run"], a, lang)))  # fmt: skip
    emit(quotas, *([acts] if acts.row_count else []))
    return 0


def _records(value: object) -> list[dict[str, object]]:
    """The quotas or acts of one run of the history (lists of records, as client_history gives them)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _table(title: str, columns: tuple[str, ...], numbers: set[str], lang: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for key in columns:
        table.add_column(label(key, lang), justify="right" if key in numbers else "left")
    return table


def _source(source: object, lang: str) -> object:
    """Where a quota came from, in `lang`; a source this allocator does not know, as the ledger has it."""
    return label(source, lang) if isinstance(source, str) and source in SOURCES else source


def _detail(run_id: object, act: dict[str, object], lang: str) -> str:
    """What an act's detail means: the other run of a supersession, the folder of a publication."""
    detail = act["detail"]
    if act["kind"] == "supersede" and isinstance(detail, str) and detail.isdigit() and isinstance(run_id, int):
        later = int(detail) > run_id
        return phrase("superseded by run {run}" if later else "supersedes run {run}", lang, run=detail)
    return "" if detail is None else str(detail)
