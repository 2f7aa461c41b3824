"""What a cycle's approved rounds issued, read from the ledger: the next round's supply and its
rotation start from it, and `allocator cycle` shows it.

A round counts once it is approved (or published): drafts, failed and superseded runs do not. A
cycle is known by its scenario (as the ledger names it) and its id.
"""

from __future__ import annotations

import sqlite3

import polars as pl

from allocator.outputs.ledger_schema import columns
from allocator.pipeline.cycle import Issued

ISSUED = ("approved", "published")


def cycle_issued(conn: sqlite3.Connection, scenario: str, cycle: str) -> Issued:
    """Units per approved round and product, and per product and client what it received and was
    entitled to over those rounds."""
    if "round" not in columns(conn, "runs"):
        return Issued()
    where = "r.scenario = ? AND r.cycle = ? AND r.state IN ('approved', 'published')"
    runs = {
        rnd: run_id
        for run_id, rnd in conn.execute(f"SELECT id, round FROM runs r WHERE {where} ORDER BY id", (scenario, cycle))
    }
    units = {
        (rnd, product): int(n)
        for rnd, product, n in conn.execute(
            f"SELECT r.round, q.product, SUM(q.quota) FROM quotas q JOIN runs r ON q.run_id = r.id WHERE {where} "
            "GROUP BY r.round, q.product",
            (scenario, cycle),
        )
    }
    rows = conn.execute(
        "SELECT q.product, q.client_id, SUM(q.quota), SUM(COALESCE(q.entitled, q.quota)) FROM quotas q "
        f"JOIN runs r ON q.run_id = r.id WHERE {where} GROUP BY q.product, q.client_id ORDER BY q.product, q.client_id",
        (scenario, cycle),
    ).fetchall()
    schema = {"product": pl.String, "client_id": pl.String, "received": pl.Int64, "entitled": pl.Int64}
    return Issued(units, pl.DataFrame(rows, schema=schema, orient="row"), runs)


def cycle_rounds(conn: sqlite3.Connection, scenario: str, cycle: str) -> list[tuple[int, str, str, str]]:
    """Every finished run of the cycle: (run id, round, state, started), oldest first."""
    if "round" not in columns(conn, "runs"):
        return []
    return [
        (int(i), str(r), str(s), str(t))
        for i, r, s, t in conn.execute(
            "SELECT id, round, state, started FROM runs WHERE scenario = ? AND cycle = ? AND status = 'ok' ORDER BY id",
            (scenario, cycle),
        )
    ]


def cycle_quotas(conn: sqlite3.Connection, scenario: str, cycle: str) -> pl.DataFrame:
    """Every quota of the cycle's approved rounds, with the client's tier in that round:
    round, product, client_id, ladder, tier, quota, ordered."""
    schema = {
        "round": pl.String, "product": pl.String, "client_id": pl.String, "ladder": pl.String, "tier": pl.String,
        "quota": pl.Int64, "ordered": pl.Int64,
    }  # fmt: skip
    if "round" not in columns(conn, "runs"):
        return pl.DataFrame(schema=schema)
    rows = conn.execute(
        "SELECT r.round, q.product, q.client_id, t.ladder, t.tier, q.quota, q.ordered FROM quotas q "
        "JOIN runs r ON q.run_id = r.id JOIN tier_history t ON t.run_id = q.run_id AND t.client_id = q.client_id "
        "WHERE r.scenario = ? AND r.cycle = ? AND r.state IN ('approved', 'published') ORDER BY r.id",
        (scenario, cycle),
    ).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row")
