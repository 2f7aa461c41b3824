"""The run ledger: an SQLite record of every run, the tiers it gave and the quotas it issued.

A run is recorded in two transactions. The first adds its row with status `running`. The second,
after the outputs are in place, adds its tiers and quotas and sets status `ok`, all or nothing.
A row still `running` when the next run takes the lock belongs to a run that died, and is
marked `failed`. So the ledger never holds half a run, and "done" means a row that says `ok`.

The next review can take each client's previous tier from the latest `ok` run of an earlier
period, when the snapshot has none.

A ledger carries a stamp in its SQLite header (`application_id`, and the format in
`user_version`), and a file is checked before anything is written to it: another program's
database, or a file that is not SQLite at all, is refused and left byte for byte as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import polars as pl

from allocator.errors import LedgerError
from allocator.inputs.periods import latest_earlier
from allocator.inputs.rule_files import display_path
from allocator.outputs import interrupts

APPLICATION_ID = 0x416C6C63  # "Allc": PRAGMA application_id of every allocator ledger
FORMAT = 1  # PRAGMA user_version: the ledger's table layout
TABLES = frozenset({"runs", "tier_history", "quotas"})
HEADER = b"SQLite format 3\x00"
FOREIGN_HINT = "give --ledger a new file or an allocator ledger"

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
    message TEXT
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
    PRIMARY KEY (run_id, product, client_id)
);
"""


@dataclass(frozen=True)
class RunInfo:
    scenario: str
    scenario_sha256: str
    period: str
    seed: int
    snapshot_sha256: str
    tiering_sha256: str
    allocation_sha256: str
    version: str
    out_dir: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def check_ledger_file(path: Path) -> None:
    """Refuse, without writing anything, a file that is not an allocator ledger (a new one is fine)."""
    shown = display_path(path)
    try:
        if path.is_dir():
            raise LedgerError(f"{shown}: not a run ledger: it is a folder; {FOREIGN_HINT}")
        if path.exists() and not path.is_file():
            raise LedgerError(f"{shown}: not a run ledger: it is not a regular file; {FOREIGN_HINT}")
        with path.open("rb") as f:
            header = f.read(100)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise LedgerError(f"{shown}: cannot open the run ledger: {exc.strerror}") from None
    if not os.access(path, os.W_OK):
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


def _unstamped_ledger(path: Path, shown: str) -> bool:
    """Whether an unstamped database is empty or a ledger from before the stamp (exactly our tables).

    Read through a read-only connection, which never writes to the file."""
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{shown}: not a run ledger: {exc}; {FOREIGN_HINT}") from None
    return tables in (set(), TABLES)


@contextmanager
def _sqlite_errors(shown: str, what: str) -> Iterator[None]:
    """A full disk, a read-only or damaged file: a user error naming the ledger; a misuse stays a bug."""
    try:
        yield
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{shown}: {what}: {exc}") from None


class Ledger:
    """An open ledger; use `with Ledger.open(path) as ledger:`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self.shown = display_path(path)

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Ledger]:
        check_ledger_file(path)
        shown = display_path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        except OSError as exc:
            raise LedgerError(f"{shown}: cannot open the run ledger: {exc.strerror}") from None
        except sqlite3.Error as exc:
            raise LedgerError(f"{shown}: cannot open the run ledger: {exc}") from None
        book = cls(conn, path)
        try:
            with _sqlite_errors(shown, "cannot open the run ledger"):
                book._prepare()
            yield book
        finally:
            conn.close()

    def _prepare(self) -> None:
        """Stamp a new ledger (or one from before the stamp), then make sure the tables exist."""
        conn = self.conn
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {FORMAT}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        with self._transaction():
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All or nothing; never cut by a signal; the error that caused a rollback is the one raised."""
        with interrupts.deferred(), _sqlite_errors(self.shown, "cannot record the run"):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise

    def fail_abandoned(self) -> int:
        """Mark runs left `running` by a process that died; call while holding the run lock."""
        with self._transaction():
            cur = self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = 'the run was interrupted' WHERE status = 'running'",
                (_now(),),
            )
        return cur.rowcount

    def start(self, info: RunInfo) -> int:
        with self._transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (started, status, scenario, scenario_sha256, period, seed, snapshot_sha256, "
                "tiering_sha256, allocation_sha256, version, out_dir) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), info.scenario, info.scenario_sha256, info.period, info.seed, info.snapshot_sha256,
                 info.tiering_sha256, info.allocation_sha256, info.version, info.out_dir),
            )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish(self, run_id: int, period: str, tiers: pl.DataFrame, quotas: list[pl.DataFrame]) -> None:
        """Record the run's tiers and quotas and mark it ok, in one transaction."""
        with self.recording(run_id, period, tiers, quotas):
            pass

    @contextmanager
    def recording(self, run_id: int, period: str, tiers: pl.DataFrame, quotas: list[pl.DataFrame]) -> Iterator[None]:
        """Write the run's tiers and quotas and mark it ok; committed when the block ends without error.

        The outputs are put in place inside the block, so that a commit that fails (a full disk)
        can still take them back."""
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO tier_history (run_id, period, client_id, ladder, tier) VALUES (?, ?, ?, ?, ?)",
                ((run_id, period, c, lad, t) for c, lad, t in tiers.select("client_id", "ladder", "tier").iter_rows()),
            )
            issued = 0
            for q in quotas:
                self.conn.executemany(
                    "INSERT INTO quotas (run_id, period, product, client_id, quota) VALUES (?, ?, ?, ?, ?)",
                    ((run_id, period, p, c, n) for p, c, n in q.select("product", "client_id", "quota").iter_rows()),
                )
                issued += int(q["quota"].sum())
            self.conn.execute(
                "UPDATE runs SET status = 'ok', ended = ?, clients = ?, products = ?, quotas_issued = ? WHERE id = ?",
                (_now(), tiers.height, len(quotas), issued, run_id),
            )
            yield

    def fail(self, run_id: int, message: str) -> None:
        with self._transaction():
            self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = ? WHERE id = ? AND status = 'running'",
                (_now(), message[:2000], run_id),
            )

    def fail_quietly(self, run_id: int, message: str) -> None:
        """Mark the run failed if the ledger still can; never hides the error that ended the run."""
        with suppress(LedgerError, sqlite3.Error, OSError):
            self.fail(run_id, message)

    def previous_tiers(self, period: str) -> tuple[int, str, pl.DataFrame] | None:
        """The tiers of the latest ok run of an earlier period: (run id, its period, client_id/ladder/tier)."""
        with _sqlite_errors(self.shown, "cannot read the run ledger"):
            return self._previous_tiers(period)

    def _previous_tiers(self, period: str) -> tuple[int, str, pl.DataFrame] | None:
        # periods compare by meaning (2026W9 before 2026W10), not as text: choose in Python
        runs = self.conn.execute("SELECT id, period FROM runs WHERE status = 'ok' ORDER BY id").fetchall()
        chosen = latest_earlier(period, [p for _, p in runs])
        if chosen is None:
            return None
        row = next(r for r in reversed(runs) if r[1] == chosen)
        rows = self.conn.execute(
            "SELECT client_id, ladder, tier FROM tier_history WHERE run_id = ? ORDER BY client_id", (row[0],)
        ).fetchall()
        frame = pl.DataFrame(
            rows, schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String}, orient="row"
        )
        return row[0], row[1], frame
