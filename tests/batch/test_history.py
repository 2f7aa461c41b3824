"""`runs` and `history`: the ledger's runs with their state, one client across runs with its acts,
asserted whole (table and JSON); both read the ledger read-only, a format-1 ledger too."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import polars as pl
import pytest

from allocator.cli import main
from allocator.outputs.ledger import Act, Ledger, RunInfo
from allocator.outputs.ledger_acts import approve, publishing
from tests.batch.test_approval import T, _format_1_ledger, cli


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two weeks of a weekly scenario: week 9 approved and published, week 10 a draft with a
    manager's assignment and two locks."""
    for module in ("allocator.outputs.ledger", "allocator.outputs.ledger_acts"):
        monkeypatch.setattr(f"{module}.now", lambda: T)
    monkeypatch.chdir(tmp_path)

    def info(period: str) -> RunInfo:
        return RunInfo("weekly.yaml", "a" * 64, period, 1, "b" * 64, "c" * 64, "d" * 64, "0.1.0", f"/srv/out/{period}")

    def tiers(tier: str) -> pl.DataFrame:
        return pl.DataFrame({"client_id": ["c1", "c2"], "ladder": ["city"] * 2, "tier": [tier, "B"]})

    def quotas(product: str, c1: int, c2: int, *source: str) -> pl.DataFrame:
        return pl.DataFrame({"product": [product] * 2, "client_id": ["c1", "c2"], "quota": [c1, c2], "source": source})

    with Ledger.open(tmp_path / "ledger.sqlite") as book:
        run = book.start(info("2026W9"))
        with book.recording(run, "2026W9", tiers("A"), [quotas("p1", 3, 1, "rules", "rules"),
                                                           quotas("p2", 2, 0, "rules", "rules")]):  # fmt: skip
            pass
        approve(book, run, "zhang", "week 9 checked")
        with publishing(book, run, "wang", Path("/srv/www/notice"), T):
            pass
        run = book.start(info("2026W10"))
        acts = [
            Act("assignment", by="zhang", reason="new shop on the square", client_id="c1", product="p1", units=2),
            Act("lock", by="li", reason="complaint 118", client_id="c1", product="p2", units=1),
            Act("lock", by="li", reason="closed for works", client_id="c2", product="p2", units=0),
        ]
        given = [quotas("p1", 4, 1, "assignment", "rules"), quotas("p2", 1, 0, "lock", "lock")]
        with book.recording(run, "2026W10", tiers("B"), given, acts):
            pass
        book.fail(book.start(info("2026W11")), "SnapshotError: clients.csv: row 2, column volume: not a number")
    return tmp_path / "ledger.sqlite"


def test_runs_lists_every_run_with_its_state(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "runs", "--ledger", "ledger.sqlite")
    assert (code, err) == (0, "")
    assert out == (
        "ledger.sqlite\n"
        "id ┃ started                   ┃ status ┃ state     ┃ scenario    ┃ period  ┃ shops ┃ quotas issued ┃ approved by ┃ superseded by\n"
        "━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━\n"
        " 1 │ 2026-12-01T10:00:00+00:00 │ ok     │ published │ weekly.yaml │ 2026W9  │     2 │             6 │ zhang       │\n"
        " 2 │ 2026-12-01T10:00:00+00:00 │ ok     │ draft     │ weekly.yaml │ 2026W10 │     2 │             6 │             │\n"
        " 3 │ 2026-12-01T10:00:00+00:00 │ failed │           │ weekly.yaml │ 2026W11 │       │               │             │\n"
    )  # fmt: skip
    code, out, _ = cli(capsys, "runs", "--ledger", "ledger.sqlite", "--json")
    common = {"scenario": "weekly.yaml", "started": T, "ended": T, "supersedes": None, "superseded_by": None}
    assert (code, json.loads(out)) == (0, [
        {**common, "id": 1, "status": "ok", "state": "published", "period": "2026W9", "clients": 2,
         "quotas_issued": 6, "approved_by": "zhang", "approved_at": T, "out": "/srv/out/2026W9"},
        {**common, "id": 2, "status": "ok", "state": "draft", "period": "2026W10", "clients": 2,
         "quotas_issued": 6, "approved_by": None, "approved_at": None, "out": "/srv/out/2026W10"},
        {**common, "id": 3, "status": "failed", "state": None, "period": "2026W11", "clients": None,
         "quotas_issued": None, "approved_by": None, "approved_at": None, "out": "/srv/out/2026W11"},
    ])  # fmt: skip


