"""The review of runs in the ledger: approve, supersede, publish, and what `runs` and `history` read.

A run's `status` is the process (running, ok, failed); its `state` is the review. A run that
finishes ok is a `draft`; `approve` makes it `approved`; `publish` makes it `published`; a newer
run batched with `--supersede` makes it `superseded` when that newer run is approved. A scenario
has at most one approved (or published) run per period. Each move is one transaction with its
act, so the ledger never shows a state without the act that made it.

Supersession is two acts: the newer run carries the intent (recorded by batch; detail = the older
run's id), the older run the change (recorded by approve; detail = the newer run's id). So a
`supersede` act whose detail is a higher id than its run says "superseded by", a lower one
"supersedes".

Every function here takes a connection, so that the reading commands can pass a read-only one;
those read format-1 ledgers too (no acts, every ok run a draft).
"""

from __future__ import annotations

import getpass
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from allocator.errors import LedgerError, OutputError
from allocator.inputs.conditions import did_you_mean
from allocator.inputs.periods import PeriodError, parse_period
from allocator.inputs.rule_files import display_path
from allocator.outputs.ledger import Ledger, now
from allocator.outputs.ledger_cycle import cycle_issued
from allocator.outputs.ledger_schema import (
    REVIEWED,
    RunRow,
    all_runs,
    approval,
    columns,
    read_only,
    run_row,
    supersede_intent,
    superseded_by,
)

ISSUED = ("approved", "published")  # the run a scenario's shops were told about, for its period


@dataclass(frozen=True)
class Supersede:
    """batch --supersede RUN --reason TEXT: the run this batch is meant to replace, and why."""

    run_id: int
    reason: str


