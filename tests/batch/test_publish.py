"""`publish`: the notice of an approved run (notice.html, notice.csv, notice.json) asserted whole;
the checks of the run's folder before anything is written; the folders it refuses; the record;
and a property test of the notice's table against a count by hand."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from allocator.cli import main
from allocator.outputs import run_folder
from allocator.outputs.notice import RunFolder, method_facts, notice_table
from allocator.outputs.tables import sha256_file, write_csv
from allocator.pipeline.run import RunResult, VariantResult
from tests.batch.test_approval import RUN1, TINY, T, acts, cli, states

SEGMENTED = {
    "tiering.yaml": """kind: tiering
version: 1
fields:
  volume: {type: number, min: 0}
ladders:
  shops: [A, B, C]
placement:
  - {id: big, when: {volume: {gte: 100}}, tier: A}
  - {id: mid, when: {volume: {gte: 50}}, tier: B}
""",
    "allocation.yaml": """kind: allocation
version: 1
fields:
  district: {type: category, values: [east, west, north]}
products:
  - id: p1
    name: Zhonghua (soft)
    supply: 20
    order_column: order_p1
    policy: tier_amounts
    target: nearest
    window: {highest: A, lowest: B}
    segments: {by: [district], values: [east, west]}
  - id: p2
    supply: 9
    order_column: order_p2
    per_client: {A: 3, B: 2, C: 1}
""",
    "clients.csv": "client_id,volume,district,order_p1,order_p2\ne1,150,east,5,3\ne2,120,east,2,3\ne3,60,east,4,3\n"
    "w1,160,west,3,3\nw2,70,west,1,3\nw3,10,west,2,3\nn1,130,north,5,3\n",
    "scenario.yaml": """kind: scenario
version: 1
name: segmented
snapshot: clients.csv
tiering: tiering.yaml
allocation: allocation.yaml
period: 2026W10
seed: 3
""",
}


@pytest.fixture
def methods(monkeypatch: pytest.MonkeyPatch) -> None:
    """The manifest with each product's method (notice.method_facts). run_folder writes it now; this
    only makes sure of it (setdefault keeps what run_folder wrote)."""
    real = run_folder.manifest

    def with_methods(result: RunResult, variant: VariantResult) -> dict[str, object]:
        data = real(result, variant)
        data.setdefault("methods", method_facts(result.scenario.allocation, result.scenario.variants[variant.name]))
        return data

    monkeypatch.setattr(run_folder, "manifest", with_methods)


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: None) -> Path:
    shutil.copytree(TINY, tmp_path / "tiny")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "tiny"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in ("allocator.outputs.ledger", "allocator.outputs.ledger_acts", "allocator.commands.publish"):
        monkeypatch.setattr(f"{module}.now", lambda: T)
    monkeypatch.setenv("LOGNAME", "planner")


def approved(capsys: pytest.CaptureFixture[str], scenario: str = "tiny/scenario.yaml", out: str = "out") -> None:
    """Batch the scenario and approve the run (run 1 of a new ledger)."""
    assert main(["batch", scenario, "--out", out, "--ledger", "ledger.sqlite"]) == 0
    assert main(["approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang", "--note", "checked"]) == 0
    capsys.readouterr()


class Page(HTMLParser):
    """The text a reader sees: the head's and each product's (term, definition) pairs, the
    section titles, and every table as rows of cell texts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.terms: list[list[tuple[str, str]]] = []
        self.tables: list[list[list[str]]] = []
        self.tags: list[str] = []
        self._text: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "dl":
            self.terms.append([])
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        if tag in ("h1", "h2", "dt", "dd", "td", "th"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._text or [])
        if tag in ("h1", "h2"):
            self.titles.append(text)
        elif tag == "dt":
            self.terms[-1].append((text, ""))
        elif tag == "dd":
            self.terms[-1][-1] = (self.terms[-1][-1][0], text)
        elif tag in ("td", "th"):
            self.tables[-1][-1].append(text)
        if tag in ("h1", "h2", "dt", "dd", "td", "th"):
            self._text = None