def test_history_shows_a_clients_tiers_quotas_and_acts_across_runs(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "history", "c1", "--ledger", "ledger.sqlite")
    assert (code, err) == (0, "")
    assert out == (
        "c1 · tiers and quotas\n"
        "run ┃ period  ┃ state     ┃ ladder ┃ tier ┃ product ┃ quota ┃ source\n"
        "━━━━╇━━━━━━━━━╇━━━━━━━━━━━╇━━━━━━━━╇━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━\n"
        "  1 │ 2026W9  │ published │ city   │ A    │ p1      │     3 │ rules\n"
        "  1 │ 2026W9  │ published │ city   │ A    │ p2      │     2 │ rules\n"
        "  2 │ 2026W10 │ draft     │ city   │ B    │ p1      │     4 │ assignment\n"
        "  2 │ 2026W10 │ draft     │ city   │ B    │ p2      │     1 │ lock\n"
        "c1 · acts\n"
        "run ┃ act        ┃ by    ┃ at                        ┃ product ┃ units ┃ reason                 ┃ detail\n"
        "━━━━╇━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━\n"
        f"  1 │ approve    │ zhang │ {T} │         │       │ week 9 checked         │\n"
        f"  1 │ publish    │ wang  │ {T} │         │       │                        │ /srv/www/notice\n"
        f"  2 │ assignment │ zhang │ {T} │ p1      │     2 │ new shop on the square │\n"
        f"  2 │ lock       │ li    │ {T} │ p2      │     1 │ complaint 118          │\n"
    )  # fmt: skip
    code, out, _ = cli(capsys, "history", "c2", "--ledger", "ledger.sqlite", "--json")
    none = {"product": None, "units": None, "reason": None, "detail": None}
    assert (code, json.loads(out)) == (0, {"client": "c2", "runs": [
        {"run": 1, "period": "2026W9", "scenario": "weekly.yaml", "state": "published", "ladder": "city", "tier": "B",
         "quotas": [{"product": "p1", "quota": 1, "source": "rules"}, {"product": "p2", "quota": 0, "source": "rules"}],
         "acts": [{**none, "run": 1, "kind": "approve", "by": "zhang", "at": T, "reason": "week 9 checked"},
                  {**none, "run": 1, "kind": "publish", "by": "wang", "at": T, "detail": "/srv/www/notice"}]},
        {"run": 2, "period": "2026W10", "scenario": "weekly.yaml", "state": "draft", "ladder": "city", "tier": "B",
         "quotas": [{"product": "p1", "quota": 1, "source": "rules"}, {"product": "p2", "quota": 0, "source": "lock"}],
         "acts": [{"run": 2, "kind": "lock", "by": "li", "at": T, "reason": "closed for works", "product": "p2",
                   "units": 0, "detail": None}]},
    ]})  # fmt: skip


def test_an_unknown_client_is_refused_with_the_nearest_ids(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "history", "cc1", "--ledger", "ledger.sqlite") == (
        2, "", "ledger.sqlite: no run of this ledger has a client 'cc1'; did you mean 'c1'?\n"
    )  # fmt: skip
    assert cli(capsys, "history", "zz\x1b[2J", "--ledger", "ledger.sqlite") == (
        2, "", "ledger.sqlite: no run of this ledger has a client 'zz\\x1b[2J'\n"
    )  # fmt: skip


def test_runs_and_history_never_write_the_ledger(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = ledger.read_bytes()
    for argv in (["runs"], ["runs", "--json"], ["history", "c1"], ["history", "c2", "--json"], ["history", "x"]):
        assert main([*argv, "--ledger", "ledger.sqlite"]) in (0, 2)
        assert ledger.read_bytes() == before, argv


def test_a_format_1_ledger_is_read_as_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.sqlite"
    _format_1_ledger(path)
    before = path.read_bytes()
    code, out, _ = cli(capsys, "runs", "--ledger", str(path), "--json")
    assert code == 0
    assert [(r["id"], r["status"], r["state"], r["approved_by"]) for r in json.loads(out)] == [
        (1, "ok", "draft", None), (2, "failed", None, None)
    ]  # fmt: skip
    code, out, _ = cli(capsys, "history", "c1", "--ledger", str(path), "--json")
    assert json.loads(out)["runs"] == [
        {"run": 1, "period": "2025Q4", "scenario": "tiny/scenario.yaml", "state": "draft", "ladder": "shops",
         "tier": "B", "quotas": [{"product": "p1", "quota": 2, "source": None}], "acts": []}
    ]  # fmt: skip
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (1,)
    db.close()


def test_only_a_ledger_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("notes.txt").write_text("not a ledger")
    assert cli(capsys, "runs", "--ledger", "nowhere.sqlite") == (
        2, "", "nowhere.sqlite: no such run ledger; give --ledger the ledger a batch wrote\n"
    )  # fmt: skip
    assert cli(capsys, "history", "c1", "--ledger", "notes.txt") == (
        2, "", "notes.txt: not a run ledger: the file is not an SQLite database; give --ledger a new file or an "
        "allocator ledger\n"
    )  # fmt: skip
    assert not Path("nowhere.sqlite").exists() and Path("notes.txt").read_text() == "not a ledger"
    Path("empty.sqlite").write_bytes(b"")
    assert cli(capsys, "runs", "--ledger", "empty.sqlite") == (0, "empty.sqlite: no runs yet\n", "")