def os_user() -> str:
    """Who runs this process, for acts that have no --by (the OS user name, else the uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no LOGNAME/USER and no password entry (a bare container)
        return f"uid {os.getuid()}"


def _same_period(a: str, b: str) -> bool:
    """Periods compare by meaning (2026W9 is 2026-W09); a form that cannot be parsed, as text."""
    try:
        pa, pb = parse_period(a), parse_period(b)
    except PeriodError:
        return a == b
    return (pa.kind, pa.key) == (pb.kind, pb.key)


def issued_run(
    conn: sqlite3.Connection, scenario: str, period: str, other_than: int | None = None, round_name: str | None = None
) -> RunRow | None:
    """The approved or published run of this scenario and period (and round, in a cycle: each
    round of a cycle is issued once), at most one, if any."""
    for row in reversed(all_runs(conn)):
        issued = row.id != other_than and row.state in ISSUED and row.scenario == scenario
        if issued and _same_period(row.period, period) and row.round == round_name:
            return row
    return None


def _state_words(conn: sqlite3.Connection, row: RunRow) -> str:
    """'approved by zhang (2026-12-01T10:00:00+00:00)', 'superseded by run 5', ... for messages."""
    by = approval(conn, row.id)
    if row.state == "approved" and by:
        return f"approved by {by[0]} ({by[1]})"
    if row.state == "published" and by:
        return f"published (approved by {by[0]}, {by[1]})"
    if row.state == "superseded" and (newer := superseded_by(conn, row.id)) is not None:
        return f"superseded by run {newer}"
    return str(row.state)


def _not_finished(row: RunRow, verb: str) -> LedgerError | None:
    if row.status == "failed":
        why = (row.message or "").splitlines()[0][:200] if row.message else "no message"
        return LedgerError(f"{row.named} cannot be {verb}: it failed ({why}); only a run that finished ok can be")
    if row.status != "ok":
        return LedgerError(
            f"{row.named} cannot be {verb}: it has not finished (status {row.status}); "
            "only a run that finished ok can be"
        )
    return None


def refuse_unapprovable(conn: sqlite3.Connection, row: RunRow) -> None:
    """Only a draft can be approved: a failed, running, approved, published or superseded run cannot."""
    if (problem := _not_finished(row, "approved")) is not None:
        raise problem
    if row.state != "draft":
        raise LedgerError(f"{row.named} cannot be approved: it is already {_state_words(conn, row)}")


def refuse_unpublishable(conn: sqlite3.Connection, row: RunRow) -> None:
    """Only an approved (or already published) run can be published."""
    if (problem := _not_finished(row, "published")) is not None:
        raise problem
    if row.state == "draft":
        raise LedgerError(
            f"{row.named} cannot be published: it is a draft; "
            f"approve it first (allocator approve {row.id} --ledger LEDGER --by NAME)"
        )
    if row.state == "superseded":
        raise LedgerError(f"{row.named} cannot be published: it was {_state_words(conn, row)}")


@dataclass(frozen=True)
class Approved:
    """What `approve` did: the run approved, and the run it superseded, if any."""

    run: RunRow
    superseded: RunRow | None


def approve(book: Ledger, run_id: int, by: str, note: str | None) -> Approved:
    """Make a draft run approved, with its act; supersede the scenario's issued run if batch said so.

    One transaction: the state, the approve act, and the older run's supersession and its act."""
    with book.transaction(done=f"run {run_id} is approved") as conn:
        row = run_row(conn, run_id, book.shown)
        refuse_unapprovable(conn, row)
        refuse_stale_round(conn, row)
        rival = issued_run(conn, row.scenario, row.period, other_than=row.id, round_name=row.round)
        at = now()
        if rival is not None:
            intent = supersede_intent(conn, row.id)
            if intent is None or intent[0] != rival.id:
                raise LedgerError(
                    f"{row.named} cannot be approved: run {rival.id} is already {_state_words(conn, rival)}, "
                    f"and a scenario has one approved run per period; to replace run {rival.id}, batch again "
                    f"with --supersede {rival.id} --reason TEXT and approve that run"
                )
            conn.execute("UPDATE runs SET state = 'superseded' WHERE id = ?", (rival.id,))
            _act(conn, rival.id, "supersede", by, intent[1], at, str(row.id))
        conn.execute("UPDATE runs SET state = 'approved' WHERE id = ? AND state = 'draft'", (row.id,))
        _act(conn, row.id, "approve", by, note, at, None)
    return Approved(row, rival)


def basis_of(runs: Iterable[int]) -> str:
    """How a round's basis is written: the approved run ids, sorted, comma-separated."""
    return ",".join(str(i) for i in sorted(runs))


def refuse_stale_round(conn: sqlite3.Connection, row: RunRow) -> None:
    """A round is approved only on the basis it was worked out from: if another round of its cycle
    was approved (or superseded) since, its supply and rotation are out of date."""
    if row.cycle is None or row.basis is None:
        return
    now_issued = cycle_issued(conn, row.scenario, row.cycle).runs
    current = basis_of(i for r, i in now_issued.items() if r != row.round)
    if current != row.basis:
        was = _runs_named(row.basis) if row.basis else "no approved round"
        is_now = _runs_named(current) if current else "none"
        raise LedgerError(
            f"{row.named} cannot be approved: it was worked out from {was} of cycle {row.cycle}, and the "
            f"approved rounds are now {is_now}; its supply and rotation are out of date: batch round "
            f"{row.round} again and approve that run"
        )


def _runs_named(ids: str) -> str:
    return f"runs {ids.replace(',', ', ')}" if "," in ids else f"run {ids}"


def _act(
    conn: sqlite3.Connection, run_id: int, kind: str, by: str, reason: str | None, at: str, detail: str | None
) -> None:
    conn.execute(
        "INSERT INTO acts (run_id, kind, by, reason, at, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (run_id, kind, by, reason, at, detail),
    )


