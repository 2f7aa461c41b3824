"""The run ledger: an SQLite record of every run, the tiers it gave and the quotas it issued.

A run is recorded in two transactions. The first adds its row with status `running`. The second,
after the outputs are in place, adds its tiers and quotas and sets status `ok`, all or nothing.
A row still `running` when the next run takes the lock belongs to a run that died, and is
marked `failed`. So the ledger never holds half a run, and "done" means a row that says `ok`.

The next review can take each client's previous tier from the latest `ok` run of an earlier
period, when the snapshot has none.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from allocator.errors import AllocatorError

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


class Ledger:
    """An open ledger; use `with Ledger.open(path) as ledger:`."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    @contextmanager
    def open(cls, path: Path) -> Iterator[Ledger]:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise AllocatorError(f"{path}: cannot open the run ledger: {exc}") from None
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            with _transaction(conn):
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise AllocatorError(f"{path}: not a usable run ledger: {exc}") from None
        try:
            yield cls(conn, path)
        finally:
            conn.close()

    def fail_abandoned(self) -> int:
        """Mark runs left `running` by a process that died; call while holding the run lock."""
        with _transaction(self.conn):
            cur = self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = 'the run was interrupted' WHERE status = 'running'",
                (_now(),),
            )
        return cur.rowcount

    def start(self, info: RunInfo) -> int:
        with _transaction(self.conn):
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
        with _transaction(self.conn):
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

    def fail(self, run_id: int, message: str) -> None:
        with _transaction(self.conn):
            self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = ? WHERE id = ? AND status = 'running'",
                (_now(), message[:2000], run_id),
            )

    def previous_tiers(self, period: str) -> tuple[int, str, pl.DataFrame] | None:
        """The tiers of the latest ok run of an earlier period: (run id, its period, client_id/ladder/tier)."""
        row = self.conn.execute(
            "SELECT id, period FROM runs WHERE status = 'ok' AND period < ? ORDER BY period DESC, id DESC LIMIT 1",
            (period,),
        ).fetchone()
        if row is None:
            return None
        rows = self.conn.execute(
            "SELECT client_id, ladder, tier FROM tier_history WHERE run_id = ? ORDER BY client_id", (row[0],)
        ).fetchall()
        frame = pl.DataFrame(
            rows, schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String}, orient="row"
        )
        return row[0], row[1], frame


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
