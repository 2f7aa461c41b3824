"""Run states in the ledger: draft, approve, supersede; every refusal's whole message; the acts
recorded; the triggers that keep approved runs as they were; the migration of a format-1 ledger;
and a property test of the state machine against a model."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from allocator.cli import main
from allocator.errors import LedgerError
from allocator.outputs import ledger as ledger_module
from allocator.outputs import ledger_acts, ledger_schema
from allocator.outputs.ledger import Act, Ledger, RunInfo
from allocator.outputs.ledger_acts import Supersede, approve, publishing
from allocator.outputs.tables import sha256_file

TINY = Path(__file__).resolve().parents[1] / "cli" / "fixtures" / "tiny"
T = "2026-12-01T10:00:00+00:00"  # the clock of every in-process test
RUN1 = "run 1 (tiny/scenario.yaml, period 2026Q1)"
V1_SCHEMA = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, started TEXT NOT NULL, ended TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')), scenario TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL, period TEXT NOT NULL, seed INTEGER NOT NULL, snapshot_sha256 TEXT NOT NULL,
    tiering_sha256 TEXT NOT NULL, allocation_sha256 TEXT NOT NULL, version TEXT NOT NULL, out_dir TEXT NOT NULL,
    clients INTEGER, products INTEGER, quotas_issued INTEGER, message TEXT);
CREATE TABLE tier_history (run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL,
    client_id TEXT NOT NULL, ladder TEXT NOT NULL, tier TEXT NOT NULL, PRIMARY KEY (run_id, client_id));
CREATE INDEX tier_history_client ON tier_history (client_id, period);
CREATE TABLE quotas (run_id INTEGER NOT NULL REFERENCES runs(id), period TEXT NOT NULL, product TEXT NOT NULL,
    client_id TEXT NOT NULL, quota INTEGER NOT NULL, PRIMARY KEY (run_id, product, client_id))
"""  # format 1, as allocator wrote it before issue 13


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fixed time for every ledger write, and a fixed OS user for the acts batch records."""
    for module in ("allocator.outputs.ledger", "allocator.outputs.ledger_acts", "allocator.commands.publish"):
        monkeypatch.setattr(f"{module}.now", lambda: T)
    monkeypatch.setenv("LOGNAME", "planner")


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: None) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


def batch(capsys: pytest.CaptureFixture[str], out: str, *extra: str) -> tuple[int, str]:
    """Batch the tiny scenario into `out`: the exit code and the whole of stderr."""
    capsys.readouterr()
    code = main(["batch", "tiny/scenario.yaml", "--out", out, "--ledger", "ledger.sqlite", *extra])
    return code, capsys.readouterr().err


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(sql: str, path: str = "ledger.sqlite") -> list[tuple[Any, ...]]:
    db = sqlite3.connect(path)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def acts(path: str = "ledger.sqlite") -> list[tuple[Any, ...]]:
    return rows(
        "SELECT id, run_id, kind, client_id, product, units, by, reason, at, detail FROM acts ORDER BY id", path
    )


def states(path: str = "ledger.sqlite") -> list[tuple[Any, ...]]:
    return rows("SELECT id, status, state FROM runs ORDER BY id", path)


# --- approve ---------------------------------------------------------------------------------


def test_a_run_that_finishes_ok_is_a_draft_and_approve_makes_it_approved(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(capsys, "out") == (0, "")
    assert states() == [(1, "ok", "draft")]
    assert acts() == []
    code, out, err = cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", " zhang ", "--note", "Q1 ok")
    assert (code, out, err) == (0, f"approved {RUN1} by zhang\n", "")
    assert states() == [(1, "ok", "approved")]
    assert acts() == [(1, 1, "approve", None, None, None, "zhang", "Q1 ok", T, None)]


def _failed_and_running(ledger: Path) -> None:
    """Run 2 failed, run 3 still running, for the refusals."""
    with Ledger.open(ledger) as book:
        info = RunInfo("tiny/scenario.yaml", "0" * 64, "2026Q1", 7, "0" * 64, "0" * 64, "0" * 64, "0.1.0", "/x")
        book.fail(book.start(info), "SnapshotError: clients.csv: row 4, column volume: -3 is below the minimum 0")
        book.start(info)


def test_every_refusal_of_approve_names_the_run_and_changes_nothing(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(capsys, "out")[0] == 0
    _failed_and_running(Path("ledger.sqlite"))
    refusals = {
        "9": "ledger.sqlite: there is no run 9; the ledger holds runs 1, 2, 3",
        "2": "run 2 (tiny/scenario.yaml, period 2026Q1) cannot be approved: it failed (SnapshotError: "
        "clients.csv: row 4, column volume: -3 is below the minimum 0); only a run that finished ok can be",
        "3": "run 3 (tiny/scenario.yaml, period 2026Q1) cannot be approved: it has not finished (status running); "
        "only a run that finished ok can be",
    }
    for run, message in refusals.items():
        assert cli(capsys, "approve", run, "--ledger", "ledger.sqlite", "--by", "zhang") == (2, "", message + "\n")
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    before = Path("ledger.sqlite").read_bytes()
    again = f"{RUN1} cannot be approved: it is already approved by zhang ({T})\n"
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "li") == (2, "", again)
    assert cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "wang")[0] == 0
    published = f"{RUN1} cannot be approved: it is already published (approved by zhang, {T})\n"
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "li") == (2, "", published)
    assert [s for _, _, s in states()] == ["published", None, None]
    assert [a[2] for a in acts()] == ["approve", "publish"]
    assert before != Path("ledger.sqlite").read_bytes()  # the publication, not the refusals


def test_by_and_note_must_be_text_a_person_wrote(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(capsys, "out")[0] == 0
    empty = (2, "", "--by is empty: say who acts (a name)\n")
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "  ") == empty
    long = (2, "", "--by is 201 characters long; at most 200\n")
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "z" * 201) == long
    with pytest.raises(SystemExit) as stop:
        main(["approve", "x1", "--ledger", "ledger.sqlite", "--by", "zhang"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "allocator: error: argument RUN: 'x1' is not a run id (a whole number from 1; see allocator runs)"
    )
    assert states() == [(1, "ok", "draft")]
    # a name with control characters is recorded as given and shown escaped
    code, out, _ = cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zh\x1b[2Jang")
    assert (code, out) == (0, f"approved {RUN1} by zh\\x1b[2Jang\n")
    assert acts()[0][6] == "zh\x1b[2Jang"


def test_approve_checks_that_the_runs_folder_is_as_the_run_left_it(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(capsys, "out")[0] == 0
    quotas = Path("out/quotas.csv")
    recorded = sha256_file(quotas)
    quotas.write_text(quotas.read_text().replace("c4,p1,shops,B,0,0,,0", "c4,p1,shops,B,0,0,,1"))
    now = sha256_file(quotas)
    before = Path("ledger.sqlite").read_bytes()
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang") == (
        2, "",
        f"{RUN1} cannot be approved: its output folder out is not as the run left it:\n"
        f"out/quotas.csv: sha256 {now}, but the manifest says {recorded}\n",
    )  # fmt: skip
    assert Path("ledger.sqlite").read_bytes() == before
    shutil.rmtree("out")
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang") == (
        2, "", f"{RUN1} cannot be approved: its output folder out is missing; batch the scenario again and approve that run\n"
    )  # fmt: skip
    assert states() == [(1, "ok", "draft")]


def test_a_second_draft_of_the_same_scenario_and_period_cannot_be_approved(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(capsys, "out1")[0] == 0
    assert batch(capsys, "out2")[0] == 0  # batched before run 1 was approved: nothing to supersede yet
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    assert cli(capsys, "approve", "2", "--ledger", "ledger.sqlite", "--by", "li") == (
        2, "",
        f"run 2 (tiny/scenario.yaml, period 2026Q1) cannot be approved: run 1 is already approved by zhang ({T}), "
        "and a scenario has one approved run per period; to replace run 1, batch again with --supersede 1 "
        "--reason TEXT and approve that run\n",
    )  # fmt: skip
    assert states() == [(1, "ok", "approved"), (2, "ok", "draft")]


# --- supersede -------------------------------------------------------------------------------


def test_supersede_is_recorded_with_the_new_run_and_applied_when_it_is_approved(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(capsys, "out1")[0] == 0
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    assert batch(capsys, "out2", "--supersede", "1", "--reason", "supply corrected to 8") == (0, "")
    assert states() == [(1, "ok", "approved"), (2, "ok", "draft")]  # run 1 stays approved until run 2 is
    assert acts() == [
        (1, 1, "approve", None, None, None, "zhang", None, T, None),
        (2, 2, "supersede", None, None, None, "planner", "supply corrected to 8", T, "1"),
    ]
    code, out, err = cli(capsys, "approve", "2", "--ledger", "ledger.sqlite", "--by", "li")
    assert (code, out, err) == (
        0, f"approved run 2 (tiny/scenario.yaml, period 2026Q1) by li; {RUN1} is superseded\n", ""
    )  # fmt: skip
    assert states() == [(1, "ok", "superseded"), (2, "ok", "approved")]
    assert acts()[2:] == [
        (3, 1, "supersede", None, None, None, "li", "supply corrected to 8", T, "2"),
        (4, 2, "approve", None, None, None, "li", None, T, None),
    ]
    superseded = f"{RUN1} cannot be approved: it is already superseded by run 2\n"
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang") == (2, "", superseded)
    # the next correction names run 2, the approved one now
    code, err = batch(capsys, "out3", "--supersede", "1", "--reason", "again")
    assert (code, err) == (
        2,
        "--supersede 1: that is not the run to replace; tiny/scenario.yaml already has an approved run for period "
        f"2026Q1: run 2, approved by li ({T}); to replace it, give --supersede 2 --reason TEXT\n",
    )


def test_a_batch_for_a_period_with_an_approved_run_must_supersede_it(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = batch(capsys, "out1", "--supersede", "1", "--reason", "why")
    assert (code, err) == (
        2,
        "--supersede 1: tiny/scenario.yaml has no approved or published run for period 2026Q1 to supersede "
        "(the ledger ledger.sqlite holds no runs yet); leave out --supersede and --reason\n",
    )
    assert batch(capsys, "out1")[0] == 0
    code, err = batch(capsys, "out2", "--supersede", "1", "--reason", "why")
    assert (code, err) == (
        2,
        "--supersede 1: tiny/scenario.yaml has no approved or published run for period 2026Q1 to supersede; "
        "leave out --supersede and --reason\n",
    )
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    before = Path("ledger.sqlite").read_bytes()
    code, err = batch(capsys, "out2")
    assert (code, err) == (
        2,
        f"tiny/scenario.yaml already has an approved run for period 2026Q1: run 1, approved by zhang ({T}); "
        "to replace it, give --supersede 1 --reason TEXT\n",
    )
    assert batch(capsys, "out2", "--supersede", "1", "--reason", "  ") == (
        2, "--reason is empty: say why run 1 is superseded\n"
    )  # fmt: skip
    assert Path("ledger.sqlite").read_bytes() == before and not Path("out2").exists()
    # another period of the same scenario is not in competition
    scenario = tiny / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("2026Q1", "2026-Q2"))
    assert batch(capsys, "out2")[0] == 0
    # the same quarter written another way is the same period
    scenario.write_text(scenario.read_text().replace("2026-Q2", "2026-Q1"))
    assert batch(capsys, "out3")[0] == 2


@pytest.mark.parametrize("given", [["--supersede", "1"], ["--reason", "why"]])
def test_supersede_and_reason_go_together(tiny: Path, capsys: pytest.CaptureFixture[str], given: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["batch", "tiny/scenario.yaml", "--out", "out", *given])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "allocator: error: batch: --supersede RUN and --reason TEXT go together: give both or neither"
    )
    assert not Path("out").exists() and not Path("ledger.sqlite").exists()


def test_the_folder_of_an_approved_run_is_never_replaced(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert batch(capsys, "out")[0] == 0
    assert cli(capsys, "approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang")[0] == 0
    folder = {p.name: p.read_bytes() for p in Path("out").iterdir()}
    ledger = Path("ledger.sqlite").read_bytes()
    message = (
        f"out: refusing to replace this folder with the outputs: it holds the outputs of {RUN1}, which is approved, "
        "and approved and published runs never change; give --out another folder\n"
    )
    assert batch(capsys, "out", "--supersede", "1", "--reason", "rerun") == (2, message)
    assert cli(capsys, "run", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite") == (2, "", message)
    assert {p.name: p.read_bytes() for p in Path("out").iterdir()} == folder
    assert Path("ledger.sqlite").read_bytes() == ledger


# --- what the ledger records -------------------------------------------------------------------


def _info(period: str = "2026Q1", scenario: str = "s.yaml") -> RunInfo:
    return RunInfo(scenario, "a" * 64, period, 1, "b" * 64, "c" * 64, "d" * 64, "0.1.0", "/nowhere")


def test_recording_writes_assignment_and_lock_acts_and_each_quotas_source(tmp_path: Path, clock: None) -> None:
    tiers = pl.DataFrame({"client_id": ["c1", "c2"], "ladder": ["shops"] * 2, "tier": ["A", "B"]})
    p1 = pl.DataFrame({"product": ["p1"] * 2, "client_id": ["c1", "c2"], "quota": [3, 2],
                       "source": ["assignment", "rules"]})  # fmt: skip
    p2 = pl.DataFrame({"product": ["p2"] * 2, "client_id": ["c1", "c2"], "quota": [5, 0]})  # no source yet
    given = [
        Act("assignment", by="zhang", reason="new shop", client_id="c1", product="p1", units=1),
        Act("lock", by="li", reason="complaint 2026-118", client_id="c1", product="p2", units=5),
    ]
    with Ledger.open(tmp_path / "ledger.sqlite") as book:
        run = book.start(_info())
        with book.recording(run, "2026Q1", tiers, [p1, p2], given):
            pass
    path = str(tmp_path / "ledger.sqlite")
    assert acts(path) == [
        (1, 1, "assignment", "c1", "p1", 1, "zhang", "new shop", T, None),
        (2, 1, "lock", "c1", "p2", 5, "li", "complaint 2026-118", T, None),
    ]
    assert rows("SELECT product, client_id, quota, source FROM quotas ORDER BY product, client_id", path) == [
        ("p1", "c1", 3, "assignment"), ("p1", "c2", 2, "rules"), ("p2", "c1", 5, None), ("p2", "c2", 0, None)
    ]  # fmt: skip
    assert rows("SELECT status, state, clients, products, quotas_issued FROM runs", path) == [("ok", "draft", 2, 2, 10)]


def test_a_batch_records_the_scenarios_assignments_and_locks_as_acts(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tiny / "assignments.csv").write_text("owner,client_id,product,units,reason\nmanagers,c3,p1,1,new shop\n")
    (tiny / "locks.csv").write_text("client_id,product,quota,reason,by\nc5,p1,0,closed for works,li\n")
    scenario = tiny / "scenario.yaml"
    scenario.write_text(scenario.read_text() + "assignments: assignments.csv\nlocks: locks.csv\n")
    assert batch(capsys, "out") == (0, "")
    assert acts() == [
        (1, 1, "assignment", "c3", "p1", 1, "managers", "new shop", T, None),
        (2, 1, "lock", "c5", "p1", 0, "li", "closed for works", T, None),
    ]
    assert rows("SELECT client_id, quota, source FROM quotas WHERE client_id IN ('c3', 'c5') ORDER BY client_id") == [
        ("c3", 3, "rules+assignment"), ("c5", 0, "lock")
    ]  # fmt: skip


def test_the_triggers_refuse_any_change_to_an_approved_run(tmp_path: Path, clock: None) -> None:
    path = tmp_path / "ledger.sqlite"
    tiers = pl.DataFrame({"client_id": ["c1"], "ladder": ["shops"], "tier": ["A"]})
    quotas = pl.DataFrame({"product": ["p1"], "client_id": ["c1"], "quota": [3]})
    with Ledger.open(path) as book:
        for _ in range(2):
            book.finish(book.start(_info()), "2026Q1", tiers, [quotas])
        approve(book, 1, "zhang", None)
    db = sqlite3.connect(path, isolation_level=None)
    fixed = "approved and published runs never change"
    refused = {
        "UPDATE runs SET seed = 2 WHERE id = 1": f"{fixed}: only their state moves on",
        "UPDATE runs SET out_dir = '/elsewhere', state = 'published' WHERE id = 1": f"{fixed}: only their state moves on",
        "UPDATE runs SET state = 'draft' WHERE id = 1": "a run moves only from ok to draft, from draft to approved, "
        "from approved to published, and from approved or published to superseded",
        "UPDATE runs SET state = 'published' WHERE id = 2": "a run moves only from ok to draft, from draft to "
        "approved, from approved to published, and from approved or published to superseded",
        "DELETE FROM runs WHERE id = 1": f"{fixed}: they are never deleted",
        "UPDATE quotas SET quota = 4 WHERE run_id = 1": f"{fixed}: their quotas rows are fixed",
        "DELETE FROM quotas WHERE run_id = 1": f"{fixed}: their quotas rows are fixed",
        "INSERT INTO quotas VALUES (1, '2026Q1', 'p2', 'c1', 1, NULL, NULL, NULL)": f"{fixed}: their quotas rows are fixed",
        "UPDATE quotas SET run_id = 1 WHERE run_id = 2": f"{fixed}: their quotas rows are fixed",
        "UPDATE tier_history SET tier = 'B' WHERE run_id = 1": f"{fixed}: their tier_history rows are fixed",
        "DELETE FROM tier_history WHERE run_id = 1": f"{fixed}: their tier_history rows are fixed",
        "UPDATE acts SET by = 'someone else'": "acts are a record: they are never changed",
        "DELETE FROM acts": "acts are a record: they are never deleted",
        "INSERT INTO runs (started, status, scenario, scenario_sha256, period, seed, snapshot_sha256, tiering_sha256,"
        " allocation_sha256, version, out_dir, state) VALUES ('t', 'ok', 's', 'a', 'p', 1, 'b', 'c', 'd', 'v', 'o',"
        " 'approved')": "a run starts without a state: it becomes a draft when it finishes ok",
    }
    for sql, message in refused.items():
        with pytest.raises(sqlite3.IntegrityError) as caught:
            db.execute(sql)
        assert str(caught.value) == message, sql
    db.execute("UPDATE quotas SET quota = 4 WHERE run_id = 2")  # a draft is no record yet
    assert db.execute("SELECT id, state, seed, out_dir FROM runs").fetchall() == [
        (1, "approved", 1, "/nowhere"), (2, "draft", 1, "/nowhere")
    ]  # fmt: skip
    assert db.execute("SELECT run_id, quota FROM quotas ORDER BY run_id").fetchall() == [(1, 3), (2, 4)]


def _format_1_ledger(path: Path) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    for statement in V1_SCHEMA.split(";"):
        db.execute(statement)
    db.execute(f"PRAGMA application_id = {ledger_schema.APPLICATION_ID}")
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO runs VALUES (1, 't0', 't1', 'ok', 'tiny/scenario.yaml', 'a', '2025Q4', 7, 'b', 'c', 'd', '0.1.0',"
        " '/old', 1, 1, 2, NULL), (2, 't2', 't3', 'failed', 'tiny/scenario.yaml', 'a', '2025Q4', 7, 'b', 'c', 'd',"
        " '0.1.0', '/old', NULL, NULL, NULL, 'the run was interrupted')"
    )
    db.execute("INSERT INTO tier_history VALUES (1, '2025Q4', 'c1', 'shops', 'B')")
    db.execute("INSERT INTO quotas VALUES (1, '2025Q4', 'p1', 'c1', 2)")
    db.close()


def _dump(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [
            *db.iterdump(),
            *(str(db.execute(f"PRAGMA {p}").fetchone()) for p in ("user_version", "application_id")),
        ]
    finally:
        db.close()


def test_a_format_1_ledger_is_migrated_in_place_in_one_transaction(
    tmp_path: Path, clock: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.sqlite"
    _format_1_ledger(path)
    ledger_schema.check_ledger_file(path)  # a format-1 ledger is a ledger
    before = _dump(path)
    real = ledger_schema.migrate

    def dies_half_way(conn: sqlite3.Connection) -> None:
        real(conn)
        raise sqlite3.OperationalError("disk I/O error")  # after every ALTER TABLE

    monkeypatch.setattr(ledger_module, "migrate", dies_half_way)
    with pytest.raises(LedgerError) as failed, Ledger.open(path):
        pass
    assert str(failed.value) == "ledger.sqlite: cannot open the run ledger: disk I/O error".replace(
        "ledger.sqlite", str(path)
    )
    assert rows("PRAGMA user_version", str(path)) == [(1,)]
    assert "state" not in {r[1] for r in rows("PRAGMA table_info(runs)", str(path))}
    assert _dump(path) == before  # the header says WAL now; the tables, rows and stamp are as they were
    monkeypatch.setattr(ledger_module, "migrate", real)
    with Ledger.open(path):
        pass
    p = str(path)
    assert rows("PRAGMA user_version", p) == [(2,)]
    assert rows("SELECT id, status, state, manifest_sha256 FROM runs", p) == [
        (1, "ok", "draft", None),
        (2, "failed", None, None),
    ]
    assert rows("SELECT run_id, product, client_id, quota, source FROM quotas", p) == [(1, "p1", "c1", 2, None)]
    assert rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", p) == [
        ("acts",), ("quotas",), ("runs",), ("tier_history",)
    ]  # fmt: skip
    assert len(rows("SELECT name FROM sqlite_master WHERE type = 'trigger'", p)) == len(ledger_schema.TRIGGERS)
    with Ledger.open(path) as book:  # and the migrated ledger takes the review like any other
        assert approve(book, 1, "zhang", "from before the upgrade").superseded is None
    assert rows("SELECT id, state FROM runs", p) == [(1, "approved"), (2, None)]


def test_an_unstamped_ledger_of_either_format_is_a_ledger(tmp_path: Path) -> None:
    for name, schema in (("v1.sqlite", V1_SCHEMA), ("v2.sqlite", ledger_schema.SCHEMA)):
        db = sqlite3.connect(tmp_path / name, isolation_level=None)
        for statement in schema.split(";"):
            if statement.strip():
                db.execute(statement)
        db.close()
        ledger_schema.check_ledger_file(tmp_path / name)
        with Ledger.open(tmp_path / name):
            pass
        assert rows("PRAGMA user_version", str(tmp_path / name)) == [(2,)]
    db = sqlite3.connect(tmp_path / "other.sqlite")
    db.execute("CREATE TABLE acts (id INTEGER)")  # a table of ours, alone: someone else's database
    db.close()
    with pytest.raises(LedgerError) as refused:
        ledger_schema.check_ledger_file(tmp_path / "other.sqlite")
    assert str(refused.value).endswith(
        "other.sqlite: not a run ledger: an SQLite database that allocator did not create; "
        "give --ledger a new file or an allocator ledger"
    )


def test_the_next_period_takes_its_tiers_from_the_approved_run(tmp_path: Path, clock: None) -> None:
    with Ledger.open(tmp_path / "ledger.sqlite") as book:
        for tier in ("A", "B"):  # run 1 gives A, run 2 (a trial, never approved) gives B
            tiers = pl.DataFrame({"client_id": ["c1"], "ladder": ["shops"], "tier": [tier]})
            book.finish(book.start(_info("2026Q1")), "2026Q1", tiers, [])
        found = book.previous_tiers("2026Q2")
        assert found is not None and (found[0], found[2].rows()) == (2, [("c1", "shops", "B")])
        approve(book, 1, "zhang", None)
        found = book.previous_tiers("2026Q2")
    assert found is not None and (found[0], found[2].rows()) == (1, [("c1", "shops", "A")])


# --- the state machine, against a model ------------------------------------------------------

SCENARIOS = ("a.yaml", "b.yaml")
PERIODS = ("2026Q1", "2026-Q1", "2026Q2")  # the first two are the same quarter


def _same(a: str, b: str) -> bool:
    return a.replace("-", "") == b.replace("-", "")


class Model:
    """What the ledger should hold: each run's scenario, period, state and intent, by the rules."""

    def __init__(self) -> None:
        self.runs: dict[int, dict[str, Any]] = {}

    def issued(self, scenario: str, period: str, other: int | None = None) -> int | None:
        for i, r in self.runs.items():
            issued = r["state"] in ("approved", "published") and r["scenario"] == scenario
            if i != other and issued and _same(r["period"], period):
                return i
        return None

    def approve(self, i: int) -> bool:
        r = self.runs.get(i)
        if r is None or r["state"] != "draft":
            return False
        rival = self.issued(r["scenario"], r["period"], other=i)
        if rival is not None and r["intent"] != rival:
            return False
        if rival is not None:
            self.runs[rival]["state"] = "superseded"
        r["state"] = "approved"
        return True

    def publish(self, i: int) -> bool:
        r = self.runs.get(i)
        if r is None or r["state"] not in ("approved", "published"):
            return False
        r["state"] = "published"
        return True