@contextmanager
def publishing(book: Ledger, run_id: int, by: str, folder: Path, at: str) -> Iterator[None]:
    """The transaction of a publication: approved -> published (if not yet) and a publish act.

    The notice is put in place inside the block (write_atomically's `record`), so a failed
    commit takes it back, and a kill leaves the old state and no act, or the new and its act."""
    with book.transaction() as conn:
        row = run_row(conn, run_id, book.shown)
        refuse_unpublishable(conn, row)
        if row.state == "approved":
            conn.execute("UPDATE runs SET state = 'published' WHERE id = ?", (run_id,))
        _act(conn, run_id, "publish", by, None, at, str(folder))
        yield


def _holds(folder: Path, out_dir: str) -> bool:
    """Whether `folder` is or contains a run's output folder."""
    run_folder = Path(out_dir)
    return run_folder == folder or folder in run_folder.parents


def refuse_reviewed_folder(conn: sqlite3.Connection, out: Path) -> None:
    """A run never replaces the output folder of an approved, published or superseded run."""
    target = out.resolve()
    for row in all_runs(conn):
        if row.state in REVIEWED and _holds(target, row.out_dir):
            raise OutputError(
                f"{display_path(out)}: refusing to replace this folder with the outputs: it holds the outputs of "
                f"{row.named}, which is {row.state}, and approved and published runs never change; "
                "give --out another folder"
            )


def refuse_competing_batch(
    conn: sqlite3.Connection, scenario: str, period: str, supersede: Supersede | None, round_name: str | None = None
) -> None:
    """One approved run per scenario and period (and round): a new batch must say which run it
    supersedes, and why."""
    issued = issued_run(conn, scenario, period, round_name=round_name)
    when = f"period {period}" + (f", round {round_name}" if round_name is not None else "")
    if issued is not None and (supersede is None or supersede.run_id != issued.id):
        given = "" if supersede is None else f"--supersede {supersede.run_id}: that is not the run to replace; "
        raise LedgerError(
            f"{given}{scenario} already has an approved run for {when}: run {issued.id}, "
            f"{_state_words(conn, issued)}; to replace it, give --supersede {issued.id} --reason TEXT"
        )
    if issued is None and supersede is not None:
        raise LedgerError(
            f"--supersede {supersede.run_id}: {scenario} has no approved or published run for {when} "
            "to supersede; leave out --supersede and --reason"
        )


def check_batch(
    ledger: Path,
    out: Path,
    scenario: str | None = None,
    period: str | None = None,
    supersede: Supersede | None = None,
    round_name: str | None = None,
) -> None:
    """Before a run writes anything: refuse an approved run's folder and, given the scenario and
    period, a batch that would compete with their approved run. Reads the ledger read-only."""
    try:
        if not ledger.exists() or ledger.stat().st_size == 0:
            if supersede is not None and scenario is not None and period is not None:
                raise LedgerError(
                    f"--supersede {supersede.run_id}: {scenario} has no approved or published run for period "
                    f"{period} to supersede (the ledger {display_path(ledger)} holds no runs yet); "
                    "leave out --supersede and --reason"
                )
            return
    except OSError:
        return  # Ledger.open reports what is wrong with the file
    with read_only(ledger) as conn:
        refuse_reviewed_folder(conn, out)
        if scenario is not None and period is not None:
            refuse_competing_batch(conn, scenario, period, supersede, round_name)


def runs_listing(conn: sqlite3.Connection) -> list[dict[str, object]]:
    """Every run with its review, oldest first: the rows of `allocator runs` (and of its --json)."""
    listing: list[dict[str, object]] = []
    for row in all_runs(conn):
        by = approval(conn, row.id)
        intent = supersede_intent(conn, row.id)
        listing.append(
            {"id": row.id, "started": row.started, "ended": row.ended, "status": row.status, "state": row.state,
             "scenario": row.scenario, "period": row.period, "clients": row.clients,
             "quotas_issued": row.quotas_issued, "approved_by": by[0] if by else None,
             "approved_at": by[1] if by else None, "superseded_by": superseded_by(conn, row.id),
             "supersedes": intent[0] if intent else None, "out": row.out_dir}
        )  # fmt: skip
    return listing


