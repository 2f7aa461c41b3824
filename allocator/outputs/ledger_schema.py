"""The ledger's file: its stamp, its tables and triggers, the check before use, the migration.

Format 1 had `runs`, `tier_history` and `quotas`. Format 2 adds the review: a `state` per run
(draft, approved, published, superseded), the `source` of each quota, the sha256 of the run's
manifest, and the `acts` table (assignments, locks, approvals, supersessions, publications); and
the cycle: each run's `cycle`, `round` and `basis` (the approved rounds it was worked out from),
and each quota's `entitled` and `ordered`, which the next rounds of the cycle read (round supply,
rotation, `allocator cycle`).
A format-1 ledger is migrated in place, in one transaction, when it is opened for writing; the
reading commands open it read-only and read either format.

Triggers keep the promise "approved and published runs never change": SQLite itself refuses an
UPDATE of such a run other than its next state, any state move but the allowed ones, and any
change to their tiers and quotas; acts are never updated or deleted, whatever the run.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from allocator.errors import LedgerError
from allocator.inputs.rule_files import display_path

APPLICATION_ID = 0x416C6C63  # "Allc": PRAGMA application_id of every allocator ledger
FORMAT = 2  # PRAGMA user_version: the ledger's table layout
TABLES_V1 = frozenset({"runs", "tier_history", "quotas"})
TABLES = TABLES_V1 | {"acts"}
HEADER = b"SQLite format 3\x00"
FOREIGN_HINT = "give --ledger a new file or an allocator ledger"
REVIEWED = ("approved", "published", "superseded")  # runs whose record is fixed for good
ACT_KINDS = ("assignment", "lock", "approve", "supersede", "publish")

# Plain statements only: split on ";" (tests build ledgers of earlier versions from it).
SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    ended TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),
    scenario TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL,
    period TEXT NOT NULL,
    seed INTEGER NOT NULL,
    snapshot_sha256 TEXT NOT NULL,
    tiering_sha256 TEXT NOT NULL,
    allocation_sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    out_dir TEXT NOT NULL,
    clients INTEGER,
    products INTEGER,
    quotas_issued INTEGER,
    message TEXT,
    state TEXT CHECK (state IN ('draft', 'approved', 'published', 'superseded')),
    manifest_sha256 TEXT,
    cycle TEXT,
    round TEXT,
    basis TEXT
);
CREATE TABLE IF NOT EXISTS tier_history (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    period TEXT NOT NULL,
    client_id TEXT NOT NULL,
    ladder TEXT NOT NULL,
    tier TEXT NOT NULL,
    PRIMARY KEY (run_id, client_id)
);
CREATE INDEX IF NOT EXISTS tier_history_client ON tier_history (client_id, period);
CREATE TABLE IF NOT EXISTS quotas (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    period TEXT NOT NULL,
    product TEXT NOT NULL,
    client_id TEXT NOT NULL,
    quota INTEGER NOT NULL,
    source TEXT,
    entitled INTEGER,
    ordered INTEGER,
    PRIMARY KEY (run_id, product, client_id)
);
CREATE TABLE IF NOT EXISTS acts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL CHECK (kind IN ('assignment', 'lock', 'approve', 'supersede', 'publish')),
    client_id TEXT,
    product TEXT,
    units INTEGER,
    by TEXT NOT NULL,
    reason TEXT,
    at TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS acts_run ON acts (run_id);
CREATE INDEX IF NOT EXISTS acts_client ON acts (client_id)
"""