def hashes(folder: str) -> list[list[str]]:
    manifest = json.loads(Path(folder, "manifest.json").read_text())
    return [
        ["scenario", "scenario.yaml", manifest["scenario"]["sha256"]],
        ["snapshot", "clients.csv", manifest["inputs"]["snapshot"]["sha256"]],
        ["tiering rules", "tiering.yaml", manifest["inputs"]["tiering"]["sha256"]],
        ["allocation rules", "allocation.yaml", manifest["inputs"]["allocation"]["sha256"]],
        ["run manifest", "manifest.json", sha256_file(Path(folder, "manifest.json"))],
        *(["", name, digest] for name, digest in sorted(manifest["outputs"].items())),
    ]


def test_publish_writes_the_notice_and_records_it(
    tiny: Path, capsys: pytest.CaptureFixture[str], methods: None
) -> None:
    approved(capsys)
    code, out, err = cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "wang")
    assert (code, out, err) == (0, f"published {RUN1}: notice/notice.html, notice/notice.csv\n", "")
    assert sorted(p.name for p in Path("notice").iterdir()) == ["notice.csv", "notice.html", "notice.json"]
    assert Path("notice/notice.csv").read_text() == (
        "product,segment,ladder,tier,quota_per_shop,quota_min,quota_max,shops,shops_allocated\n"
        "p1,,shops,A,2,2,2,2,2\n"
        "p1,,shops,B,,0,1,2,1\n"
        "p1,,shops,C,1,1,1,2,2\n"
    )
    page = Page(Path("notice/notice.html").read_text())
    assert page.titles == ["Allocation notice", "p1", "Hashes (sha256)"]
    assert page.terms == [
        [("run", "1"), ("scenario", "tiny (scenario.yaml)"), ("period", "2026Q1"), ("approved by", "zhang"),
         ("approved", T), ("published", T)],
        [("method", "each tier's entitlement per shop, scaled down alike when supply is short (per_tier)"), ("rounding", "webster"), ("window", "shops: A, B, C"),
         ("segments", "one pool: every shop"), ("supply", "8"), ("reserve", "1 (managers)"), ("allocated", "7")],
    ]  # fmt: skip
    assert page.tables == [
        [["ladder", "tier", "cartons per shop", "shops allocated", "shops"],
         ["shops", "A", "2", "2", "2"], ["shops", "B", "0–1", "1", "2"], ["shops", "C", "1", "2", "2"]],
        [["", "file", "sha256"], *hashes("out")],
    ]  # fmt: skip
    assert json.loads(Path("notice/notice.json").read_text()) == {
        "tool": "allocator", "kind": "notice", "run": 1, "published": T,
        "files": {n: sha256_file(Path("notice", n)) for n in ("notice.csv", "notice.html")},
    }  # fmt: skip
    assert states() == [(1, "ok", "published")]
    assert acts()[1:] == [(2, 1, "publish", None, None, None, "wang", None, T, str(Path("notice").resolve()))]


