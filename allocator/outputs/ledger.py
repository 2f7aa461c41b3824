"""The run ledger: an SQLite record of every run, the tiers it gave, the quotas it issued, and
every manual act on it (assignments, locks, approval, supersession, publication).

A run is recorded in two transactions. The first adds its row with status `running`. The second,
after the outputs are in place, adds its tiers, quotas and acts and sets status `ok` and state
`draft`, all or nothing. A row still `running` when the next run takes the lock belongs to a run
that died, and is marked `failed`. So the ledger never holds half a run, and "done" means a row
that says `ok`. Status is the process; state is the review (outputs/ledger_acts.py moves it on).

The next review can take each client's previous tier from an earlier period's run, when the
snapshot has none: its approved or published run, else its latest `ok` run.

A ledger carries a stamp in its SQLite header (`application_id`, and the format in
`user_version`), and a file is checked before anything is written to it: another program's
database, or a file that is not SQLite at all, is refused and left byte for byte as it was.
Tables, triggers and the migration from format 1 are in outputs/ledger_schema.py.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from allocator.errors import LedgerError
from allocator.inputs.periods import latest_earlier
from allocator.inputs.rule_files import display_path
from allocator.outputs import interrupts
from allocator.outputs.ledger_schema import (
    APPLICATION_ID,
    FORMAT,
    SCHEMA,
    TABLES,
    check_ledger_file,
    migrate,
    sqlite_errors,
)
from allocator.outputs.tables import sha256_file

__all__ = ["APPLICATION_ID", "FORMAT", "SCHEMA", "TABLES", "Act", "Ledger", "RunInfo", "check_ledger_file", "now"]


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
    cycle: str | None = None
    round: str | None = None
    basis: str | None = None  # a round: the ids of the approved runs its supply was worked out from


@dataclass(frozen=True)
class Act:
    """A manual act recorded with a run: who, why, and on what (a client and product, or the run)."""

    kind: str  # assignment, lock, approve, supersede, publish
    by: str
    reason: str | None = None
    client_id: str | None = None
    product: str | None = None
    units: int | None = None
    detail: str | None = None


def now() -> str:
    """The time as the ledger writes it: UTC, ISO 8601, to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
            with sqlite_errors(shown, "cannot open the run ledger"):
                book._prepare()
            yield book
        finally:
            conn.close()

    def _prepare(self) -> None:
        """Stamp a new ledger (or one from before the stamp), create or migrate its tables: one transaction."""
        conn = self.conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        with self._transaction("cannot open the run ledger"):
            migrate(conn)

    @contextmanager
    def _transaction(self, what: str = "cannot record the run", done: str | None = None) -> Iterator[None]:
        """All or nothing; never cut by a signal; the error that caused a rollback is the one raised.

        `done`: what a signal's message says once the commit is through (the signal acts then)."""
        with interrupts.deferred(), sqlite_errors(self.shown, what):
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.conn.execute("COMMIT")
                if done is not None:
                    interrupts.set_status(done)
            except BaseException:
                if self.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                    with suppress(sqlite3.Error):
                        self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self, done: str | None = None, what: str = "cannot record the act") -> Iterator[sqlite3.Connection]:
        """One write transaction for the acts on runs (approve, publish): all or nothing, never cut by
        a signal; `done` is what a signal's message says once it has committed."""
        with self._transaction(what, done):
            yield self.conn

    def fail_abandoned(self) -> int:
        """Mark runs left `running` by a process that died; call while holding the run lock."""
        with self._transaction():
            cur = self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = 'the run was interrupted' WHERE status = 'running'",
                (now(),),
            )
        return cur.rowcount

    def start(self, info: RunInfo) -> int:
        with self._transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (started, status, scenario, scenario_sha256, period, seed, snapshot_sha256, "
                "tiering_sha256, allocation_sha256, version, out_dir, cycle, round, basis) "
                "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (now(), info.scenario, info.scenario_sha256, info.period, info.seed, info.snapshot_sha256,
                 info.tiering_sha256, info.allocation_sha256, info.version, info.out_dir, info.cycle, info.round,
                 info.basis),
            )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish(self, run_id: int, period: str, tiers: pl.DataFrame, quotas: list[pl.DataFrame]) -> None:
        """Record the run's tiers and quotas and mark it ok, in one transaction."""
        with self.recording(run_id, period, tiers, quotas):
            pass

    @contextmanager
    def recording(
        self,
        run_id: int,
        period: str,
        tiers: pl.DataFrame,
        quotas: list[pl.DataFrame],
        acts: Sequence[Act] = (),
        *,
        manifest: Path | None = None,
    ) -> Iterator[None]:
        """Write the run's tiers, quotas and acts and mark it ok and draft; committed when the block
        ends without error.

        The outputs are put in place inside the block, so that a commit that fails (a full disk)
        can still take them back. `manifest`: the run's manifest.json, hashed once the block has
        put it in place, so that `publish` can tell the run's folder from any other."""
        with self._transaction():
            self.conn.executemany(
                "INSERT INTO tier_history (run_id, period, client_id, ladder, tier) VALUES (?, ?, ?, ?, ?)",
                ((run_id, period, c, lad, t) for c, lad, t in tiers.select("client_id", "ladder", "tier").iter_rows()),
            )
            issued = 0
            for q in quotas:
                extra = [
                    pl.col(name) if name in q.columns else pl.lit(None, kind).alias(name)
                    for name, kind in (("source", pl.String), ("entitled", pl.Int64), ("ordered", pl.Int64))
                ]
                rows = q.select("product", "client_id", "quota", *extra).iter_rows()
                self.conn.executemany(
                    "INSERT INTO quotas (run_id, period, product, client_id, quota, source, entitled, ordered) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    ((run_id, period, p, c, n, s, e, o) for p, c, n, s, e, o in rows),
                )
                issued += int(q["quota"].sum())
            at = now()
            self.conn.executemany(
                "INSERT INTO acts (run_id, kind, client_id, product, units, by, reason, at, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((run_id, a.kind, a.client_id, a.product, a.units, a.by, a.reason, at, a.detail) for a in acts),
            )
            self.conn.execute(
                "UPDATE runs SET status = 'ok', state = 'draft', ended = ?, clients = ?, products = ?, "
                "quotas_issued = ? WHERE id = ?",
                (at, tiers.height, len(quotas), issued, run_id),
            )
            yield
            if manifest is not None:
                self.conn.execute("UPDATE runs SET manifest_sha256 = ? WHERE id = ?", (sha256_file(manifest), run_id))

    def fail(self, run_id: int, message: str) -> None:
        with self._transaction():
            self.conn.execute(
                "UPDATE runs SET status = 'failed', ended = ?, message = ? WHERE id = ? AND status = 'running'",
                (now(), message[:2000], run_id),
            )

    def fail_quietly(self, run_id: int, message: str) -> None:
        """Mark the run failed if the ledger still can; never hides the error that ended the run."""
        with suppress(LedgerError, sqlite3.Error, OSError):
            self.fail(run_id, message)

    def previous_tiers(self, period: str) -> tuple[int, str, pl.DataFrame] | None:
        """The tiers of the latest ok run of an earlier period: (run id, its period, client_id/ladder/tier)."""
        with sqlite_errors(self.shown, "cannot read the run ledger"):
            return self._previous_tiers(period)

    def _previous_tiers(self, period: str) -> tuple[int, str, pl.DataFrame] | None:
        # periods compare by meaning (2026W9 before 2026W10), not as text: choose in Python
        runs = self.conn.execute("SELECT id, period, state FROM runs WHERE status = 'ok' ORDER BY id").fetchall()
        chosen = latest_earlier(period, [p for _, p, _ in runs])
        if chosen is None:
            return None
        of_period = [r for r in runs if r[1] == chosen]
        issued = [r for r in of_period if r[2] in ("approved", "published")]  # what the shops were told
        row = (issued or of_period)[-1]
        rows = self.conn.execute(
            "SELECT client_id, ladder, tier FROM tier_history WHERE run_id = ? ORDER BY client_id", (row[0],)
        ).fetchall()
        frame = pl.DataFrame(
            rows, schema={"client_id": pl.String, "ladder": pl.String, "tier": pl.String}, orient="row"
        )
        return row[0], row[1], frame