# What format 2 added to the tables of format 1, as ALTER TABLE ... ADD COLUMN takes it.
ADDED_COLUMNS = (
    ("runs", "state", "TEXT CHECK (state IN ('draft', 'approved', 'published', 'superseded'))"),
    ("runs", "manifest_sha256", "TEXT"),
    ("quotas", "source", "TEXT"),
    ("runs", "cycle", "TEXT"),
    ("runs", "round", "TEXT"),
    ("runs", "basis", "TEXT"),
    ("quotas", "entitled", "INTEGER"),
    ("quotas", "ordered", "INTEGER"),
)
RUN_COLUMNS = (
    "id", "started", "ended", "status", "scenario", "scenario_sha256", "period", "seed", "snapshot_sha256",
    "tiering_sha256", "allocation_sha256", "version", "out_dir", "clients", "products", "quotas_issued",
    "message", "manifest_sha256", "cycle", "round", "basis",
)  # fmt: skip  # every column but state
_FIXED = "('approved', 'published', 'superseded')"
NEVER_CHANGE = "approved and published runs never change"


def _frozen_rows(table: str) -> list[str]:
    """Triggers that refuse to add, change or remove a reviewed run's rows of `table`."""
    frozen = "(SELECT state FROM runs WHERE id = {}.run_id) IN " + _FIXED
    abort = f"BEGIN SELECT RAISE(ABORT, '{NEVER_CHANGE}: their {table} rows are fixed'); END"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_fixed_insert BEFORE INSERT ON {table} "
        f"WHEN {frozen.format('NEW')} {abort}",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fixed_update BEFORE UPDATE ON {table} "
        f"WHEN {frozen.format('OLD')} OR {frozen.format('NEW')} {abort}",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fixed_delete BEFORE DELETE ON {table} "
        f"WHEN {frozen.format('OLD')} {abort}",
    ]


_MOVES = (
    "(OLD.state IS NULL AND NEW.state = 'draft' AND NEW.status = 'ok')"
    " OR (OLD.state = 'draft' AND NEW.state = 'approved')"
    " OR (OLD.state = 'approved' AND NEW.state IN ('published', 'superseded'))"
    " OR (OLD.state = 'published' AND NEW.state = 'superseded')"
)
TRIGGERS = (
    "CREATE TRIGGER IF NOT EXISTS runs_fixed_update BEFORE UPDATE ON runs "
    f"WHEN OLD.state IN {_FIXED} AND ({' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in RUN_COLUMNS)}) "
    f"BEGIN SELECT RAISE(ABORT, '{NEVER_CHANGE}: only their state moves on'); END",
    "CREATE TRIGGER IF NOT EXISTS runs_state_moves BEFORE UPDATE ON runs "
    f"WHEN NEW.state IS NOT OLD.state AND NOT ({_MOVES}) "
    "BEGIN SELECT RAISE(ABORT, 'a run moves only from ok to draft, from draft to approved, "
    "from approved to published, and from approved or published to superseded'); END",
    "CREATE TRIGGER IF NOT EXISTS runs_born_without_state BEFORE INSERT ON runs WHEN NEW.state IS NOT NULL "
    "BEGIN SELECT RAISE(ABORT, 'a run starts without a state: it becomes a draft when it finishes ok'); END",
    f"CREATE TRIGGER IF NOT EXISTS runs_fixed_delete BEFORE DELETE ON runs WHEN OLD.state IN {_FIXED} "
    f"BEGIN SELECT RAISE(ABORT, '{NEVER_CHANGE}: they are never deleted'); END",
    *_frozen_rows("tier_history"),
    *_frozen_rows("quotas"),
    "CREATE TRIGGER IF NOT EXISTS acts_never_update BEFORE UPDATE ON acts "
    "BEGIN SELECT RAISE(ABORT, 'acts are a record: they are never changed'); END",
    "CREATE TRIGGER IF NOT EXISTS acts_never_delete BEFORE DELETE ON acts "
    "BEGIN SELECT RAISE(ABORT, 'acts are a record: they are never deleted'); END",
)