def test_the_notice_is_one_printable_page_that_loads_nothing_and_escapes_everything(
    tiny: Path, capsys: pytest.CaptureFixture[str], methods: None
) -> None:
    scenario = tiny / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("name: tiny", 'name: "<script>alert(1)</script> & \\e[2J"'))
    allocation = tiny / "allocation.yaml"
    allocation.write_text(allocation.read_text().replace("id: p1", "id: '=HYPERLINK(\"x\")'"))
    approved(capsys)
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice"]) == 0
    text = Path("notice/notice.html").read_text()
    assert text.startswith('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">')
    assert "@media print" in text and "<style>" in text
    for loaded in ("<script", "<link", "<img", "src=", "href=", "@import", "url(", "http:", "https:"):
        assert loaded not in text.lower(), loaded
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; \\x1b[2J (scenario.yaml)" in text
    page = Page(text)
    assert page.titles[1] == '=HYPERLINK("x")'  # the page shows the id as written
    assert Path("notice/notice.csv").read_text().splitlines()[1] == '"\'=HYPERLINK(""x"")",,shops,A,2,2,2,2,2'
    assert acts()[-1][6] == "planner"  # no --by: the OS user publishes


def _segmented(tmp_path: Path) -> None:
    (tmp_path / "seg").mkdir()
    for name, text in SEGMENTED.items():
        (tmp_path / "seg" / name).write_text(text)


def test_a_segmented_product_shows_its_method_window_and_segments(
    tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], methods: None
) -> None:
    _segmented(tmp_path)
    approved(capsys, "seg/scenario.yaml", "seg-out")
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice"]) == 0
    assert Path("notice/notice.csv").read_text() == (
        "product,segment,ladder,tier,quota_per_shop,quota_min,quota_max,shops,shops_allocated\n"
        "p1,east,shops,A,,2,5,2,2\n"
        "p1,east,shops,B,4,4,4,1,1\n"
        "p1,west,shops,A,3,3,3,1,1\n"
        "p1,west,shops,B,1,1,1,1,1\n"
        "p1,west,shops,C,0,0,0,1,0\n"
        "p2,,shops,A,,1,2,4,4\n"
        "p2,,shops,B,1,1,1,2,2\n"
        "p2,,shops,C,0,0,0,1,0\n"
    )  # n1 (north) is outside p1's segments: not a shop of its notice
    page = Page(Path("notice/notice.html").read_text())
    assert page.titles == ["Allocation notice", "p1 Zhonghua (soft)", "p2", "Hashes (sha256)"]
    assert page.terms[1:] == [
        [("method", "one amount per tier, best fit to the supply (tier_amounts)"), ("target", "nearest to the supply"),
         ("window", "shops: A, B"), ("segments", "by district: east, west"), ("supply", "20"), ("reserve", "0"),
         ("allocated", "15")],
        [("method", "each tier's entitlement per shop, scaled down alike when supply is short (per_tier)"), ("rounding", "webster"), ("window", "shops: A, B, C"),
         ("segments", "one pool: every shop"), ("supply", "9"), ("reserve", "0"), ("allocated", "9")],
    ]  # fmt: skip
    assert page.tables[:2] == [
        [["segment", "ladder", "tier", "cartons per shop", "shops allocated", "shops"],
         ["east", "shops", "A", "2–5", "2", "2"], ["east", "shops", "B", "4", "1", "1"],
         ["west", "shops", "A", "3", "1", "1"], ["west", "shops", "B", "1", "1", "1"],
         ["west", "shops", "C", "0", "0", "1"]],
        [["ladder", "tier", "cartons per shop", "shops allocated", "shops"],
         ["shops", "A", "1–2", "4", "4"], ["shops", "B", "1", "2", "2"], ["shops", "C", "0", "0", "1"]],
    ]  # fmt: skip


