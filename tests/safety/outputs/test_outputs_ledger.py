"""The ledger: a foreign file is never touched; a failure while recording leaves the previous outputs."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from allocator.cli import main
from allocator.outputs import atomic as outputs
from allocator.outputs import ledger as ledger_module
from allocator.outputs.ledger import APPLICATION_ID, SCHEMA
from tests.safety.outputs.outputs_helpers import tree

DEMO = Path(__file__).resolve().parents[3] / "scenarios"
REAL_CONNECT = sqlite3.connect
FOREIGN_HINT = "; give --ledger a new file or an allocator ledger"


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_another_programs_sqlite_file_is_refused_byte_identical(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = REAL_CONNECT("crm.db")
    db.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, status TEXT)")
    db.execute("CREATE TABLE customers (id TEXT)")
    db.execute("INSERT INTO runs (status) VALUES ('running')")
    db.commit()
    db.close()
    before = Path("crm.db").read_bytes()
    code = main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "crm.db"])
    out, err = capsys.readouterr()
    message = "crm.db: not a run ledger: an SQLite database that allocator did not create" + FOREIGN_HINT
    assert (code, err) == (2, message + "\n")
    assert json.loads(out.splitlines()[-1])["message"] == message
    assert Path("crm.db").read_bytes() == before
    assert _siblings(Path("crm.db")) == ["crm.db"]
    assert not Path("out").exists()


def test_a_file_that_is_not_sqlite_is_refused_byte_identical(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (tiny / "clients.csv").read_bytes()
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--ledger", "tiny/clients.csv"]) == 2
    assert capsys.readouterr().err == (
        "tiny/clients.csv: not a run ledger: the file is not an SQLite database" + FOREIGN_HINT + "\n"
    )
    assert (tiny / "clients.csv").read_bytes() == before
    assert _siblings(tiny / "clients.csv") == ["clients.csv"]


def test_a_ledger_of_a_newer_format_is_refused(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = REAL_CONNECT("ledger.sqlite")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute("PRAGMA user_version = 99")
    db.close()
    before = Path("ledger.sqlite").read_bytes()
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"]) == 2
    assert capsys.readouterr().err == (
        "ledger.sqlite: a run ledger of a newer format (99; this allocator knows 2); use a newer allocator\n"
    )
    assert Path("ledger.sqlite").read_bytes() == before


def test_a_ledger_written_before_the_stamp_is_taken_over_and_stamped(tiny: Path) -> None:
    db = REAL_CONNECT("ledger.sqlite", isolation_level=None)
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)
    db.close()
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"]) == 0
    db = REAL_CONNECT("ledger.sqlite")
    assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    assert db.execute("SELECT id, status FROM runs").fetchall() == [(1, "ok")]


def _demo(tmp: Path) -> Path:
    text = (DEMO / "demo.yaml").read_text()
    text = text.replace("data/demo-clients.csv", str(DEMO / "data" / "demo-clients.csv"))
    text = text.replace("../rules/", str(DEMO.parent / "rules") + "/")
    (tmp / "demo.yaml").write_text(text)
    return tmp / "demo.yaml"


def _runs(path: Path) -> list[tuple[Any, ...]]:
    db = REAL_CONNECT(path)
    try:
        return db.execute("SELECT id, status, message FROM runs ORDER BY id").fetchall()
    finally:
        db.close()


def test_a_full_disk_while_recording_keeps_the_previous_outputs_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = _demo(tmp_path)
    assert main(["batch", str(scenario), "--out", "out", "--ledger", "ledger.sqlite"]) == 0
    previous = tree(Path("out"))
    pages = REAL_CONNECT("ledger.sqlite").execute("PRAGMA page_count").fetchone()[0]

    def full(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = REAL_CONNECT(*args, **kwargs)
        conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        return conn

    monkeypatch.setattr(ledger_module.sqlite3, "connect", full)
    capsys.readouterr()
    assert main(["batch", str(scenario), "--out", "out", "--ledger", "ledger.sqlite"]) == 2
    out, err = capsys.readouterr()
    message = "ledger.sqlite: cannot record the run: database or disk is full"
    assert err == message + "\n"
    assert [json.loads(line)["step"] for line in out.splitlines()][-3:] == ["allocated", "variants", "failed"]
    assert tree(Path("out")) == previous
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    monkeypatch.setattr(ledger_module.sqlite3, "connect", REAL_CONNECT)
    assert _runs(tmp_path / "ledger.sqlite") == [
        (1, "ok", None), (2, "failed", "LedgerError: " + message)
    ]  # fmt: skip


class _FailsAtCommit(sqlite3.Connection):
    """A connection whose commit of the run's tiers and quotas fails, as a full disk does."""

    armed = False

    def executemany(self, sql: str, rows: Any, /) -> sqlite3.Cursor:
        if "INSERT INTO tier_history" in sql:
            _FailsAtCommit.armed = True
        return super().executemany(sql, rows)

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == "COMMIT" and _FailsAtCommit.armed:
            _FailsAtCommit.armed = False
            raise sqlite3.OperationalError("disk I/O error")
        return super().execute(sql, *args)