class LedgerMachine(RuleBasedStateMachine):
    """Batches (some superseding an earlier run), failures, approvals and publications in any
    order, each checked against the model; after every step the ledger holds what the model holds,
    one approved run per scenario and period, and an act for every state a run has reached.
    (The counterexample hypothesis found when approve skipped the one-approved check is pinned as
    test_a_second_draft_of_the_same_scenario_and_period_cannot_be_approved.)"""

    runs = Bundle("runs")

    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        self.folder = Path(self.stack.enter_context(tempfile.TemporaryDirectory()))
        self.book = self.stack.enter_context(Ledger.open(self.folder / "ledger.sqlite"))
        self.model = Model()

    def teardown(self) -> None:
        self.stack.close()

    def _start(self, scenario: str, period: str, intent: int | None) -> int:
        run = self.book.start(_info(period, scenario))
        self.model.runs[run] = {"scenario": scenario, "period": period, "state": None, "intent": intent}
        return run

    @rule(target=runs, scenario=st.sampled_from(SCENARIOS), period=st.sampled_from(PERIODS), intent=st.none() | runs)
    def batch(self, scenario: str, period: str, intent: int | None) -> Any:
        supersede = Supersede(intent, "why") if intent is not None else None
        try:
            ledger_acts.refuse_competing_batch(self.book.conn, scenario, period, supersede)
            refused = False
        except LedgerError:
            refused = True
        assert refused == (self.model.issued(scenario, period) != intent)  # name the issued run, or none
        if refused:
            return multiple()
        run = self._start(scenario, period, intent)
        extra = [Act("supersede", by="planner", reason="why", detail=str(intent))] if intent is not None else []
        tiers = pl.DataFrame({"client_id": ["c1"], "ladder": ["shops"], "tier": ["A"]})
        with self.book.recording(run, period, tiers, [], extra):
            pass
        self.model.runs[run]["state"] = "draft"
        return run

    @rule(target=runs, scenario=st.sampled_from(SCENARIOS), period=st.sampled_from(PERIODS))
    def fail(self, scenario: str, period: str) -> int:
        run = self._start(scenario, period, None)
        self.book.fail(run, "failed")
        return run

    @rule(run=runs)
    def approve(self, run: int) -> None:
        try:
            approve(self.book, run, "zhang", None)
            done = True
        except LedgerError:
            done = False
        assert done == self.model.approve(run)

    @rule(run=runs)
    def publish(self, run: int) -> None:
        try:
            with publishing(self.book, run, "wang", self.folder, T):
                pass
            done = True
        except LedgerError:
            done = False
        assert done == self.model.publish(run)

    @invariant()
    def the_ledger_holds_what_the_model_holds(self) -> None:
        conn = self.book.conn
        assert dict(conn.execute("SELECT id, state FROM runs").fetchall()) == {
            i: r["state"] for i, r in self.model.runs.items()
        }
        issued = [(r["scenario"], r["period"].replace("-", "")) for r in self.model.runs.values()
                  if r["state"] in ("approved", "published")]  # fmt: skip
        assert len(issued) == len(set(issued))  # one approved run per scenario and period
        approvals = conn.execute("SELECT run_id FROM acts WHERE kind = 'approve' ORDER BY run_id").fetchall()
        assert approvals == sorted((i,) for i, r in self.model.runs.items() if r["state"] in ledger_schema.REVIEWED)
        changed = conn.execute(
            "SELECT run_id FROM acts WHERE kind = 'supersede' AND CAST(detail AS INTEGER) > run_id ORDER BY run_id"
        ).fetchall()
        assert changed == sorted((i,) for i, r in self.model.runs.items() if r["state"] == "superseded")


TestLedgerMachine = LedgerMachine.TestCase
TestLedgerMachine.settings = settings(max_examples=100, stateful_step_count=12, deadline=None)