def test_a_run_folder_without_methods_says_so(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    written = run_folder.manifest

    def older(result: Any, variant: Any) -> dict[str, object]:  # a run of a version before `methods`
        data = written(result, variant)
        del data["methods"]
        return data

    monkeypatch.setattr(run_folder, "manifest", older)
    approved(capsys)
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice"]) == 0
    assert Page(Path("notice/notice.html").read_text()).terms[1][0] == ("method", "not recorded in the run's manifest")


def test_republishing_is_recorded_again_and_only_an_earlier_notice_is_replaced(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    approved(capsys)
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "wang"]) == 0
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "www/notice", "--by", "wang"]) == 0
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "li"]) == 0  # in place
    assert [(a[2], a[6], a[9]) for a in acts()] == [
        ("approve", "zhang", None), ("publish", "wang", str(Path("notice").resolve())),
        ("publish", "wang", str(Path("www/notice").resolve())), ("publish", "li", str(Path("notice").resolve())),
    ]  # fmt: skip
    assert states() == [(1, "ok", "published")]
    Path("mine").mkdir()
    (Path("mine") / "notes.txt").write_text("mine")
    cases = {
        "mine": "mine: refusing to put the notice there: it contains files that are not part of a notice (notes.txt); "
        "give --out a new or empty folder, or one that holds an earlier notice",
        "out": "out: refusing to put the notice there: it contains the outputs of run 1, files that are not part of a "
        "notice (manifest.json, quotas.csv, report.html and 3 more); give --out a new or empty folder, or one that "
        "holds an earlier notice",
        "out/notice": "out/notice: refusing to put the notice there: it is inside the output folder of run 1; give "
        "--out a new or empty folder, or one that holds an earlier notice",
        ".": ".: refusing to put the notice there: it is the working directory; it contains the ledger ledger.sqlite, "
        "the outputs of run 1, files that are not part of a notice (.notice.lock, .out.lock, ledger.sqlite "
        "and 8 more); give --out a new or empty folder, or one that holds an earlier notice",
        "tiny/scenario.yaml": "tiny/scenario.yaml: refusing to write the outputs there: it is a file, not a folder",
    }
    before = Path("ledger.sqlite").read_bytes()
    for folder, message in cases.items():
        assert cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", folder) == (2, "", message + "\n")
    assert (Path("mine") / "notes.txt").read_text() == "mine" and not Path("out/notice").exists()
    assert Path("ledger.sqlite").read_bytes() == before