ACT_FIELDS = ("kind", "by", "at", "reason", "product", "units", "detail")
NEIGHBOURS = 500  # client ids on each side of an unknown one, in sorted order, for "did you mean"


def client_history(conn: sqlite3.Connection, client_id: str, shown: str) -> list[dict[str, object]]:
    """One client across the ledger's runs, oldest first: its ladder and tier, its quotas with their
    source, the acts naming it (assignments, locks) and each run's approve, supersede and publish acts."""
    placed = conn.execute(
        "SELECT run_id, ladder, tier FROM tier_history WHERE client_id = ? ORDER BY run_id", (client_id,)
    ).fetchall()
    if not placed:
        raise LedgerError(f"{shown}: no run of this ledger has a client {client_id!r}{_suggestion(conn, client_id)}")
    runs = {r.id: r for r in all_runs(conn)}
    acts = _acts_of(conn, client_id)
    history: list[dict[str, object]] = []
    for run_id, ladder, tier in placed:
        row = runs[run_id]
        history.append(
            {"run": run_id, "period": row.period, "scenario": row.scenario, "state": row.state,
             "ladder": ladder, "tier": tier, "quotas": _quotas_of(conn, run_id, client_id),
             "acts": [a for a in acts if a["run"] == run_id]}
        )  # fmt: skip
    return history


def _suggestion(conn: sqlite3.Connection, client_id: str) -> str:
    """'; did you mean ...?' over the ledger's client ids nearest in sorted order (an index walk,
    never a scan of every run's clients)."""
    below = conn.execute(
        "SELECT DISTINCT client_id FROM tier_history WHERE client_id < ? ORDER BY client_id DESC LIMIT ?",
        (client_id, NEIGHBOURS),
    ).fetchall()
    above = conn.execute(
        "SELECT DISTINCT client_id FROM tier_history WHERE client_id > ? ORDER BY client_id LIMIT ?",
        (client_id, NEIGHBOURS),
    ).fetchall()
    return did_you_mean(client_id, sorted(r[0] for r in below + above))


def _quotas_of(conn: sqlite3.Connection, run_id: int, client_id: str) -> list[dict[str, object]]:
    """The client's quota of each product of the run: a walk over the products of the run's primary
    key, then one lookup each, so a ledger of millions of quotas answers at once."""
    source = "source" if "source" in columns(conn, "quotas") else "NULL"
    found: list[dict[str, object]] = []
    product = ""
    while (step := conn.execute(
        "SELECT product FROM quotas WHERE run_id = ? AND product > ? ORDER BY product LIMIT 1", (run_id, product)
    ).fetchone()) is not None:  # fmt: skip
        product = step[0]
        got = conn.execute(
            f"SELECT quota, {source} FROM quotas WHERE run_id = ? AND product = ? AND client_id = ?",
            (run_id, product, client_id),
        ).fetchone()
        if got is not None:
            found.append({"product": product, "quota": got[0], "source": got[1]})
    return found


def _acts_of(conn: sqlite3.Connection, client_id: str) -> list[dict[str, object]]:
    """The acts naming the client, and the run-wide acts (approve, supersede, publish) of its runs."""
    if not columns(conn, "acts"):
        return []
    rows = conn.execute(
        "SELECT id, run_id, kind, by, at, reason, product, units, detail FROM acts WHERE client_id = ? "
        "UNION SELECT id, run_id, kind, by, at, reason, product, units, detail FROM acts "
        "WHERE client_id IS NULL AND kind IN ('approve', 'supersede', 'publish') "
        "AND run_id IN (SELECT run_id FROM tier_history WHERE client_id = ?) ORDER BY id",
        (client_id, client_id),
    ).fetchall()
    return [{"run": r[1], **dict(zip(ACT_FIELDS, r[2:], strict=True))} for r in rows]