def columns(conn: sqlite3.Connection, table: str) -> set[str]:
    """The columns of `table` (empty when there is no such table)."""
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def migrate(conn: sqlite3.Connection) -> None:
    """Stamp, create or bring to FORMAT; call inside one write transaction (all of it or none).

    Columns are looked at, not only the stamp: an unstamped ledger may have either layout."""
    if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    for table, column, definition in ADDED_COLUMNS:
        if column not in columns(conn, table):
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
            if column == "state":  # every run that finished ok is a draft: nobody approved it yet
                conn.execute("UPDATE runs SET state = 'draft' WHERE status = 'ok'")
    for trigger in TRIGGERS:
        conn.execute(trigger)
    if conn.execute("PRAGMA user_version").fetchone()[0] != FORMAT:
        conn.execute(f"PRAGMA user_version = {FORMAT}")


def check_ledger_file(path: Path, writing: bool = True) -> None:
    """Refuse, without writing anything, a file that is not an allocator ledger (a new one is fine).

    `writing=False` for the reading commands: the file need not be writable, and must exist."""
    shown = display_path(path)
    try:
        if path.is_dir():
            raise LedgerError(f"{shown}: not a run ledger: it is a folder; {FOREIGN_HINT}")
        if path.exists() and not path.is_file():
            raise LedgerError(f"{shown}: not a run ledger: it is not a regular file; {FOREIGN_HINT}")
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        if writing:
            return
        raise LedgerError(f"{shown}: no such run ledger; give --ledger the ledger a batch wrote") from None
    except OSError as exc:
        raise LedgerError(f"{shown}: cannot open the run ledger: {exc.strerror}") from None
    if writing and not os.access(path, os.W_OK):
        raise LedgerError(f"{shown}: cannot open the run ledger: Permission denied")
    if header == b"":
        return  # SQLite takes an empty file as a new database
    if len(header) < 100 or not header.startswith(HEADER):
        raise LedgerError(f"{shown}: not a run ledger: the file is not an SQLite database; {FOREIGN_HINT}")
    app_id, version = int.from_bytes(header[68:72], "big"), int.from_bytes(header[60:64], "big")
    if app_id == APPLICATION_ID and version > FORMAT:
        raise LedgerError(
            f"{shown}: a run ledger of a newer format ({version}; this allocator knows {FORMAT}); use a newer allocator"
        )
    if app_id != APPLICATION_ID and (app_id != 0 or version != 0 or not _unstamped_ledger(path, shown)):
        raise LedgerError(
            f"{shown}: not a run ledger: an SQLite database that allocator did not create; {FOREIGN_HINT}"
        )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can never write the file (SQLite's mode=ro)."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=30)


def _unstamped_ledger(path: Path, shown: str) -> bool:
    """Whether an unstamped database is empty or a ledger from before the stamp (exactly our tables,
    of format 1 or 2). Read through a read-only connection, which never writes to the file."""
    try:
        conn = _connect_read_only(path)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{shown}: not a run ledger: {exc}; {FOREIGN_HINT}") from None
    return tables in (set(), TABLES_V1, TABLES)


@contextmanager
def sqlite_errors(shown: str, what: str) -> Iterator[None]:
    """A full disk, a read-only or damaged file: a user error naming the ledger; a misuse stays a bug."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{shown}: {what}: {exc}") from None


@dataclass(frozen=True)
class RunRow:
    """One row of the `runs` table (format 1 rows read with state draft for ok runs)."""

    id: int
    started: str
    ended: str | None
    status: str
    state: str | None
    scenario: str
    scenario_sha256: str
    period: str
    seed: int
    snapshot_sha256: str
    tiering_sha256: str
    allocation_sha256: str
    version: str
    out_dir: str
    clients: int | None
    products: int | None
    quotas_issued: int | None
    message: str | None
    manifest_sha256: str | None
    cycle: str | None = None
    round: str | None = None
    basis: str | None = None  # a round: the approved runs of its cycle it was worked out from

    @property
    def named(self) -> str:
        """The run as messages name it: its id, scenario and period (and round, in a cycle)."""
        return f"run {self.id} ({self.scenario}, {self.when})"

    @property
    def when(self) -> str:
        """'period 2026Q1', or 'period 2025-09, round W2' for a round of a cycle."""
        return f"period {self.period}" + (f", round {self.round}" if self.round is not None else "")


def _select_runs(conn: sqlite3.Connection) -> str:
    have = columns(conn, "runs")
    state = "state" if "state" in have else "CASE WHEN status = 'ok' THEN 'draft' END"
    manifest = "manifest_sha256" if "manifest_sha256" in have else "NULL"
    cycle = "cycle, round, basis" if "basis" in have else "NULL, NULL, NULL"
    return (
        "SELECT id, started, ended, status, " + state + ", scenario, scenario_sha256, period, seed, "
        "snapshot_sha256, tiering_sha256, allocation_sha256, version, out_dir, clients, products, "
        "quotas_issued, message, " + manifest + ", " + cycle + " FROM runs"
    )


def all_runs(conn: sqlite3.Connection) -> list[RunRow]:
    """Every run, oldest first (none when the ledger has no tables yet)."""
    if not columns(conn, "runs"):
        return []
    return [RunRow(*r) for r in conn.execute(_select_runs(conn) + " ORDER BY id")]


def run_row(conn: sqlite3.Connection, run_id: int, shown: str) -> RunRow:
    """The run `run_id`; a user error naming the latest runs when there is none."""
    found = conn.execute(_select_runs(conn) + " WHERE id = ?", (run_id,)).fetchone() if columns(conn, "runs") else None
    if found is not None:
        return RunRow(*found)
    ids = [r[0] for r in conn.execute("SELECT id FROM runs ORDER BY id DESC")] if columns(conn, "runs") else []
    if not ids:
        raise LedgerError(f"{shown}: there is no run {run_id}: the ledger holds no runs yet")
    if len(ids) <= 5:
        held = ", ".join(str(i) for i in reversed(ids))
        raise LedgerError(f"{shown}: there is no run {run_id}; the ledger holds run{'s' * (len(ids) > 1)} {held}")
    latest = ", ".join(str(i) for i in ids[:5])
    raise LedgerError(
        f"{shown}: there is no run {run_id}; the latest runs are {latest} (of {len(ids)}); "
        f"allocator runs --ledger {shown} lists them all"
    )


def _acts(conn: sqlite3.Connection) -> bool:
    return bool(columns(conn, "acts"))


def approval(conn: sqlite3.Connection, run_id: int) -> tuple[str, str] | None:
    """Who approved the run and when, (by, at), if anyone did."""
    if not _acts(conn):
        return None
    row = conn.execute(
        "SELECT by, at FROM acts WHERE run_id = ? AND kind = 'approve' ORDER BY id LIMIT 1", (run_id,)
    ).fetchone()
    return (row[0], row[1]) if row is not None else None


def superseded_by(conn: sqlite3.Connection, run_id: int) -> int | None:
    """The newer run that superseded this one, if one did."""
    if not _acts(conn):
        return None
    for (detail,) in conn.execute("SELECT detail FROM acts WHERE run_id = ? AND kind = 'supersede'", (run_id,)):
        if detail is not None and detail.isdigit() and int(detail) > run_id:
            return int(detail)
    return None


def supersede_intent(conn: sqlite3.Connection, run_id: int) -> tuple[int, str | None] | None:
    """The older run this run was batched to supersede, and the reason given, if any."""
    if not _acts(conn):
        return None
    for detail, reason in conn.execute(
        "SELECT detail, reason FROM acts WHERE run_id = ? AND kind = 'supersede' ORDER BY id", (run_id,)
    ):
        if detail is not None and detail.isdigit() and int(detail) < run_id:
            return int(detail), reason
    return None


@contextmanager
def read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """The ledger opened for reading only: never migrated, never written (either format).

    SQLite may create the `-wal` and `-shm` files beside a WAL database, as any reader does; the
    ledger file itself keeps its bytes."""
    check_ledger_file(path, writing=False)
    shown = display_path(path)
    with sqlite_errors(shown, "cannot read the run ledger"):
        conn = _connect_read_only(path)
        try:
            conn.execute("PRAGMA query_only = ON")
            yield conn
        finally:
            conn.close()