def test_only_an_approved_run_is_published(tiny: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", "tiny/scenario.yaml", "--out", "out", "--ledger", "ledger.sqlite"]) == 0
    draft = (
        f"{RUN1} cannot be published: it is a draft; approve it first (allocator approve 1 --ledger LEDGER --by NAME)\n"
    )
    assert cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice") == (2, "", draft)
    assert cli(capsys, "publish", "2", "--ledger", "ledger.sqlite", "--out", "notice") == (
        2, "", "ledger.sqlite: there is no run 2; the ledger holds run 1\n"
    )  # fmt: skip
    assert cli(capsys, "publish", "1", "--ledger", "nowhere.sqlite", "--out", "notice") == (
        2, "", "nowhere.sqlite: no such run ledger; give --ledger the ledger a batch wrote\n"
    )  # fmt: skip
    assert main(["approve", "1", "--ledger", "ledger.sqlite", "--by", "zhang"]) == 0
    assert main(["batch", "tiny/scenario.yaml", "--out", "out2", "--supersede", "1", "--reason", "fix"]) == 0
    assert main(["approve", "2", "--ledger", "ledger.sqlite", "--by", "li"]) == 0
    superseded = f"{RUN1} cannot be published: it was superseded by run 2\n"
    assert cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice") == (2, "", superseded)
    assert not Path("notice").exists() and not Path("nowhere.sqlite").exists()


def test_a_run_folder_changed_since_the_run_is_refused_naming_each_file_and_both_hashes(
    tiny: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    approved(capsys)
    manifest_path, quotas = Path("out/manifest.json"), Path("out/quotas.csv")
    recorded = {n: sha256_file(Path("out", n)) for n in ("manifest.json", "quotas.csv")}
    manifest = json.loads(manifest_path.read_text())
    seed, snapshot = manifest["seed"], manifest["inputs"]["snapshot"]["sha256"]
    manifest["seed"], manifest["inputs"]["snapshot"]["sha256"] = 8, "f" * 64
    manifest["outputs"]["../ledger.sqlite"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    quotas.write_text(quotas.read_text().replace("c1,p1,shops,A,5,3,,2", "c1,p1,shops,A,5,3,,3"))
    Path("out/summary.csv").unlink()
    before = Path("ledger.sqlite").read_bytes()
    code, out, err = cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice")
    assert (code, out) == (2, "")
    assert err == (
        f"{RUN1} cannot be published: its output folder out is not as the run left it:\n"
        f"out/manifest.json: sha256 {sha256_file(manifest_path)}, but the ledger recorded {recorded['manifest.json']}\n"
        f"out/manifest.json: seed 8, but the ledger recorded {seed}\n"
        f"out/manifest.json: snapshot sha256 {'f' * 64}, but the ledger recorded {snapshot}\n"
        "out/manifest.json: lists '../ledger.sqlite', which is not a file of the folder\n"
        f"out/quotas.csv: sha256 {sha256_file(quotas)}, but the manifest says {recorded['quotas.csv']}\n"
        f"out/summary.csv: missing, but the manifest gives its sha256 {manifest['outputs']['summary.csv']}\n"
    )
    assert not Path("notice").exists() and Path("ledger.sqlite").read_bytes() == before
    assert states() == [(1, "ok", "approved")]


class _FailsAtCommit(sqlite3.Connection):
    """A connection whose commit of a publication fails, as a full disk does."""

    armed = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.startswith("INSERT INTO acts") and args and args[0][1] == "publish":
            _FailsAtCommit.armed = True
        if sql == "COMMIT" and _FailsAtCommit.armed:
            _FailsAtCommit.armed = False
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, *args)


def test_a_failed_commit_takes_the_new_notice_back(
    tiny: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    approved(capsys)
    assert main(["publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "wang"]) == 0
    previous = {p.name: p.read_bytes() for p in Path("notice").iterdir()}
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real(*a, **k, factory=_FailsAtCommit))
    assert cli(capsys, "publish", "1", "--ledger", "ledger.sqlite", "--out", "notice", "--by", "li") == (
        2, "", "ledger.sqlite: cannot record the act: database or disk is full\n"
    )  # fmt: skip
    monkeypatch.setattr(sqlite3, "connect", real)
    assert {p.name: p.read_bytes() for p in Path("notice").iterdir()} == previous
    assert [p.name for p in Path().iterdir() if ".tmp-" in p.name] == []
    assert [(a[2], a[6]) for a in acts()] == [("approve", "zhang"), ("publish", "wang")]


# --- the notice's table, against a count by hand ----------------------------------------------

shop = st.tuples(
    st.sampled_from(["p1", "p2", "=p3"]), st.sampled_from(["", "east", "west"]), st.sampled_from(["A", "B", "C"]),
    st.booleans(), st.integers(0, 4),
)  # fmt: skip


@contextmanager
def _folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(max_examples=150, deadline=None)
@given(st.lists(shop, min_size=1, max_size=40))
@example(shops=[("p1", "east", "A", True, 0), ("p1", "east", "A", False, 3)])  # outside shops are not counted
@example(shops=[("p1", "", "A", True, 0), ("p1", "", "A", True, 1)])  # a range has no one quota per shop
def test_the_notice_counts_every_shop_of_each_segment_and_tier_once(
    shops: list[tuple[str, str, str, bool, int]],
) -> None:
    with _folder() as folder:
        quotas = pl.DataFrame(
            [(f"c{i}", p, "shops", t, s, None if inside else "not in segments", q)
             for i, (p, s, t, inside, q) in enumerate(shops)],
            schema={"client_id": pl.String, "product": pl.String, "ladder": pl.String, "tier": pl.String,
                    "segment": pl.String, "excluded_by": pl.String, "quota": pl.Int64}, orient="row",
        )  # fmt: skip
        write_csv(quotas, folder / "quotas.csv")
        keys = sorted({(p, s, "shops", t) for p, s, t, _, _ in shops})
        summary = pl.DataFrame([(p, "tier", s, lad, t) for p, s, lad, t in keys], orient="row",
                               schema=["product", "line", "segment", "ladder", "tier"])  # fmt: skip
        write_csv(summary, folder / "summary.csv")
        got = notice_table(RunFolder(folder, {}, "")).rows()
    expected = []
    for p, s, lad, t in keys:
        given = [q for p2, s2, t2, inside, q in shops if (p2, s2, t2) == (p, s, t) and inside]
        if given:
            same = min(given) if min(given) == max(given) else None
            expected.append((p, s, lad, t, same, min(given), max(given), len(given), sum(q > 0 for q in given)))
    assert got == expected