@pytest.mark.parametrize("exchange", ["renameat2", "two renames"])
def test_a_failed_commit_puts_the_previous_outputs_back(
    tiny: Path, exchange: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if exchange == "two renames":  # where the kernel or file system has no atomic exchange
        monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    assert main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"]) == 0
    (tiny / "allocation.yaml").write_text((tiny / "allocation.yaml").read_text().replace("supply: 8", "supply: 5"))
    previous = tree(Path("out"))
    monkeypatch.setattr(ledger_module.sqlite3, "connect", lambda *a, **k: REAL_CONNECT(*a, **k, factory=_FailsAtCommit))
    capsys.readouterr()
    assert main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"]) == 2
    assert capsys.readouterr().err == "ledger.sqlite: cannot record the run: disk I/O error\n"
    assert tree(Path("out")) == previous
    assert [p.name for p in Path().iterdir() if ".tmp-" in p.name] == []
    monkeypatch.setattr(ledger_module.sqlite3, "connect", REAL_CONNECT)
    assert [r[:2] for r in _runs(Path("ledger.sqlite"))] == [(1, "ok"), (2, "failed")]


def _as_nobody(tmp_path: Path) -> Path:
    """A world-readable copy of the tiny scenario outside pytest's private temporary folder."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="allocator-ro-"))
    base.chmod(0o755)
    shutil.copytree(Path(__file__).resolve().parents[2] / "cli" / "fixtures" / "tiny", base / "tiny")
    for p in [base / "tiny", *(base / "tiny").iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return base


def _run_as_nobody(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-m", "allocator", *argv],
        cwd=cwd, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs setpriv to drop root")
def test_unwritable_places_exit_2_with_the_path(tmp_path: Path) -> None:
    base = _as_nobody(tmp_path)
    try:
        (base / "ro").mkdir()
        (base / "ro").chmod(0o755)
        (base / "rw").mkdir()
        (base / "rw").chmod(0o777)
        (base / "ledger.sqlite").touch(mode=0o644)
        (base / "ledger.sqlite").chmod(0o644)
        done = _run_as_nobody(base, "run", "tiny/scenario.yaml", "--out", "ro/out")
        assert (done.returncode, done.stderr) == (2, "ro/out: cannot write the outputs: Permission denied\n")
        done = _run_as_nobody(base, "run", "tiny/scenario.yaml", "--out", "rw/out", "--ledger", "ro/ledger.sqlite")
        assert (done.returncode, done.stderr) == (
            2,
            "ro/ledger.sqlite: cannot open the run ledger: Permission denied\n",
        )
        done = _run_as_nobody(base, "run", "tiny/scenario.yaml", "--out", "rw/out", "--ledger", "ledger.sqlite")
        assert (done.returncode, done.stderr) == (2, "ledger.sqlite: cannot open the run ledger: Permission denied\n")
        (base / "rw" / "ledger.sqlite").touch(mode=0o644)
        (base / "rw" / "ledger.sqlite").chmod(0o644)
        done = _run_as_nobody(base, "run", "tiny/scenario.yaml", "--out", "rw/out", "--ledger", "rw/ledger.sqlite")
        assert (done.returncode, done.stderr) == (
            2, "rw/ledger.sqlite: cannot open the run ledger: Permission denied\n"
        )  # fmt: skip
        assert (base / "rw" / "ledger.sqlite").stat().st_size == 0
        assert sorted(p.name for p in base.iterdir()) == ["ledger.sqlite", "ro", "rw", "tiny"]
        assert list((base / "ro").iterdir()) == []
    finally:
        shutil.rmtree(base)


def _limited_run(cwd: Path, limit: int, *argv: str) -> subprocess.CompletedProcess[str]:
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: writes get EFBIG

    return subprocess.run(
        [sys.executable, "-m", "allocator", *argv], cwd=cwd, capture_output=True, text=True, timeout=120,
        preexec_fn=cap,
    )  # fmt: skip


def test_a_file_size_limit_while_writing_keeps_the_previous_outputs(tmp_path: Path) -> None:
    scenario = _demo(tmp_path)
    ok = subprocess.run(
        [sys.executable, "-m", "allocator", "run", str(scenario), "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    previous = tree(tmp_path / "out")
    done = _limited_run(tmp_path, 20_000, "run", str(scenario), "--out", "out")
    assert (done.returncode, done.stderr) == (2, "out: cannot write the outputs: File too large\n")
    assert tree(tmp_path / "out") == previous
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_a_file_size_limit_while_recording_keeps_the_previous_outputs(tmp_path: Path) -> None:
    # The outputs (at most 342 kB a file) fit under the limit; the ledger's second run does not.
    scenario = _demo(tmp_path)
    argv = ["batch", str(scenario), "--out", "out", "--ledger", "ledger.sqlite"]
    ok = subprocess.run(
        [sys.executable, "-m", "allocator", *argv], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    previous = tree(tmp_path / "out")
    done = _limited_run(tmp_path, 600_000, *argv)
    message = "ledger.sqlite: cannot record the run: disk I/O error"
    assert (done.returncode, done.stderr) == (2, message + "\n")
    assert json.loads(done.stdout.splitlines()[-1])["message"] == message
    assert tree(tmp_path / "out") == previous
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    assert [r[:2] for r in _runs(tmp_path / "ledger.sqlite")] in (
        [(1, "ok"), (2, "failed")],
        [(1, "ok"), (2, "running")],
    )


def test_a_device_is_not_a_ledger(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "tiny/scenario.yaml", "--out", "out", "--ledger", "/dev/null"]) == 2
    assert capsys.readouterr().err == "/dev/null: not a run ledger: it is not a regular file" + FOREIGN_HINT + "\n"
    assert not Path("out").exists()
